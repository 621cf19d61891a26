"""The audit log (/audit/): every change to counted records and settings, who, when, from
which address, before and after; filterable, exportable, read-only, kept six months."""

import csv
import html
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ChangeAddress, SecurityEvent
from audit import changes as audit
from audit.retention import purge_audit
from competition.models import Competition, MetricWeight, Quota
from projects.models import Milestone, Project, Stage
from tests.conftest import download_name, make_milestone, make_project, make_visit

pytestmark = pytest.mark.django_db

CHANGES = reverse("audit:changes")
SECURITY = reverse("audit:security")
LIAISON_ADDRESS, OFFICE_ADDRESS = "10.20.0.7", "10.20.0.9"


@pytest.fixture(autouse=True)
def _today(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()  # upload rate limits count per user and minute; ids and clocks repeat
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def as_office(client, office):
    client.force_login(office)
    return client


@pytest.fixture
def liaison_client(liaison):
    from django.test import Client

    c = Client(REMOTE_ADDR=LIAISON_ADDRESS)
    c.force_login(liaison)
    return c


@pytest.fixture
def project(commerce):
    return make_project(commerce, code="SW-001", name="新能源电池项目")


def edit_project(client, project, **changes):
    """Post the edit form as the browser does (with its hidden fields, if it has any)."""
    url = reverse("projects:edit", args=[project.pk])
    hidden = dict(
        re.findall(
            r'type="hidden" name="([^"]+)" value="([^"]*)"', client.get(url).content.decode()
        )
    )
    project.refresh_from_db()
    data = {
        **{k: html.unescape(v) for k, v in hidden.items() if k != "csrfmiddlewaretoken"},
        "name": project.name,
        "code": project.code,
        "investor": project.investor,
        "department": project.department_id,
        "responsible_person": project.responsible_person,
        "industry": project.industry,
        "zone": "",
        "origin_region": "",
        "source_channel": "",
    }
    data.update(changes)
    return client.post(url, data)


def page(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_a_liaisons_edit_shows_who_when_where_before_and_after(liaison_client, as_office, project):
    assert edit_project(liaison_client, project, responsible_person="王明").status_code == 302

    html = page(as_office.get(CHANGES))
    assert "商务联络员（liaison_commerce）" in html
    assert LIAISON_ADDRESS in html
    assert "SW-001 新能源电池项目" in html and "商务局" in html
    assert "责任人" in html and "<ins>王明</ins>" in html
    assert "2026-06-30 10:00:00" in html
    row = Project.history.filter(id=project.pk).latest("history_id")
    assert ChangeAddress.objects.get(model="projects.Project", history_id=row.pk).address == (
        LIAISON_ADDRESS
    )


def test_bulk_reviews_get_the_office_address_too(client, office, project):
    """Reviews write history in bulk (no signal): the middleware finds those rows."""
    m = make_milestone(project, Stage.INTENT, date(2026, 3, 1), status="pending")
    client.force_login(office)
    client.post(
        reverse("projects:queue_bulk"),
        {"action": "verify", "milestone": [m.pk]},
        REMOTE_ADDR=OFFICE_ADDRESS,
    )
    verified = Milestone.history.filter(id=m.pk).latest("history_id")
    assert verified.status == "verified" and verified.history_user == office
    assert ChangeAddress.objects.get(
        model="projects.Milestone", history_id=verified.pk
    ).address == (OFFICE_ADDRESS)
    html = page(client.get(CHANGES))
    assert "核实通过" in html and "<ins>已核实</ins>" in html and OFFICE_ADDRESS in html


def test_settings_changes_are_listed(as_office, commerce, office):
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 6, 1), end_date=date(2026, 9, 8)
    )
    quota = Quota.objects.create(competition=comp, department=commerce, signed_projects=2)
    quota.signed_projects = 3
    quota.save()
    MetricWeight.objects.create(competition=comp, metric="signed_projects", weight=Decimal("25"))

    html = page(as_office.get(CHANGES))
    assert "百日竞赛 · 商务局" in html and "<del>2</del> → <ins>3</ins>" in html
    assert "百日竞赛 · 签约项目" in html and "<ins>25</ins>" in html
    assert "竞赛" in html and "系统" in html  # created outside a request


def test_person_liaison_departments_changes_are_named(as_office, liaison, finance, commerce):
    liaison.person.liaison_for.add(finance)
    html = page(as_office.get(CHANGES, {"model": "departments.Person"}))
    assert "<del>商务局</del> → <ins>商务局、财政局</ins>" in html


