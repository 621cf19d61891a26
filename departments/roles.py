"""What a user may do, derived once per request from their Person record."""

import functools
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

    # One query: the person's row once per liaison department (one row with None when
    # there is none). A signed-in request has them already (signed_in_user).
    rows = list(Person.objects.filter(user=user).values_list(*PERSON_FIELDS))
    user._roles_cache = _roles(user, rows)
    return user._roles_cache


PERSON_FIELDS = ("name", "department_id", "is_office", "is_leader", "liaison_for")


def _roles(user, rows: list[tuple]) -> Roles:
    """The Roles of `user` from their person's rows (PERSON_FIELDS; none: no Person)."""
    if not rows:
        return Roles(is_office=user.is_superuser)
    name, department_id, is_office, is_leader, _first = rows[0]
    return Roles(
        is_office=bool(is_office) or user.is_superuser,
        is_leader=bool(is_leader),
        liaison_department_ids=frozenset(row[4] for row in rows if row[4] is not None),
        staff_department_id=department_id,
        person_name=name,
    )


def signed_in_user(user_id):
    """The user `user_id` with their Roles, in one statement: the user's row joined to
    their person's rows (accounts.backends reads a signed-in request's user with it).
    None when there is no such user.

    Django read the user and then roles_of read the person: two of the four statements
    every signed-in request runs, 1.15 ms of CPU together. The same join built by the
    ORM (annotate over the person and its liaison departments) cost 0.86 ms, most of it
    building the query; written once as SQL (Manager.raw) it costs about 0.3 ms (load-test
    database on PostgreSQL, 1,000 calls; README Performance round 9)."""
    from django.contrib.auth import get_user_model

    found = list(get_user_model()._default_manager.raw(_signed_in_sql(), [user_id]))
    if not found:
        return None
    user = found[0]
    rows = [tuple(getattr(row, f"_person_{name}") for name in PERSON_FIELDS) for row in found]
    user._roles_cache = _roles(user, rows if user._person_pk is not None else [])
    return user


@functools.cache
def _signed_in_sql() -> str:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from departments.models import Person

    q = connection.ops.quote_name
    user_meta, person_meta = get_user_model()._meta, Person._meta
    liaison_for = person_meta.get_field("liaison_for")
    columns = {
        "pk": person_meta.pk.column,
        "name": person_meta.get_field("name").column,
        "department_id": person_meta.get_field("department").column,
        "is_office": person_meta.get_field("is_office").column,
        "is_leader": person_meta.get_field("is_leader").column,
    }
    selected = [f"p.{q(column)} AS {q('_person_' + name)}" for name, column in columns.items()]
    selected.append(f"l.{q(liaison_for.m2m_reverse_name())} AS {q('_person_liaison_for')}")
    return (
        f"SELECT u.*, {', '.join(selected)} FROM {q(user_meta.db_table)} u"
        f" LEFT JOIN {q(person_meta.db_table)} p"
        f" ON p.{q(person_meta.get_field('user').column)} = u.{q(user_meta.pk.column)}"
        f" LEFT JOIN {q(liaison_for.m2m_db_table())} l"
        f" ON l.{q(liaison_for.m2m_column_name())} = p.{q(person_meta.pk.column)}"
        f" WHERE u.{q(user_meta.pk.column)} = %s"
    )


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
