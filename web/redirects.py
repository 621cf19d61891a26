"""Where to send a user back to: only ever a page of this site.

Every `next` in the app (a hidden field, a query parameter, a cancel link) goes through
`safe_next`: `javascript:…`, `https://elsewhere`, `//elsewhere` and the like fall back
to the default.
"""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, *, default: str) -> str:
    """The `next` of the POST data or the query string when it is a URL of this site,
    else `default` (a URL)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