def test_filters_by_model_user_dates_and_department(
    liaison_client, as_office, office, project, finance, time_machine
):
    other = make_project(finance, code="CZ-001", name="财政项目")
    edit_project(liaison_client, project, responsible_person="王明")
    time_machine.shift(timedelta(days=2))
    make_visit(finance, date(2026, 6, 30))
    as_office.force_login(office)  # two idle days ended the session

    def subjects(**query):
        html = page(as_office.get(CHANGES, query))
        return {s for s in ("SW-001", "CZ-001", "06-30 客商") if s in html}

    assert subjects() == {"SW-001", "CZ-001", "06-30 客商"}
    assert subjects(model="projects.Visit") == {"06-30 客商"}
    assert subjects(department=finance.pk) == {"CZ-001", "06-30 客商"}
    assert subjects(user=project.history.latest("history_id").history_user_id) == {"SW-001"}
    assert subjects(date_from="2026-07-02") == {"06-30 客商"}
    assert subjects(date_to="2026-06-30") == {"SW-001", "CZ-001"}
    # Bad filters are refused in Chinese and list nothing, never a server error.
    html = page(as_office.get(CHANGES, {"date_from": "2026-07-02", "date_to": "2026-06-01"}))
    assert "截止日期不能早于起始日期" in html and "SW-001" not in html
    html = page(as_office.get(CHANGES, {"model": "auth.User", "department": "x", "user": "-1"}))
    assert "没有符合条件的修改记录" in html
    assert other.pk


