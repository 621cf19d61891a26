"""Security events: one function writes the row and the log line (accounts.SecurityEvent)."""

import logging

from accounts.models import SecurityEvent
from web.addresses import client_address

log = logging.getLogger("accounts.security")

Kind = SecurityEvent.Kind

# Failures and lock-outs are warnings: what an operator watching the logs should see.
LEVELS = {Kind.LOGIN_FAILED: logging.WARNING, Kind.LOCKED_OUT: logging.WARNING}


def record_event(
    kind: str, *, request=None, user=None, username: str = "", detail: str = ""
) -> SecurityEvent:
    """Store one security event with the request's address and browser, and log it."""
    address = client_address(request) if request is not None else None
    agent = request.META.get("HTTP_USER_AGENT", "")[:255] if request is not None else ""
    if not username and user is not None:
        username = user.get_username()
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        username=username[:150],
        address=address,
        user_agent=agent,
        detail=detail[:255],
    )
    log.log(
        LEVELS.get(kind, logging.INFO),
        "security event %s username=%r user_id=%s address=%s %s",
        kind,
        username,
        event.user_id,
        address,
        detail,
    )
    return event
