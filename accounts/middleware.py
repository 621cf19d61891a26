"""Request middleware of the accounts app: the address audit rows record, and the forced
password change of accounts the office created."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.addresses import client_address, current_address
from accounts.receivers import MUST_CHANGE_PASSWORD

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class RequestAddressMiddleware:
    """Make the client's address known to the history rows a request writes.

    Rows saved one by one get it through a signal (accounts.receivers); rows written in
    bulk (reviews, losses, ledger imports send no signal) are found after the response:
    those of the request's user dated since the request began.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = client_address(request)
        started = timezone.now()
        address_token = current_address.set(address)
        recorded_token = audit.start_request()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if (
                address
                and request.method in UNSAFE_METHODS
                and user is not None
                and user.is_authenticated
                and response.status_code < 400
            ):
                audit.record_bulk_addresses(user_id=user.pk, since=started, address=address)
        finally:
            audit.end_request(recorded_token)
            current_address.reset(address_token)
        return response


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
