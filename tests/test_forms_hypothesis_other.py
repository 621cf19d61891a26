"""Property-based tests (hypothesis) of the forms outside projects/, through their views,
and of the ledger importer (issue 16).

- The league, dashboard and explain pages take any query string: a page (or an export),
  never a server error; the date shown lies in the competition's window and not after
  today; nothing is written.
- The audit and people filters take any query string, and write nothing.
- Account creation and password change: a form shown again changed nothing and says why
  in Chinese; a form accepted did exactly what it says.
- The ledger upload (a dry run) takes any file and writes nothing.
- The ledger importer, given a valid workbook with random values in random cells, returns
  a report and never raises; with errors in the report it has written nothing.

Examples are bounded (EXAMPLES, default 30) and derandomised: the same every run.
"""

import io
import os
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from competition.ledger.importer import import_ledger
from competition.models import Competition, Quota
from departments.models import Person
from tests.conftest import download_name, make_milestone, make_project, make_visit
from tests.fixtures.ledger import make_workbook, sample_sheets
from tests.test_readers_never_write import database_contents

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HYPOTHESIS_OTHER_EXAMPLES", "30"))
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples every run: no flaky CI
)
TODAY = date(2026, 6, 30)
PASSWORD = "Pass-word-2026"  # tests.conftest.make_person
CJK = re.compile(r"[\u4e00-\u9fff]")
# What a browser's form post always carries (the test client does not check it): so that a
# post is never empty, which the views take as the form not sent yet.
BROWSER = {"csrfmiddlewaretoken": "x"}
ERRORS = re.compile(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)

# Text as people type it, and as attackers do (no surrogates: not encodable in a request).
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(
        ["", " ", "=1+1", "@SUM(A1)", "-2+3", "<script>x</script>", "'; --", "x" * 300, "𠀀"]
    ),
)
# The ends of the calendar (where stepping a day or a week off them overflows) and the
# bounds of web.dates, drawn often; any date; dates around the competitions; garbage.
EDGES = st.sampled_from(["0001-01-01", "9999-12-31", "1999-12-31", "2000-01-01", "2100-01-01"])
DATES = st.one_of(
    EDGES,
    EDGES,
    st.dates().map(date.isoformat),
    st.dates(min_value=date(2025, 12, 1), max_value=date(2026, 12, 31)).map(date.isoformat),
    st.sampled_from(["2026-02-30", "2026-6-1", "20260601", "-1", "2026-06-01T00:00"]),
    TEXT,
)


def maybe(strategy):
    """A value of `strategy`, or the field left out (None)."""
    return st.one_of(st.none(), strategy)


def query(**fields):
    """A query string or form: each field from its strategy or left out."""
    return st.fixed_dictionaries({k: maybe(v) for k, v in fields.items()}).map(
        lambda d: {k: v for k, v in d.items() if v is not None}
    )


@pytest.fixture(autouse=True)
def _today(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def world(commerce, finance, groups):
    """A running competition, one that ended, and a few records."""
    running = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 6, 1), end_date=date(2026, 9, 8)
    )
    ended = Competition.objects.create(
        name="春季竞赛", start_date=date(2026, 3, 1), end_date=date(2026, 6, 8)
    )
    for competition in (running, ended):
        for department in (commerce, finance):
            Quota.objects.create(competition=competition, department=department, visit_batches=2)
    project = make_project(commerce, "SW-001", name="新能源电池项目")
    make_milestone(project, 2, date(2026, 6, 10))
    make_visit(commerce, date(2026, 6, 5))
    return {"competitions": [running, ended], "groups": list(groups.values())}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ids(objects):
    """Ids of existing objects, mixed with anything else a query string may carry."""
    return st.one_of(st.sampled_from([str(o.pk) for o in objects]), TEXT)


def _in_window(response):
    """The date a league page shows lies in its competition's window, not after today."""
    competition, as_of = response.context.get("competition"), response.context.get("as_of")
    if competition is not None and response.context.get("table", True) is not None:
        latest = min(competition.end_date, TODAY)
        assert min(competition.start_date, latest) <= as_of <= latest


# League, dashboard, explain ---------------------------------------------------------------
@HYPOTHESIS
@given(data=st.data())
def test_league_query_string(world, leader, data):
    params = data.draw(
        query(
            competition=ids(world["competitions"]),
            as_of=DATES,
            group=ids(world["groups"]),
            _export=st.sampled_from(["csv", "xlsx", "pdf", ""]),
            sort=st.sampled_from(["rank", "-score", "nonsense"]),
        )
    )
    client = logged_in(leader)
    before = database_contents()
    response = client.get(reverse("league"), params)
    assert response.status_code == 200
    event("export" if response.has_header("Content-Disposition") else "page")
    if response.has_header("Content-Disposition"):
        assert download_name(response).endswith(f".{params['_export']}")
    else:
        _in_window(response)
    assert database_contents() == before


