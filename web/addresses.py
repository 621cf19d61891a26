"""The client address of a request, read in one place (lock-outs, security events, audit).

Behind N trusted reverse proxies (TRUSTED_PROXY_COUNT), each appending the address it
received the request from to X-Forwarded-For, the client is the N-th entry from the
right; anything to the left of it was written by the client and is not believed. With no
proxy configured the header is ignored altogether: a client could otherwise pick any
address and walk around the lock-out, which is keyed on username and address.
"""

from contextvars import ContextVar
from ipaddress import ip_address

from django.conf import settings

# The address of the request being handled (set by RequestAddressMiddleware); history
# rows written meanwhile record it (accounts.receivers).
current_address: ContextVar[str | None] = ContextVar("current_address", default=None)
# Whether the request wrote history rows in bulk (simple_history's bulk_history_create
# and friends send no signal per row): only then does the audit middleware look for them
# afterwards. That look is one query per audited model, an eighth of the web processes'
# time when every write paid it (py-spy, load test of 110 users).
_bulk_history: ContextVar[list | None] = ContextVar("bulk_history", default=None)


def start_bulk_history_watch():
    """Begin a request: no bulk history written yet (returns a token for `end_…`)."""
    return _bulk_history.set([])


def end_bulk_history_watch(token) -> None:
    _bulk_history.reset(token)


def note_bulk_history() -> None:
    """Called by every writer of history rows in bulk, inside the request."""
    written = _bulk_history.get()
    if written is not None:
        written.append(True)


def bulk_history_written() -> bool:
    """Whether `note_bulk_history` was called since the request began."""
    return bool(_bulk_history.get())


def _valid(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    try:
        return str(ip_address(value))
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The client's IP address, or None when it cannot be told."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return _valid(forwarded[-proxies])
    return _valid(request.META.get("REMOTE_ADDR"))
