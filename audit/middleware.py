"""The address audit rows record: known to the history rows a request writes."""

from django.utils import timezone

from audit import changes as audit
from web.addresses import (
    bulk_history_written,
    client_address,
    current_address,
    end_bulk_history_watch,
    start_bulk_history_watch,
)

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class RequestAddressMiddleware:
    """Make the client's address known to the history rows a request writes.

    Rows saved one by one get it through simple_history's signal (audit.receivers); rows
    written in bulk (reviews, losses, ledger imports send no signal) are found after the
    response, those of the request's user dated since the request began, and only when a
    writer said it wrote some (web.addresses.note_bulk_history).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = client_address(request)
        started = timezone.now()
        address_token = current_address.set(address)
        recorded_token = audit.start_request()
        bulk_token = start_bulk_history_watch()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if (
                address
                and request.method in UNSAFE_METHODS
                and user is not None
                and user.is_authenticated
                and response.status_code < 400
                and bulk_history_written()
            ):
                audit.record_bulk_addresses(user_id=user.pk, since=started, address=address)
        finally:
            end_bulk_history_watch(bulk_token)
            audit.end_request(recorded_token)
            current_address.reset(address_token)
        return response