@HYPOTHESIS
@given(data=st.data())
def test_dashboard_query_string(world, leader, data):
    params = data.draw(query(competition=ids(world["competitions"]), as_of=DATES))
    client = logged_in(leader)
    before = database_contents()
    response = client.get(reverse("dashboard"), params)
    assert response.status_code == 200
    _in_window(response)
    assert database_contents() == before


@HYPOTHESIS
@given(data=st.data())
def test_explain_and_records_query_string(world, leader, commerce, data):
    competition = data.draw(st.sampled_from(world["competitions"]))
    metric = data.draw(st.sampled_from(["visit_batches", "signed_projects", "funds_amount"]))
    params = data.draw(query(as_of=DATES, page=TEXT))
    client = logged_in(leader)
    before = database_contents()
    for url in (
        reverse("league_explain", args=[competition.pk, commerce.pk]),
        reverse("league_records", args=[competition.pk, commerce.pk, metric]),
    ):
        response = client.get(url, params)
        assert response.status_code in (200, 404)  # 404: a page number past the end
        if response.status_code == 200:
            _in_window(response)
    assert database_contents() == before


# Audit and people filters ---------------------------------------------------------------
@HYPOTHESIS
@given(data=st.data())
def test_audit_filters(world, office, data):
    users = list(get_user_model().objects.all())
    changes = data.draw(
        query(
            model=st.one_of(st.sampled_from(["project", "visit", "milestone"]), TEXT),
            user=ids(users),
            date_from=DATES,
            date_to=DATES,
            department=TEXT,
            _export=st.sampled_from(["csv", "xlsx", "x"]),
            page=TEXT,
        )
    )
    security = data.draw(
        query(
            kind=st.one_of(st.sampled_from(["login", "login_failed"]), TEXT),
            username=TEXT,
            address=st.one_of(st.sampled_from(["10.0.0.1", "::1", "300.1.1.1"]), TEXT),
            date_from=DATES,
            date_to=DATES,
            _export=st.sampled_from(["csv", "xlsx", "x"]),
        )
    )
    client = logged_in(office)
    before = database_contents()
    for url, params in ((reverse("audit:changes"), changes), (reverse("audit:security"), security)):
        response = client.get(url, params)
        assert response.status_code in (200, 404), (url, params)
    assert database_contents() == before


@HYPOTHESIS
@given(data=st.data())
def test_people_filter(world, office, data):
    params = data.draw(
        query(
            q=TEXT,
            department=TEXT,
            role=st.one_of(st.sampled_from(["office", "leader", "liaison", "staff"]), TEXT),
            is_active=st.sampled_from(["true", "false", "", "x"]),
            _export=st.sampled_from(["csv", "xlsx"]),
        )
    )
    client = logged_in(office)
    before = database_contents()
    assert client.get(reverse("accounts:people"), params).status_code in (200, 404)
    assert database_contents() == before


# Account creation and password change ---------------------------------------------------
def _people_state():
    User = get_user_model()
    return (
        list(User.objects.order_by("pk").values_list("username", "password", "is_active")),
        list(Person.objects.order_by("pk").values()),
    )


def _refused_in_chinese(response):
    assert response.status_code == 200
    html = response.content.decode()
    assert CJK.search(" ".join(ERRORS.findall(html))), html[:1500]


def mutated(data, valid: dict, junk: dict) -> dict:
    """`valid` with up to two fields replaced by a value of their `junk` strategy or left
    out: about a third of the examples stay valid, the rest are refused one way or another."""
    form = dict(valid)
    for name in data.draw(st.lists(st.sampled_from(sorted(junk)), max_size=2, unique=True)):
        value = data.draw(maybe(junk[name]))
        if value is None:
            form.pop(name, None)
        else:
            form[name] = value
    return form


