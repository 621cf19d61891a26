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


def is_local_path(url: str) -> bool:
    """Whether `url` is a path of this site ("/projects/1/"), never another host or a
    scheme ("//elsewhere", "https://…", "javascript:…"): links stored by other code
    (a notification's) are shown only when it is."""
    return (
        isinstance(url, str)
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(url, allowed_hosts=set())
    )
