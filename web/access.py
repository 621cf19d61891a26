"""Who may use a view, declared once on the view and checked here.

    from departments.roles import Role
    from web.access import require

    @require(Role.LIAISON_OR_OFFICE)
    def visit_create(request): ...

    @require(Role.LEADER_OR_OFFICE, write=Role.OFFICE)   # leaders read, the office writes
    def reports(request): ...

A rule is any callable taking the request and answering whether the user may use the view
(the rules of this app live in departments.roles; this module imports no app). Anonymous
users are sent to log in first; a refusal is 403. Which object a user may see is not a
rule's business: views fetch objects through their type's access helper (404 to
outsiders). The few views anyone may use are marked `public`.

Both decorators record the declaration on the view (`access_rule`, `access_public`), so
tests/test_permissions.py can walk the URL conf and fail on a view that declares nothing.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

AccessRule = Callable[..., bool]

# Methods that only read; any other method is a write (the `write` rule applies).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def require(rule: AccessRule, *, write: AccessRule | None = None):
    """View decorator: log in first, then 403 unless `rule(request)` allows the user.

    `write`, when given, is the rule for requests that change something (POST…), for views
    that show a page to more people than may submit it.
    """

    def decorator(view):
        @login_required  # the same redirect to log in as everywhere in Django
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            applies = write if write is not None and request.method not in SAFE_METHODS else rule
            if not applies(request):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.access_rule = rule
        wrapped.access_write_rule = write
        return wrapped

    return decorator


def public(view):
    """Mark a view anyone may use, logged in or not (log-in, health check, language)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    wrapped.access_public = True
    return wrapped


def declaration(view) -> AccessRule | bool | None:
    """What `view` declares: its rule, True when public, None when it declares nothing."""
    if getattr(view, "access_public", False):
        return True
    return getattr(view, "access_rule", None)
