"""Signal receivers: logins, logouts, failures and lock-outs become security events.
Connected in AccountsConfig.ready().
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.events import Kind, record_event
from accounts.models import Profile
from web.middleware import mark_session_refreshed

MUST_CHANGE_PASSWORD = "accounts_must_change_password"  # session key


@receiver(user_logged_in, dispatch_uid="accounts_logged_in")
def logged_in(sender, request, user, **kwargs):
    record_event(Kind.LOGIN, request=request, user=user)
    # Logging in saves the session: the pages of the next minute need not (idle expiry).
    mark_session_refreshed(request.session)
    if Profile.objects.filter(user=user, must_change_password=True).exists():
        # Read once here, not on every request: PasswordChangeRequiredMiddleware checks the
        # session. A password reset by the office logs the user out (the hash changes).
        request.session[MUST_CHANGE_PASSWORD] = True


@receiver(user_logged_out, dispatch_uid="accounts_logged_out")
def logged_out(sender, request, user, **kwargs):
    if user is not None:
        record_event(Kind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="accounts_login_failed")
def login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`.
    username = str(credentials.get("username") or "")
    record_event(Kind.LOGIN_FAILED, request=request, username=username)


@receiver(user_locked_out, dispatch_uid="accounts_locked_out")
def locked_out(sender, request, username=None, ip_address=None, **kwargs):
    record_event(
        Kind.LOCKED_OUT,
        request=request,
        username=str(username or ""),
        detail="username+address locked after repeated failures",
    )
