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


class AdminContentSecurityPolicyMiddleware:
    """The admin's own additions to the Content-Security-Policy (settings.ADMIN_CSP_UPDATE),
    on the admin's pages only: the rest of the site keeps the strict policy.

    Django's admin and django-simple-history's history page write a few inline styles
    (`style="…"`, a `<style>` on some changelists), which the site's `style-src 'self'`
    blocks. django-csp 4 reads per-response additions from `response._csp_update` (what its
    `csp_update` decorator sets), which cannot wrap `admin.site.urls`; so this middleware
    sets it for every response of a view in the admin's namespace. It must come after
    csp.middleware.CSPMiddleware in MIDDLEWARE, so that it runs before that one writes
    the header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.app_name == "admin":
            update = getattr(response, "_csp_update", None) or {}
            for directive, sources in settings.ADMIN_CSP_UPDATE.items():
                update[directive] = [*update.get(directive, []), *sources]
            response._csp_update = update
        return response