@HYPOTHESIS
@given(data=st.data())
def test_account_creation(world, office, commerce, finance, data):
    valid = {
        "username": data.draw(st.from_regex(r"\A[a-z][a-z0-9_]{2,20}\Z")),
        "name": data.draw(st.sampled_from(["张三", " 李四 ", "Wang Wu"])),
        "department": str(commerce.pk),
        "is_leader": "on",
    }
    junk = {
        "username": st.one_of(TEXT, st.just("office"), st.just("OFFICE")),  # taken, any case
        "name": TEXT,
        "phone": TEXT,
        "department": ids([commerce, finance]),
        "liaison_for": st.lists(ids([commerce, finance]), max_size=3),
        "is_office": st.sampled_from(["on", "", "x"]),
        "is_leader": st.sampled_from(["", "off"]),
    }
    form = mutated(data, valid, junk)
    before = _people_state()
    response = logged_in(office).post(reverse("accounts:person_create"), BROWSER | form)
    assert response.status_code == 200
    if "temporary-password" in response.content.decode():
        event("account created")
        user = get_user_model().objects.get(username=form["username"].strip())
        assert user.person.name == form["name"].strip()
        assert len(_people_state()[0]) == len(before[0]) + 1
    else:
        event("refused")
        _refused_in_chinese(response)
        assert _people_state() == before


@HYPOTHESIS
@given(data=st.data())
def test_password_change(liaison, data):
    new = data.draw(st.sampled_from(["An0ther-good-passw0rd", "更长的新密码-2026-xyz"]))
    valid = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    junk = {
        "old_password": TEXT,
        "new_password1": st.one_of(TEXT, st.just(PASSWORD), st.just("12345678")),
        "new_password2": TEXT,
    }
    form = mutated(data, valid, junk)
    client = logged_in(liaison)
    response = client.post(reverse("accounts:password_change"), BROWSER | form)
    liaison.refresh_from_db()
    event(f"answered {response.status_code}")
    if response.status_code == 302:
        new = form["new_password1"]
        assert form["old_password"] == PASSWORD and new == form["new_password2"] != PASSWORD
        assert liaison.check_password(new)
        liaison.set_password(PASSWORD)  # as it was, for the next example
        liaison.save()
    else:
        _refused_in_chinese(response)
        assert liaison.check_password(PASSWORD)


# The ledger -----------------------------------------------------------------------------
# A cell as a workbook can hold it (openpyxl refuses control characters in text).
CELL = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    st.sampled_from(["=1+1", "@SUM(A1)", "-2+3", "是", "否", "商务局", "P001", "工业", "合计"]),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.decimals(min_value=-(10**12), max_value=10**12, places=4),
    st.dates(),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    st.booleans(),
)


@st.composite
def cell_edits(draw):
    """1-4 random cells of the sample ledger (header cells and one row or column past
    the end too) with random values: (sheet, row, column, value)."""
    sheets = sample_sheets()
    edits = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        name = draw(st.sampled_from(sorted(sheets)))
        row = draw(st.integers(min_value=0, max_value=len(sheets[name])))
        column = draw(st.integers(min_value=0, max_value=len(sheets[name][0])))
        edits.append((name, row, column, draw(CELL)))
    return edits


def edited_workbook(edits) -> bytes:
    """The sample ledger with `edits` applied, as an .xlsx file."""
    sheets = sample_sheets()
    for name, row, column, value in edits:
        rows = sheets[name]
        while len(rows) <= row:
            rows.append([None] * len(rows[0]))
        while len(rows[row]) <= column:
            rows[row].append(None)
        rows[row][column] = value
    return make_workbook(sheets)


@HYPOTHESIS
@given(edits=cell_edits())
def test_the_importer_never_raises_and_writes_nothing_on_errors(db, edits):
    workbook = edited_workbook(edits)
    before = database_contents()
    report = import_ledger(io.BytesIO(workbook))
    event("refused" if report.errors else "imported")
    if report.errors:
        assert not report.written
        assert database_contents() == before
        assert all(CJK.search(str(issue)) for issue in report.errors)
    else:
        assert report.written


UPLOADS = st.one_of(
    cell_edits().map(edited_workbook),
    st.binary(max_size=300),
    st.sampled_from([b"", b"PK\x03\x04", b"PK\x03\x04" + b"\x00" * 100, b"%PDF-1.4"]),
)


@HYPOTHESIS
@given(content=UPLOADS, name=st.one_of(st.just("台账.xlsx"), st.just("a.XLSX"), TEXT))
def test_ledger_upload_is_a_dry_run_whatever_the_file(office, content, name):
    cache.clear()  # the upload rate limit counts per user and minute; the clock is frozen
    client = logged_in(office)
    before = database_contents()
    upload = SimpleUploadedFile(name or "x", content)
    response = client.post(reverse("ledger_import"), BROWSER | {"file": upload})
    assert response.status_code == 200
    assert database_contents() == before
    report = response.context["report"]
    if "ledger_upload" in client.session:
        event("ready to confirm")
        assert report is not None and report.ok
    elif report is None:
        _refused_in_chinese(response)  # the file itself was refused
