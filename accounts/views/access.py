"""Who may use the account and audit pages: the competition office only."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from departments.roles import roles_of


def office_only(view):
    """Log in first, then 403 unless the user is in the competition office."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not roles_of(request.user).is_office:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
