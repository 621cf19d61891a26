"""The authentication backend: Django's ModelBackend, reading a signed-in request's user
and roles in one query (departments.roles.signed_in_user)."""

from django.contrib.auth.backends import ModelBackend

from departments.roles import signed_in_user


class RolesBackend(ModelBackend):
    def get_user(self, user_id):
        user = signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
