"""departments.roles: what each persona of DOMAIN.md may do."""

import pytest
from django.contrib.auth.models import AnonymousUser, User

from departments.roles import (
    LEADER,
    LIAISON,
    NO_ROLES,
    OFFICE,
    STAFF,
    Role,
    Roles,
    roles_of,
    signed_in_user,
)
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def test_staff_member(staff_member, commerce, finance):
    roles = roles_of(staff_member)
    assert roles == Roles(staff_department_id=commerce.id, person_name="商务职工")
    assert roles.primary == STAFF
    assert roles.is_staff_member and not roles.is_liaison
    # Staff follow the leads they submitted themselves, not the department's records.
    assert not roles.can_write_department(commerce.id)
    assert not roles.can_read_department(commerce.id)
    assert not roles.can_read_department(finance.id)
    assert not roles.can_read_all


def test_liaison_writes_and_reads_only_their_own_department(liaison, commerce, finance):
    roles = roles_of(liaison)
    assert roles.primary == LIAISON
    assert roles.liaison_department_ids == frozenset({commerce.id})
    assert roles.staff_department_id == commerce.id
    assert roles.person_name == "商务联络员"
    assert roles.can_write_department(commerce.id)
    assert roles.can_read_department(commerce.id)
    assert not roles.can_write_department(finance.id)
    assert not roles.can_read_department(finance.id)
    assert not roles.can_read_all


def test_other_liaison_is_the_mirror_image(other_liaison, commerce, finance):
    roles = roles_of(other_liaison)
    assert roles.can_write_department(finance.id)
    assert not roles.can_write_department(commerce.id)
    assert not roles.can_read_department(commerce.id)


def test_liaison_of_two_departments(commerce, finance, groups):
    from departments.models import Department

    education = Department.objects.create(name="教育局", group=groups["party"])
    user = make_person("liaison_two", department=commerce, liaison_for=[commerce, finance])
    roles = roles_of(user)
    assert roles.primary == LIAISON
    assert roles.liaison_department_ids == frozenset({commerce.id, finance.id})
    for department in (commerce, finance):
        assert roles.can_write_department(department.id)
        assert roles.can_read_department(department.id)
    assert not roles.can_write_department(education.id)
    assert not roles.can_read_department(education.id)


def test_office_writes_and_reads_every_department(office, commerce, finance):
    roles = roles_of(office)
    assert roles.primary == OFFICE
    assert roles.is_office and roles.can_read_all
    for department in (commerce, finance):
        assert roles.can_write_department(department.id)
        assert roles.can_read_department(department.id)


def test_leader_reads_everything_and_changes_nothing(leader, commerce, finance):
    roles = roles_of(leader)
    assert roles.primary == LEADER
    assert roles.can_read_all
    for department in (commerce, finance):
        assert roles.can_read_department(department.id)
        assert not roles.can_write_department(department.id)


def test_office_wins_over_leader_and_liaison_as_primary_role(commerce):
    user = make_person(
        "both", department=commerce, liaison_for=[commerce], office=True, leader=True
    )
    roles = roles_of(user)
    assert roles.primary == OFFICE
    assert roles.is_leader and roles.is_liaison


def test_leader_who_is_also_a_liaison_writes_only_there(commerce, finance):
    user = make_person("leader_liaison", liaison_for=[commerce], leader=True)
    roles = roles_of(user)
    assert roles.primary == LEADER
    assert roles.can_write_department(commerce.id)
    assert not roles.can_write_department(finance.id)
    assert roles.can_read_department(finance.id)


def test_user_without_person_has_no_role(commerce):
    user = User.objects.create_user("nobody", password="Pass-word-2026")
    roles = roles_of(user)
    assert roles == NO_ROLES
    assert roles.primary is None
    assert not roles.can_write_department(commerce.id)
    assert not roles.can_read_department(commerce.id)


def test_superuser_without_person_acts_as_office(commerce):
    user = User.objects.create_superuser("root", password="Pass-word-2026")
    roles = roles_of(user)
    assert roles.primary == OFFICE
    assert roles.can_write_department(commerce.id)
    assert roles.can_read_department(commerce.id)


