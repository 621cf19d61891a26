"""Who may see the league pages: one place, used by every league view."""

from django.core.exceptions import PermissionDenied

from departments.roles import Roles, roles_of


def require_league_reader(request) -> Roles:
    """Liaisons, the office and leaders see the league (DOMAIN.md); staff do not."""
    roles = roles_of(request.user)
    if not (roles.can_read_all or roles.is_liaison):
        raise PermissionDenied
    return roles
