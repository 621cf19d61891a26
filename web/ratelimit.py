"""A small per-user rate limit on Django's cache, for views that take uploads.

    from web.ratelimit import rate_limited

    @require(Role.LIAISON_OR_OFFICE)
    @rate_limited("upload")          # UPLOAD_RATE_PER_MINUTE POSTs per user and minute
    def milestone_create(request, pk): ...

Only requests with the listed methods count (POST by default), so showing a form is
never limited. Past the limit the view is not called: the answer is 429 with a Chinese
message. A fixed one-minute window per user (or address, for anonymous requests) is kept
in the cache: with several processes the cache must be shared (CACHE_URL) for the limit
to hold across them. If the cache cannot be reached the request is let through (logged):
a broken cache must not stop liaisons from saving their records.
"""

import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _

from web.addresses import client_address

log = logging.getLogger(__name__)

# Limit name -> the setting holding its requests per minute.
RATE_SETTINGS = {"upload": "UPLOAD_RATE_PER_MINUTE"}
WINDOW_SECONDS = 60


def _who(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"addr:{client_address(request) or 'unknown'}"


def hit(name: str, request, *, limit: int, now: float | None = None) -> bool:
    """Count one request against `name`; True while the user is within `limit` per minute."""
    window = int((now if now is not None else time.time()) // WINDOW_SECONDS)
    key = f"ratelimit:{name}:{_who(request)}:{window}"
    try:
        # add() is atomic: the first request of the window creates the counter.
        if cache.add(key, 1, timeout=WINDOW_SECONDS * 2):
            count = 1
        else:
            count = cache.incr(key)
    except Exception:  # the cache is down or the key vanished: fail open, loudly
        log.warning("rate limit %s not checked: cache unavailable", name, exc_info=True)
        return True
    return count <= limit


def rate_limited(name: str, *, methods: tuple[str, ...] = ("POST",)):
    """View decorator: at most the setting RATE_SETTINGS[name] requests per user and minute."""
    setting = RATE_SETTINGS[name]

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                limit = getattr(settings, setting)
                if not hit(name, request, limit=limit):
                    log.warning("rate limit %s exceeded by %s", name, _who(request))
                    response = render(
                        request,
                        "accounts/rate_limited.html",
                        {"message": _("操作过于频繁，请一分钟后再试。")},
                        status=429,
                    )
                    response["Retry-After"] = str(WINDOW_SECONDS)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
