"""Accounts (等保 2.0 level 2): password rules, lock-out, idle expiry, forced change, the
office's account pages, and every login, logout, failure and lock-out logged."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import ChangeAddress, Profile, SecurityEvent
from accounts.validators import ComplexityValidator, character_classes
from departments.models import Person
from tests.conftest import make_person

Kind = SecurityEvent.Kind
PASSWORD = "Pass-word-2026"  # conftest's make_person
HOME = "/"
LOGIN = "/accounts/login/"
HERE, THERE = "10.1.2.3", "10.9.8.7"


@pytest.fixture(autouse=True)
def _now(time_machine, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def login(client, username, password, address=HERE):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def kinds(**filters) -> list[str]:
    return list(
        SecurityEvent.objects.filter(**filters).order_by("id").values_list("kind", flat=True)
    )


# Password rules ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "classes"),
    [
        ("abcdefgh", {"lower"}),
        ("Abcdefgh", {"upper", "lower"}),
        ("Abcdefg1", {"upper", "lower", "digit"}),
        ("abc-1234", {"lower", "digit", "other"}),
        ("招商引资abc1", {"lower", "digit", "other"}),
    ],
)
def test_character_classes(password, classes):
    assert character_classes(password) == classes


@pytest.mark.parametrize("password", ["abcdefgh1", "ABCDEFGH1", "abcdEFGH", "zhaoshang2026"])
def test_two_classes_are_not_enough(password):
    with pytest.raises(ValidationError) as excinfo:
        ComplexityValidator(min_length=8, min_classes=3).validate(password)
    assert "至少3类" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1-", "至少需要8个字符"),
        ("qwertyui", "至少3类"),
        ("12345678", "只包含数字"),
    ],
)
def test_settings_refuse_weak_passwords_in_chinese(db, password, message):
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as excinfo:
            validate_password(password)
        assert any(message in m for m in excinfo.value.messages), excinfo.value.messages


def test_settings_accept_three_classes_of_eight(db):
    validate_password("Zhaoshang-2026")
    validate_password("zhaoshang2026!")


# Logins, logouts, failures and lock-out ---------------------------------------------------
def test_login_and_logout_are_logged_with_the_address(client, liaison):
    response = login(client, "liaison_commerce", PASSWORD)
    assert response.status_code == 302
    client.post(reverse("logout"), REMOTE_ADDR=HERE)

    events = list(SecurityEvent.objects.order_by("id"))
    assert [e.kind for e in events] == [Kind.LOGIN, Kind.LOGOUT]
    assert all(e.user == liaison and e.address == HERE for e in events)


def test_failed_login_is_logged_without_the_password(client, liaison):
    from axes.models import AccessAttempt

    response = login(client, "liaison_commerce", "wrong-Password-1")
    assert response.status_code == 200
    assert "请输入一个正确的用户名和密码" in response.content.decode()
    event = SecurityEvent.objects.get()
    assert (event.kind, event.username, event.address, event.user) == (
        Kind.LOGIN_FAILED,
        "liaison_commerce",
        HERE,
        None,
    )
    assert "wrong-Password-1" not in AccessAttempt.objects.get().post_data


def test_five_failures_lock_username_and_address_for_30_minutes(client, liaison, time_machine):
    for _ in range(4):
        assert login(client, "liaison_commerce", "nope").status_code == 200
    fifth = login(client, "liaison_commerce", "nope")
    assert fifth.status_code == 429
    assert "已被锁定 30 分钟" in fifth.content.decode()

    # Locked: even the right password is refused, from this address.
    locked = login(client, "liaison_commerce", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # The lock is on username AND address: the same user elsewhere, another user here, log in.
    assert login(client, "liaison_commerce", PASSWORD, address=THERE).status_code == 302
    client.logout()
    make_person("someone_else")
    assert login(client, "someone_else", PASSWORD).status_code == 302
    client.logout()

    assert Kind.LOCKED_OUT in kinds(username="liaison_commerce", address=HERE)
    assert kinds(username="liaison_commerce").count(Kind.LOGIN_FAILED) >= 5

    # 30 minutes after the last attempt the lock is gone.
    time_machine.shift(timedelta(minutes=31))
    assert login(client, "liaison_commerce", PASSWORD).status_code == 302


def test_a_success_resets_the_failure_count(client, liaison):
    for _ in range(4):
        login(client, "liaison_commerce", "nope")
    assert login(client, "liaison_commerce", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert login(client, "liaison_commerce", "nope").status_code == 200


def test_lockout_settings_are_the_required_ones(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=30)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_forwarded_for_is_ignored_without_a_trusted_proxy(client, liaison):
    """Otherwise a client could name any address and walk around the lock-out."""
    for _ in range(5):
        login(client, "liaison_commerce", "nope")
    response = client.post(
        LOGIN,
        {"username": "liaison_commerce", "password": PASSWORD},
        REMOTE_ADDR=HERE,
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_client_is_the_proxys_entry(client, liaison, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    login_kwargs = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": f"1.1.1.1, {HERE}"}
    client.post(LOGIN, {"username": "liaison_commerce", "password": "nope"}, **login_kwargs)
    assert SecurityEvent.objects.get().address == HERE  # not the forged 1.1.1.1


# Idle expiry -------------------------------------------------------------------------------
def test_session_ends_after_30_idle_minutes_and_each_request_extends_it(
    client, liaison, time_machine, settings
):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    login(client, "liaison_commerce", PASSWORD)
    for _ in range(3):  # active for 75 minutes, never idle 30
        time_machine.shift(timedelta(minutes=25))
        assert client.get(HOME).status_code == 200
    time_machine.shift(timedelta(minutes=31))
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_request_within_a_minute_of_the_last_save_writes_no_session(
    client, liaison, time_machine, settings
):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_REFRESH_SECONDS == 60
    login(client, "liaison_commerce", PASSWORD)
    expiry = Session.objects.get().expire_date
    time_machine.shift(timedelta(seconds=30))
    assert client.get(HOME).status_code == 200
    assert Session.objects.get().expire_date == expiry  # not written
    time_machine.shift(timedelta(seconds=31))
    assert client.get(HOME).status_code == 200
    assert Session.objects.get().expire_date > expiry  # extended


# The office's account pages ---------------------------------------------------------------
@pytest.fixture
def office_client(client, office):
    client.force_login(office)
    return client


def create(client, **data):
    payload = {"username": "liaison_new", "name": "新联络员", "phone": ""}
    payload.update(data)
    return client.post(reverse("accounts:person_create"), payload, REMOTE_ADDR=HERE)


def shown_password(response) -> str:
    page = response.content.decode()
    start = page.index('class="temporary-password">') + len('class="temporary-password">')
    return page[start : page.index("</code>", start)]


def test_office_creates_an_account_and_sees_its_temporary_password_once(
    office_client, office, commerce, finance
):
    response = create(office_client, liaison_for=[commerce.pk, finance.pk], department=commerce.pk)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = shown_password(response)
    validate_password(password)  # the temporary password meets the rules too

    user = get_user_model().objects.get(username="liaison_new")
    person = Person.objects.get(user=user)
    assert person.name == "新联络员" and person.department == commerce
    assert set(person.liaison_for.all()) == {commerce, finance}
    assert user.check_password(password) and password not in user.password
    assert Profile.objects.get(user=user).must_change_password
    event = SecurityEvent.objects.get(kind=Kind.ACCOUNT_CREATED)
    assert (event.user, event.username, event.address) == (office, "liaison_new", HERE)
    # The person's creation is in the audit trail, with the office's address.
    history = list(Person.history.filter(id=person.pk))  # created, then its departments set
    assert history and all(row.history_user == office for row in history)
    addresses = ChangeAddress.objects.filter(
        model="departments.Person", history_id__in=[row.pk for row in history]
    )
    assert sorted(addresses.values_list("address", flat=True)) == [HERE] * len(history)
    # The list shows the account, never the password.
    listing = office_client.get(reverse("accounts:people")).content.decode()
    assert "liaison_new" in listing and password not in listing


def test_first_login_forces_a_password_change(office_client, commerce, client_factory):
    password = shown_password(create(office_client, liaison_for=[commerce.pk]))
    person_client = client_factory()
    assert login(person_client, "liaison_new", password).status_code == 302

    for url in (HOME, reverse("projects:list"), reverse("league")):
        response = person_client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:password_change")
    page = person_client.get(reverse("accounts:password_change")).content.decode()
    assert "临时密码" in page

    weak = person_client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": "abcdefgh", "new_password2": "abcdefgh"},
    )
    assert weak.status_code == 200 and "至少3类" in weak.content.decode()
    changed = person_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": password,
            "new_password1": "Xin-Mima-2026",
            "new_password2": "Xin-Mima-2026",
        },
    )
    assert changed.status_code == 302
    assert person_client.get(HOME).status_code == 200
    user = get_user_model().objects.get(username="liaison_new")
    assert not Profile.objects.get(user=user).must_change_password
    assert Kind.PASSWORD_CHANGED in kinds(user=user)


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client


def test_accounts_not_created_by_the_office_are_not_forced(client, liaison):
    login(client, "liaison_commerce", PASSWORD)
    assert client.get(HOME).status_code == 200


def test_account_form_errors_are_chinese_and_nothing_is_saved(office_client, liaison):
    users = get_user_model().objects.count()
    no_role = create(office_client, username="nobody")
    assert "请至少选择一种角色" in no_role.content.decode()
    taken = create(office_client, username="LIAISON_COMMERCE", is_leader="on")
    assert "该用户名已被使用" in taken.content.decode()
    bad = create(office_client, username="有 空格", is_leader="on")
    assert "用户名" in bad.content.decode() and bad.status_code == 200
    assert get_user_model().objects.count() == users
    assert not SecurityEvent.objects.filter(kind=Kind.ACCOUNT_CREATED).exists()


def test_deactivation_ends_open_sessions_and_refuses_logins(office_client, client_factory, liaison):
    liaison_client = client_factory()
    login(liaison_client, "liaison_commerce", PASSWORD)
    assert liaison_client.get(HOME).status_code == 200

    url = reverse("accounts:person_active", args=[liaison.pk])
    assert office_client.post(url, {"action": "deactivate"}).status_code == 302
    liaison.refresh_from_db()
    assert not liaison.is_active
    assert liaison_client.get(HOME).status_code == 302  # logged out
    refused = login(liaison_client, "liaison_commerce", PASSWORD)
    assert refused.status_code == 200  # the login form again, with its error
    assert liaison_client.get(HOME).status_code == 302

    office_client.post(url, {"action": "reactivate"})
    assert login(liaison_client, "liaison_commerce", PASSWORD).status_code == 302
    logged = kinds(username="liaison_commerce")
    assert {Kind.ACCOUNT_DEACTIVATED, Kind.LOGIN_FAILED, Kind.ACCOUNT_REACTIVATED} <= set(logged)


def test_the_office_cannot_deactivate_itself(office_client, office):
    response = office_client.post(
        reverse("accounts:person_active", args=[office.pk]), {"action": "deactivate"}, follow=True
    )
    assert "不能停用自己的账号" in response.content.decode()
    office.refresh_from_db()
    assert office.is_active


def test_reset_password_shows_a_new_one_and_forces_a_change(office_client, liaison):
    response = office_client.post(reverse("accounts:person_reset_password", args=[liaison.pk]))
    password = shown_password(response)
    liaison.refresh_from_db()
    assert liaison.check_password(password) and not liaison.check_password(PASSWORD)
    assert Profile.objects.get(user=liaison).must_change_password
    assert SecurityEvent.objects.filter(kind=Kind.PASSWORD_RESET, username="liaison_commerce")


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "accounts:people", []),
        ("get", "accounts:person_create", []),
        ("post", "accounts:person_active", ["pk"]),
        ("post", "accounts:person_reset_password", ["pk"]),
        ("get", "audit:changes", []),
        ("get", "audit:security", []),
    ],
)
def test_only_the_office_manages_accounts_and_reads_the_audit_log(
    client, liaison, leader, staff_member, method, name, args
):
    url = reverse(name, args=[liaison.pk if a == "pk" else a for a in args])
    anonymous = getattr(client, method)(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(LOGIN)
    for user in (liaison, leader, staff_member):
        client.force_login(user)
        assert getattr(client, method)(url, {"action": "deactivate"}).status_code == 403
    liaison.refresh_from_db()
    assert liaison.is_active and liaison.check_password(PASSWORD)


def test_people_list_filters_and_exports(office_client, liaison, other_liaison, leader, commerce):
    page = office_client.get(reverse("accounts:people"), {"role": "liaison"}).content.decode()
    assert "liaison_commerce" in page and "liaison_finance" in page and ">leader<" not in page
    page = office_client.get(
        reverse("accounts:people"), {"department": commerce.pk}
    ).content.decode()
    assert "liaison_commerce" in page and "liaison_finance" not in page
    export = office_client.get(reverse("accounts:people"), {"_export": "csv"})
    assert export["Content-Disposition"].startswith("attachment;")
    assert "联络员（商务局）" in export.content.decode("utf-8-sig")


def test_people_list_costs_the_same_queries_for_few_and_many_people(
    office_client, commerce, finance
):
    url = reverse("accounts:people")

    def count() -> int:
        office_client.get(url)  # warm caches (content types, translations) outside the count
        with CaptureQueriesContext(connection) as ctx:
            assert office_client.get(url).status_code == 200
        return len(ctx)

    def add(n, start):
        for i in range(start, start + n):
            liaison_for = [commerce, finance] if i % 3 == 0 else []
            make_person(f"p{i:03d}", department=commerce, liaison_for=liaison_for)

    add(2, 0)
    few = count()
    add(30, 2)  # more than a page (25 rows)
    # Expected: session; the user joined to their person and liaison departments (roles:
    # one, accounts.backends); the count; the page of users with their person, department
    # and profile; the page's liaison departments (prefetch); the filter form's department
    # choices; the header's unread notifications count.
    assert count() == few == 7


def test_admin_shows_security_events_read_only(client, db):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("root", password="Root-pass-2026")
    client.force_login(admin)
    event = SecurityEvent.objects.create(kind=Kind.LOGIN, username="x")
    assert client.get(reverse("admin:accounts_securityevent_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_securityevent_add")).status_code == 403
    client.post(reverse("admin:accounts_securityevent_delete", args=[event.pk]), {"post": "yes"})
    assert SecurityEvent.objects.filter(pk=event.pk).exists()