def test_superuser_with_person_keeps_their_other_roles(commerce):
    user = make_person("root_liaison", liaison_for=[commerce])
    user.is_superuser = True
    user.save()
    roles = roles_of(User.objects.get(pk=user.pk))
    assert roles.primary == OFFICE
    assert roles.liaison_department_ids == frozenset({commerce.id})


@pytest.mark.parametrize("user", [AnonymousUser(), None], ids=["anonymous", "no-user"])
def test_anonymous_has_no_role(commerce, user):
    roles = roles_of(user)
    assert roles is NO_ROLES
    assert roles.primary is None
    assert not roles.can_write_department(commerce.id)
    assert not roles.can_read_department(commerce.id)


def test_roles_are_read_once_per_user_object(liaison, django_assert_num_queries):
    # Person with its liaison departments: one query (a row per department).
    with django_assert_num_queries(1):
        first = roles_of(liaison)
    with django_assert_num_queries(0):
        assert roles_of(liaison) is first


# A signed-in request's user and roles in one query (accounts.backends.RolesBackend).
def _everyone(commerce, finance):
    nobody = User.objects.create_user("nobody", password="Pass-word-2026")
    root = User.objects.create_superuser("root", password="Pass-word-2026")
    return [
        make_person("staff", department=commerce),
        make_person("one", name="联络员", department=commerce, liaison_for=[commerce]),
        make_person("two", department=finance, liaison_for=[commerce, finance]),
        make_person("boss", leader=True),
        make_person("both", leader=True, liaison_for=[finance]),
        make_person("office1", office=True),
        nobody,
        root,
    ]


def test_signed_in_user_reads_the_user_and_the_same_roles_in_one_query(
    commerce, finance, django_assert_num_queries
):
    for user in _everyone(commerce, finance):
        expected = roles_of(User.objects.get(pk=user.pk))
        with django_assert_num_queries(1):
            found = signed_in_user(user.pk)
            assert roles_of(found) == expected, user.username
        assert (found.pk, found.username, found.is_active) == (user.pk, user.username, True)
        assert found.password == user.password  # the whole row: session hash checks use it


def test_signed_in_user_of_no_such_user_is_none(db):
    assert signed_in_user(10**9) is None


def test_the_backend_refuses_an_inactive_user_as_django_does(liaison):
    from accounts.backends import RolesBackend

    assert RolesBackend().get_user(liaison.pk) == liaison
    liaison.is_active = False
    liaison.save()
    assert RolesBackend().get_user(liaison.pk) is None


def test_a_signed_in_page_reads_the_person_once_with_the_user(liaison, client):
    """The page's roles come with the user: no statement reads the person alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client.force_login(liaison)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("accounts:password_change")).status_code == 200
    reads = [q["sql"] for q in queries.captured_queries if "departments_person" in q["sql"]]
    assert len(reads) == 1 and "auth_user" in reads[0]


# The rules views declare (web.access.require), as a table of DOMAIN.md's people: who
# passes each. Columns: staff, liaison, leader, office, no role, leader who is a liaison.
RULES = [
    (Role.SIGNED_IN, "yes yes yes yes yes yes"),
    (Role.OFFICE, "no  no  no  yes no  no"),
    (Role.LEADER_OR_OFFICE, "no  no  yes yes no  yes"),
    (Role.LIAISON_OR_OFFICE, "no  yes no  yes no  yes"),
    (Role.LIAISON_LEADER_OR_OFFICE, "no  yes yes yes no  yes"),
    (Role.STAFF_LIAISON_OR_OFFICE, "yes yes no  yes no  yes"),
]


@pytest.mark.parametrize(("rule", "answers"), RULES, ids=[repr(rule) for rule, _ in RULES])
def test_who_passes_each_rule(rule, answers, rf, staff_member, liaison, leader, office, commerce):
    nobody = User.objects.create_user("nobody", password="Pass-word-2026")
    both = make_person("leader_liaison", leader=True, liaison_for=[commerce])
    for user, answer in zip(
        (staff_member, liaison, leader, office, nobody, both), answers.split(), strict=True
    ):
        request = rf.get("/")
        request.user = user
        assert rule(request) is (answer == "yes"), (rule, user.username)
        assert rule.allows(roles_of(user)) is (answer == "yes")
