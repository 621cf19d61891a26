from departments.roles import ROLE_LABELS, roles_of


def roles(request):
    """Expose the user's roles to every template (navigation by role)."""
    user_roles = roles_of(getattr(request, "user", None))
    return {"roles": user_roles, "primary_role_label": ROLE_LABELS.get(user_roles.primary, "")}
