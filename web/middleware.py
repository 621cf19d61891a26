"""Middleware every app relies on."""

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
