"""Middleware every app relies on."""

import time

from django.conf import settings
from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """Pages and exports shown to a signed-in user are never stored by a proxy or the
    browser (`Cache-Control: private, no-store`): on a shared office computer the back
    button must not show the previous user's league, records or spreadsheets.

    Static files never get here (WhiteNoise answers them first) and keep their caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class IdleSessionMiddleware:
    """Idle expiry without a session write on every request.

    SESSION_SAVE_EVERY_REQUEST made every page an UPDATE of the session row (a twelfth of
    the web processes' time in the load test). Instead a signed-in session is saved, and
    so extended by SESSION_COOKIE_AGE, when SESSION_REFRESH_SECONDS have passed since it
    was last saved: a session still ends after SESSION_COOKIE_AGE without a request, give
    or take SESSION_REFRESH_SECONDS. Listed after SessionMiddleware, whose response step
    saves the session this marks modified.
    """

    KEY = "_refreshed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or user is None or not user.is_authenticated:
            return response
        refreshed = session.get(self.KEY)
        if (
            not isinstance(refreshed, int)
            or time.time() - refreshed >= settings.SESSION_REFRESH_SECONDS
        ):
            mark_session_refreshed(session)  # modified: saved with a new expiry
        return response


def mark_session_refreshed(session) -> None:
    """Note that `session` is being saved now (on logging in, say): the next minute of
    requests need not save it again."""
    session[IdleSessionMiddleware.KEY] = int(time.time())
