"""What a user may do, derived once per request from their Person record."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

OFFICE, LEADER, LIAISON, STAFF = "office", "leader", "liaison", "staff"
ROLE_LABELS = {OFFICE: _("竞赛办"), LEADER: _("领导"), LIAISON: _("联络员"), STAFF: _("职工")}


@dataclass(frozen=True)
class Roles:
    """The roles of one user. `primary` picks the home page and navigation."""

    is_office: bool = False
    is_leader: bool = False
    liaison_department_ids: frozenset[int] = field(default_factory=frozenset)
    staff_department_id: int | None = None
    person_name: str = ""

    @property
    def is_liaison(self) -> bool:
        return bool(self.liaison_department_ids)

    @property
    def is_staff_member(self) -> bool:
        return self.staff_department_id is not None

    @property
    def primary(self) -> str | None:
        for role, has in (
            (OFFICE, self.is_office),
            (LEADER, self.is_leader),
            (LIAISON, self.is_liaison),
            (STAFF, self.is_staff_member),
        ):
            if has:
                return role
        return None

    @property
    def can_read_all(self) -> bool:
        return self.is_office or self.is_leader

    def can_write_department(self, department_id: int) -> bool:
        """Office writes anywhere; a liaison only in their own departments; leaders never."""
        return self.is_office or department_id in self.liaison_department_ids

    def can_read_department(self, department_id: int) -> bool:
        return self.can_read_all or department_id in self.liaison_department_ids


NO_ROLES = Roles()


def roles_of(user) -> Roles:
    """Return the Roles of `user` (NO_ROLES for anonymous users or users without a Person)."""
    if not getattr(user, "is_authenticated", False):
        return NO_ROLES
    cached = getattr(user, "_roles_cache", None)
    if cached is not None:
        return cached
    from departments.models import Person

    # One query, on every signed-in request: the person's row once per liaison department
    # (one row with None when there is none).
    rows = list(
        Person.objects.filter(user=user).values_list(
            "name", "department_id", "is_office", "is_leader", "liaison_for"
        )
    )
    if not rows:
        roles = Roles(is_office=user.is_superuser)
    else:
        name, department_id, is_office, is_leader, _first = rows[0]
        roles = Roles(
            is_office=is_office or user.is_superuser,
            is_leader=is_leader,
            liaison_department_ids=frozenset(row[4] for row in rows if row[4] is not None),
            staff_department_id=department_id,
            person_name=name,
        )
    user._roles_cache = roles
    return roles


@dataclass(frozen=True)
class Rule:
    """Who may use a view: a test of the user's Roles, called with the request.

    Views declare one with web.access.require (which has already sent anonymous users to
    log in); which objects the user then sees is up to the type's access helper.
    """

    name: str
    test: Callable[[Roles], bool]

    def allows(self, roles: Roles) -> bool:
        """Whether a user with `roles` passes (for pages that show or hide a button)."""
        return self.test(roles)

    def __call__(self, request) -> bool:
        return self.test(roles_of(request.user))

    def __repr__(self) -> str:
        return f"Role.{self.name}"


class Role:
    """The rules views declare (DOMAIN.md, "People and what they may do")."""

    # Pages about one's own login (home, password): every signed-in user, even without a role.
    SIGNED_IN = Rule("SIGNED_IN", lambda roles: True)
    # Set up competitions, verify records, import ledgers, build reports, manage people.
    OFFICE = Rule("OFFICE", lambda roles: roles.is_office)
    # Reads everything (dashboard, reports, ledger export); leaders change nothing.
    LEADER_OR_OFFICE = Rule("LEADER_OR_OFFICE", lambda roles: roles.can_read_all)
    # Logs projects, milestones, receipts and visits (for their own departments).
    LIAISON_OR_OFFICE = Rule("LIAISON_OR_OFFICE", lambda roles: roles.is_office or roles.is_liaison)
    # Record lists, project pages and the league table (what a liaison sees is scoped).
    LIAISON_LEADER_OR_OFFICE = Rule(
        "LIAISON_LEADER_OR_OFFICE", lambda roles: roles.can_read_all or roles.is_liaison
    )
    # Submits leads (信息) and follows their own: any employee of a department too.
    STAFF_LIAISON_OR_OFFICE = Rule(
        "STAFF_LIAISON_OR_OFFICE",
        lambda roles: roles.is_office or roles.is_liaison or roles.is_staff_member,
    )
