"""Changing one's own password, and the page a locked-out login gets."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import services
from accounts.forms import NewPasswordForm
from accounts.receivers import MUST_CHANGE_PASSWORD
from departments.roles import Role
from web.access import require


@require(Role.SIGNED_IN)
def password_change(request):
    form = NewPasswordForm(request.user, request.POST or None)
    forced = bool(request.session.get(MUST_CHANGE_PASSWORD))
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # stay logged in here; other sessions end
        services.password_changed(user, request=request)
        request.session.pop(MUST_CHANGE_PASSWORD, None)
        messages.success(request, _("密码已修改。"))
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form, "forced": forced})


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a login while username and address are locked (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": minutes, "failures": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
