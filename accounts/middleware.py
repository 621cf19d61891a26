"""Request middleware of the accounts app: the forced password change of accounts the
office created."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.receivers import MUST_CHANGE_PASSWORD


class PasswordChangeRequiredMiddleware:
    """Until an office-created account replaces its temporary password, every page but the
    password change itself (and logging out, and the language switch) leads there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get(MUST_CHANGE_PASSWORD):
            allowed = {reverse("accounts:password_change"), reverse("logout")}
            if request.path not in allowed and not request.path.startswith(
                (reverse("set_language"), "/static/")
            ):
                messages.warning(request, _("首次登录请先修改竞赛办提供的临时密码。"))
                return redirect("accounts:password_change")
        return self.get_response(request)