def test_export_csv_and_xlsx_with_formulas_neutralised(as_office, liaison_client, commerce):
    from departments.models import Department

    evil_department = Department.objects.create(name="=1+2", order=9)
    make_project(evil_department, code="EV-001", name='=HYPERLINK("http://x","点击")')
    project = make_project(commerce, code="EV-002")
    edit_project(liaison_client, project, responsible_person="+cmd|' /C calc'!A0")

    response = as_office.get(CHANGES, {"_export": "csv"})
    assert response["Content-Disposition"].startswith("attachment;")
    assert download_name(response) == "修改记录-2026-06-30.csv"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间", "操作人", "IP地址"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'=1+2" in cells  # the department column of EV-001's row
    assert any("+cmd|" in cell for cell in cells)

    response = as_office.get(CHANGES, {"_export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "'=1+2" in values
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_change_log_costs_the_same_queries_for_few_and_many_rows(
    as_office, office, liaison_client, liaison, commerce, finance, project, time_machine
):
    # The people and departments of the fixtures were created today; the rows counted
    # are those of tomorrow (the filter keeps the same kinds of record on both pages).
    time_machine.shift(timedelta(days=1))
    as_office.force_login(office)
    liaison_client.force_login(liaison)
    tomorrow = {"date_from": "2026-07-01"}

    def count() -> int:
        as_office.get(CHANGES, tomorrow)
        with CaptureQueriesContext(connection) as ctx:
            assert as_office.get(CHANGES, tomorrow).status_code == 200
        return len(ctx)

    def one_of_each_kind(n):
        # A second apart: the page (newest first) then holds every kind, whatever the ids.
        time_machine.shift(timedelta(seconds=1))
        p = make_project(finance if n % 2 else commerce, code=f"N-{n:03d}")
        make_milestone(p, Stage.INTENT, date(2026, 3, 1), status="pending")
        make_visit(commerce, date(2026, 3, n + 1))
        edit_project(liaison_client, project, responsible_person=f"乙{n}")
        Competition.objects.create(
            name=f"竞赛{n}", start_date=date(2026, 6, 1), end_date=date(2026, 9, 8)
        )

    one_of_each_kind(0)
    few = count()
    for n in range(1, 13):  # more than a page (25 rows)
        one_of_each_kind(n)
    # Expected: session, user with person and liaison departments (roles: 2); the union's
    # count and page (2); per kind of record on the page its rows (projects, milestones,
    # visits, competitions: 4) and the earlier rows of those edited (projects: 1);
    # addresses (1); names of users, departments, projects (3); the filter form's user
    # and department choices (2); the session's save (SQLite: savepoint, update, release).
    assert count() == few <= 20


def test_security_log_lists_filters_and_exports(as_office, liaison):
    from django.test import Client

    Client().post(
        reverse("login"), {"username": "liaison_commerce", "password": "x"}, REMOTE_ADDR="10.0.0.5"
    )
    html = page(as_office.get(SECURITY, {"kind": "login_failed"}))
    assert "liaison_commerce" in html and "10.0.0.5" in html and "登录失败" in html
    assert "liaison_commerce" not in page(as_office.get(SECURITY, {"kind": "logout"}))
    assert "10.0.0.5" in page(as_office.get(SECURITY, {"address": "10.0.0.5"}))
    # Not an address: nothing matches (PostgreSQL would refuse the comparison).
    assert "没有符合条件的安全事件" in page(as_office.get(SECURITY, {"address": "' OR 1=1 --"}))
    export = as_office.get(SECURITY, {"_export": "csv"}).content.decode("utf-8-sig")
    assert "登录失败" in export and "liaison_commerce" in export


def test_security_log_costs_the_same_queries_for_few_and_many_events(
    as_office, office, liaison, staff_member
):
    def count() -> int:
        as_office.get(SECURITY)  # warm caches outside the count
        with CaptureQueriesContext(connection) as ctx:
            assert as_office.get(SECURITY).status_code == 200
        return len(ctx)

    def events(n):
        for i in range(n):
            SecurityEvent.objects.create(
                kind=SecurityEvent.Kind.LOGIN,
                user=[office, liaison, staff_member, None][i % 4],
                username=f"user{i}",
                address=f"10.0.0.{i % 250}",
            )

    events(2)
    few = count()
    events(30)  # more than a page (25 rows)
    # Expected: session, user with person and liaison departments (roles: 2); the count;
    # the page of events with their user and person; the header's unread notifications count.
    assert count() == few == 5


def test_audit_pages_change_nothing(as_office, project):
    rows = sum(audit.history_model(label).objects.count() for label in audit.AUDITED)
    events = SecurityEvent.objects.count()
    for url in (CHANGES, SECURITY):
        assert as_office.post(url, {"delete": "1"}).status_code == 405
    assert sum(audit.history_model(label).objects.count() for label in audit.AUDITED) == rows
    assert SecurityEvent.objects.count() == events


def test_history_and_events_are_not_changeable_in_the_admin():
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        name = model.__name__
        if name.startswith("Historical") or model in (ChangeAddress, SecurityEvent):
            assert not model_admin.has_change_permission(_superuser_request()), name
            assert not model_admin.has_delete_permission(_superuser_request()), name


def _superuser_request():
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return request


# Retention -------------------------------------------------------------------------------
def test_purge_deletes_only_rows_older_than_the_retention(commerce, settings, time_machine):
    settings.AUDIT_RETENTION_DAYS = 184
    old_project = make_project(commerce, code="OLD-1")
    old_project.name = "改过一次"
    old_project.save()  # two rows, both old
    SecurityEvent.objects.create(kind="login", username="old")
    time_machine.shift(timedelta(days=100))
    recent = make_project(commerce, code="NEW-1")
    SecurityEvent.objects.create(kind="login", username="recent")
    time_machine.shift(timedelta(days=90))  # the first rows are now 190 days old

    dry = purge_audit(dry_run=True)
    assert dry.deleted["projects.Project history"] == 1
    assert Project.history.count() == 3

    report = purge_audit()
    assert report.deleted["projects.Project history"] == 1  # the older row of OLD-1
    assert report.deleted["accounts.SecurityEvent"] == 1
    # OLD-1 keeps its newest row: the next change of it is compared with that.
    assert Project.history.filter(id=old_project.pk).get().name == "改过一次"
    assert Project.history.filter(id=recent.pk).exists()
    assert list(SecurityEvent.objects.values_list("username", flat=True)) == ["recent"]


def test_retention_is_never_less_than_six_months(commerce, settings, time_machine):
    settings.AUDIT_RETENTION_DAYS = 30
    project = make_project(commerce, code="P-1")
    project.name = "x"
    project.save()
    time_machine.shift(timedelta(days=100))
    assert purge_audit().total == 0
    assert Project.history.count() == 2


def test_the_purge_is_a_command_and_a_nightly_task(commerce, time_machine):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="accounts.tasks.purge_old_audit_rows").exists()
    out = io.StringIO()
    call_command("purge_audit", "--dry-run", stdout=out)
    assert "would delete 0 rows" in out.getvalue()
    from audit.tasks import purge_old_audit_rows

    assert purge_old_audit_rows() == 0


def test_default_retention_is_184_days(settings):
    assert settings.AUDIT_RETENTION_DAYS == 184
