"""Hostile input: random and malformed data posted to every form, and injection attempts in
every text field.

For every form: never a server error (status < 500); when the form comes back (refused
input) nothing was saved and the page explains it in Chinese. Text typed by users is
escaped in every page, neutralised in every export, and escaped in the printed documents.

HOSTILE_EXAMPLES sets how many random submissions each form gets (default 25).
"""

import csv
import io
import os
import re
from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from competition.models import Competition, Quota
from departments.models import Department, Person
from projects.models import Milestone, Project, Receipt, Stage, Visit
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "25"))
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples every run: no flaky CI
)

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
PAYLOADS = [
    SCRIPT,
    IMG,
    '"><svg/onload=alert(1)>',
    "javascript:alert(1)",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "'; DROP TABLE projects_project; --",
    '=HYPERLINK("http://evil","点我")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\x00",
    "a\x00b",
    "\r\n\r\nSet-Cookie: x=1",
    "../../etc/passwd",
    "９９９",
    "1e309",
    "NaN",
    "-1",
    "0",
    "99999999999999999999999",
    "2026-02-30",
    "9999-12-31",
    "0000-00-00",
    "2026-06-31",
    " ",
    "x" * 5000,
    "\u202etxt.pdf",
    "𠀀𠀁",
]
VALUE = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=60),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.dates(min_value=date(1, 1, 1)).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.just(""),
)
JUNK_KEYS = st.dictionaries(st.text(min_size=1, max_size=12), VALUE, max_size=3)
CJK = re.compile(r"[\u4e00-\u9fff]")
ERRORS = re.compile(
    r'class="(?:errorlist[^"]*|form-errors|message message-(?:error|warning))"[^>]*>(.*?)</',
    re.S,
)


def data_for(fields, *, extra_lists=()):
    """Random values for the named fields (each may be missing), plus stray keys."""
    values = {f: st.one_of(VALUE, st.just(None)) for f in fields}
    lists = {f: st.lists(VALUE, max_size=4) for f in extra_lists}

    def build(picked, listed, junk):
        data = {k: v for k, v in picked.items() if v is not None}
        data.update(listed)
        for k, v in junk.items():
            data.setdefault(k, v)
        return data

    return st.builds(build, st.fixed_dictionaries(values), st.fixed_dictionaries(lists), JUNK_KEYS)


UPLOAD = st.builds(
    lambda name, content: SimpleUploadedFile(name, content),
    st.one_of(st.sampled_from(["a.pdf", "a.png", "a.jpg", "a.svg", "a.html", ".pdf", "a"]),
              st.text(min_size=1, max_size=30)),
    st.one_of(
        st.binary(max_size=200),
        st.sampled_from([b"%PDF-", b"%PDF-1.4<script>", b"<svg onload=x>", b"\x89PNG", b""]),
    ),
)  # fmt: skip


@pytest.fixture(autouse=True)
def _today(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()  # upload rate limits count per user and minute; ids and clocks repeat
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def world(commerce, finance, liaison, office, staff_member):
    competition = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 6, 1), end_date=date(2026, 9, 8)
    )
    Quota.objects.create(competition=competition, department=commerce, signed_projects=2)
    project = make_project(commerce, code="SW-001", name="新能源电池项目")
    milestone = make_milestone(project, Stage.INTENT, date(2026, 6, 10), status="pending")
    receipt = make_receipt(project, date(2026, 6, 20), status="pending")
    visit = make_visit(commerce, date(2026, 6, 5))
    return {
        "competition": competition,
        "project": project,
        "milestone": milestone,
        "receipt": receipt,
        "visit": visit,
    }


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot():
    """What a refused form must not change."""
    return {
        "projects": list(Project.objects.order_by("pk").values()),
        "milestones": Milestone.objects.count(),
        "receipts": Receipt.objects.count(),
        "visits": list(Visit.objects.order_by("pk").values()),
        "users": get_user_model().objects.count(),
        "people": Person.objects.count(),
    }


def check(response, before):
    """Never a server error; a form shown again changed nothing and says why in Chinese."""
    assert response.status_code < 500
    if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
        html = response.content.decode()
        if "<form" in html and 'method="post"' in html:
            assert snapshot() == before
            messages = " ".join(ERRORS.findall(html))
            assert CJK.search(messages), messages[:500] or html[:2000]
    assert SCRIPT not in response.content.decode(errors="replace")
    assert IMG not in response.content.decode(errors="replace")


def post_randomly(client, url, data):
    before = snapshot()
    # As browsers send it: a form post always carries its CSRF token, so it is never empty.
    response = client.post(url, {"csrfmiddlewaretoken": "x", **data})
    check(response, before)
    return response


PROJECT_FIELDS = [
    "name", "code", "investor", "department", "responsible_person", "industry",
    "is_high_tech", "planned_investment", "registered_capital", "zone", "origin_region",
    "source_channel",
]  # fmt: skip


@HYPOTHESIS
@given(data=data_for(PROJECT_FIELDS))
def test_project_create(world, liaison, data):
    post_randomly(logged_in(liaison), reverse("projects:create"), data)


@HYPOTHESIS
@given(data=data_for(PROJECT_FIELDS))
def test_project_edit(world, liaison, data):
    url = reverse("projects:edit", args=[world["project"].pk])
    post_randomly(logged_in(liaison), url, data)


@HYPOTHESIS
@given(data=data_for(["stage", "occurred_on"]), upload=st.one_of(st.none(), UPLOAD))
def test_milestone(world, liaison, data, upload):
    if upload is not None:
        data["evidence"] = upload
    url = reverse("projects:milestone_create", args=[world["project"].pk])
    post_randomly(logged_in(liaison), url, data)


@HYPOTHESIS
@given(data=data_for(["occurred_on", "amount"]), upload=st.one_of(st.none(), UPLOAD))
def test_receipt(world, liaison, data, upload):
    if upload is not None:
        data["evidence"] = upload
    url = reverse("projects:receipt_edit", args=[world["receipt"].pk])
    post_randomly(logged_in(liaison), url, data)


def test_receipt_edit_with_a_signalling_nan_amount(world, liaison):
    url = reverse("projects:receipt_edit", args=[world["receipt"].pk])
    before = snapshot()
    response = Client(raise_request_exception=False)
    response.force_login(liaison)
    answer = response.post(url, {"occurred_on": "2026-06-20", "amount": "sNaN"})
    check(answer, before)


VISIT_FIELDS = ["department", "occurred_on", "investor_org", "persons", "host", "purpose"]


@HYPOTHESIS
@given(data=data_for([*VISIT_FIELDS, "project"]))
def test_visit(world, liaison, data):
    post_randomly(logged_in(liaison), reverse("projects:visit_create"), data)


LEAD_FIELDS = [
    "department", "name", "investor", "source_channel", "origin_region", "industry",
    "planned_investment",
]  # fmt: skip


@HYPOTHESIS
@given(data=data_for(LEAD_FIELDS))
def test_lead(world, staff_member, data):
    post_randomly(logged_in(staff_member), reverse("projects:lead_create"), data)


@HYPOTHESIS
@given(data=data_for(["lost_on", "lost_reason"]))
def test_lost(world, liaison, data):
    url = reverse("projects:lost", args=[world["project"].pk])
    post_randomly(logged_in(liaison), url, data)


def stays_here(location: str) -> bool:
    """A redirect to this site only: a path, never another host."""
    parts = urlsplit(location)
    return not parts.scheme and not parts.netloc and not location.startswith(("//", "/\\"))


@HYPOTHESIS
@given(data=data_for(["reason", "next"]))
def test_verify_and_return(world, office, data):
    client = logged_in(office)
    m = world["milestone"]
    for url in (
        reverse("projects:return", args=["milestone", m.pk]),
        reverse("projects:verify", args=["receipt", world["receipt"].pk]),
    ):
        response = client.post(url, data)
        assert response.status_code < 500
        if response.status_code == 302:  # never away from this site
            assert stays_here(response["Location"]), response["Location"]


@HYPOTHESIS
@given(data=data_for(["action", "reason", "next"], extra_lists=["milestone", "receipt"]))
def test_bulk_review(world, office, data):
    response = logged_in(office).post(reverse("projects:queue_bulk"), data)
    assert response.status_code < 500
    assert stays_here(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", ["@SUM(A1)", "home-page"])
def test_next_is_a_url_never_a_view_name(world, office, target):
    client = Client(raise_request_exception=False)
    client.force_login(office)
    url = reverse("projects:verify", args=["receipt", world["receipt"].pk])
    response = client.post(url, {"next": target})
    assert response.status_code == 302 and stays_here(response["Location"])
    assert response["Location"] != reverse("projects:list")  # not resolved as a view name


@HYPOTHESIS
@given(data=data_for(["competition", "as_of", "group", "sort", "_export", "page"]))
def test_league_filter(world, office, data):
    response = logged_in(office).get(reverse("league"), data)
    assert response.status_code < 500


@HYPOTHESIS
@given(data=data_for(["username", "password", "next"]))
def test_login(world, data):
    before = snapshot()
    response = Client().post(reverse("login"), data, REMOTE_ADDR="10.99.0.1")
    assert response.status_code < 500
    if response.status_code == 200:
        assert snapshot() == before
        html = response.content.decode()
        assert "请输入" in html or "已被锁定" in html or "这个字段是必填项" in html
    elif response.status_code == 302:  # only a real account logs in, and goes home
        assert stays_here(response["Location"])


@HYPOTHESIS
@given(
    data=data_for(["username", "name", "phone", "department", "is_office", "is_leader"],
                  extra_lists=["liaison_for"]),
)  # fmt: skip
def test_account_creation(world, office, data):
    response = post_randomly(logged_in(office), reverse("accounts:person_create"), data)
    if response.status_code == 200 and "temporary-password" in response.content.decode():
        assert get_user_model().objects.filter(username=data["username"].strip()).exists()


@HYPOTHESIS
@given(
    data=data_for(
        [
            "q",
            "department",
            "role",
            "is_active",
            "kind",
            "username",
            "address",
            "date_from",
            "date_to",
            "model",
            "user",
            "stage",
            "status",
            "occurred_from",
            "occurred_to",
            "channel",
            "sort",
            "page",
            "as_of",
            "competition",
            "_export",
            "per_page",
        ]
    )
)
def test_every_list_page_takes_any_query_string(world, office, data):
    client = logged_in(office)
    competition, department = world["competition"], world["project"].department
    for url in (
        reverse("projects:list"),
        reverse("projects:visit_list"),
        reverse("projects:lead_list"),
        reverse("projects:my_leads"),
        reverse("projects:queue"),
        reverse("projects:returned"),
        reverse("dashboard"),
        reverse("league_explain", args=[competition.pk, department.pk]),
        reverse("league_records", args=[competition.pk, department.pk, "signed_projects"]),
        reverse("accounts:people"),
        reverse("audit:changes"),
        reverse("audit:security"),
    ):
        assert client.get(url, data).status_code < 500, url


@pytest.mark.parametrize("name", ["projects:list", "projects:visit_list", "league_records"])
def test_negative_page_size_is_ignored(world, office, name):
    client = Client(raise_request_exception=False)
    client.force_login(office)
    args = []
    if name == "league_records":
        args = [world["competition"].pk, world["project"].department_id, "signed_projects"]
    assert client.get(reverse(name, args=args), {"per_page": "-1"}).status_code == 200


def test_negative_page_size_is_ignored_on_the_account_and_audit_pages(world, office):
    client = logged_in(office)
    for name in ("accounts:people", "audit:changes", "audit:security"):
        assert client.get(reverse(name), {"per_page": "-1", "page": "-3"}).status_code == 200


# The ledger ----------------------------------------------------------------------------
CELL = st.one_of(
    VALUE,
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=date(1900, 1, 1)),
    st.booleans(),
    st.none(),
)


def ledger_sheets(draw_cell):
    """The sample ledger with some cells replaced by random values."""
    from tests.fixtures.ledger import sample_sheets

    sheets = sample_sheets()
    for rows in sheets.values():
        for row in rows[1:]:
            for i in range(len(row)):
                value = draw_cell()
                if value is not _KEEP:
                    row[i] = value
    return sheets


_KEEP = object()


@HYPOTHESIS
@given(st.data())
def test_ledger_import_of_random_workbooks(world, data):
    from competition.ledger.importer import import_ledger
    from tests.fixtures.ledger import make_workbook

    sheets = ledger_sheets(
        lambda: data.draw(st.one_of(st.just(_KEEP), st.just(_KEEP), st.just(_KEEP), CELL))
    )
    before = snapshot()
    competitions = Competition.objects.count()
    try:
        workbook = make_workbook(sheets)
    except (ValueError, TypeError, IllegalCharacterError):  # openpyxl cannot write it
        return
    report = import_ledger(io.BytesIO(workbook))
    if report.errors:
        assert not report.written
        assert snapshot() == before and Competition.objects.count() == competitions
        assert all(CJK.search(str(issue)) for issue in report.errors)


@pytest.mark.parametrize("value", ["1e30", 1e300, "123456789012345678901234567890"])
def test_a_huge_number_in_a_ledger_cell_is_a_cell_error(value):
    from competition.ledger.reader import CellError, parse_decimal

    with pytest.raises(CellError):
        parse_decimal(value, places=2, max_digits=14)


@HYPOTHESIS
@given(upload=UPLOAD)
def test_ledger_upload_of_random_files(world, office, upload):
    client = logged_in(office)
    before = snapshot()
    response = client.post(reverse("ledger_import"), {"file": upload})
    assert response.status_code < 500
    assert snapshot() == before  # the upload is a dry run
    confirm = client.post(reverse("ledger_confirm"))
    assert confirm.status_code < 500


# Injection in every text field -----------------------------------------------------------
INJECTED = f"{SCRIPT}{IMG}\"'<b>"


@pytest.fixture
def injected(commerce, liaison, office, staff_member):
    """Every text field a user types, filled with markup; a competition to see it in."""
    dept = Department.objects.create(name=f"<i>部门</i>{IMG}"[:50], order=5)
    Competition.objects.create(
        name=f"竞赛{SCRIPT}"[:100], start_date=date(2026, 6, 1), end_date=date(2026, 9, 8)
    )
    Quota.objects.create(competition=Competition.objects.get(), department=dept, visit_batches=1)
    Person.objects.filter(user=liaison).update(name=f"<u>{IMG}</u>"[:50])
    project = Project.objects.create(
        code=f"X{SCRIPT}"[:40],
        name=INJECTED,
        investor=INJECTED,
        department=dept,
        responsible_person=INJECTED[:50],
        zone=INJECTED[:50],
        origin_region=INJECTED[:50],
        planned_investment=9000,
        submitted_by=staff_member,
    )
    Person.objects.filter(user=liaison).first().liaison_for.add(dept)
    m = make_milestone(project, Stage.INTENT, date(2026, 6, 10), status="returned",
                       return_reason=INJECTED)  # fmt: skip
    make_receipt(project, date(2026, 6, 12), status="pending")
    make_visit(dept, date(2026, 6, 9), host=INJECTED[:50], purpose=INJECTED, project=project)
    Visit.objects.update(investor_org=INJECTED)
    project.lost_reason = INJECTED
    return {"project": project, "milestone": m, "department": dept}


def assert_escaped(html: str, where: str):
    assert SCRIPT not in html, where
    assert IMG not in html, where
    assert "<b>" not in html.replace("<b>", "", 0) or "&lt;b&gt;" in html, where


def test_markup_in_text_fields_is_escaped_on_every_page(injected, office, liaison, staff_member):
    project, dept = injected["project"], injected["department"]
    competition = Competition.objects.get()
    pages = {
        office: [
            reverse("home"),
            reverse("projects:list"),
            reverse("projects:detail", args=[project.pk]),
            reverse("projects:edit", args=[project.pk]),
            reverse("projects:visit_list"),
            reverse("projects:lead_list"),
            reverse("projects:queue"),
            reverse("league"),
            reverse("league_explain", args=[competition.pk, dept.pk]),
            reverse("league_records", args=[competition.pk, dept.pk, "visit_batches"]),
            reverse("league_records", args=[competition.pk, dept.pk, "intent_projects"]),
            reverse("dashboard"),
            reverse("accounts:people"),
            reverse("audit:changes"),
        ],
        liaison: [reverse("projects:returned"), reverse("home")],
        staff_member: [reverse("projects:my_leads"), reverse("home")],
    }
    seen_escaped = False
    for user, urls in pages.items():
        client = logged_in(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert_escaped(html, url)
            seen_escaped |= "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert seen_escaped


def _csv_cells(response) -> list[str]:
    text = response.content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


FORMULA = ("=", "+", "-", "@")


@pytest.fixture
def formula_project(commerce):
    return make_project(
        commerce, code="F-001", name='=HYPERLINK("http://evil","点我")', investor="@SUM(1+1)"
    )


def test_people_and_audit_exports_neutralise_formulas(formula_project, office, liaison):
    Person.objects.filter(user=liaison).update(name="=1+2")
    client = logged_in(office)
    for url in (reverse("accounts:people"), reverse("audit:security"), reverse("audit:changes")):
        cells = _csv_cells(client.get(url, {"_export": "csv"}))
        assert not [c for c in cells if c.startswith(FORMULA)], url
        sheet = openpyxl.load_workbook(io.BytesIO(client.get(url, {"_export": "xlsx"}).content))
        assert not [c for row in sheet.active.iter_rows() for c in row if c.data_type == "f"]
    assert "'=1+2" in _csv_cells(client.get(reverse("accounts:people"), {"_export": "csv"}))


def test_control_characters_do_not_break_xlsx_exports(commerce, office, liaison):
    """A vertical tab pasted from Word: openpyxl refuses it; the export drops it."""
    make_project(commerce, code="VT-001", name="冷链\x0b物流\x01园")
    Person.objects.filter(user=liaison).update(name="王\x0c明")
    client = logged_in(office)
    for url in (reverse("accounts:people"), reverse("audit:changes")):
        response = client.get(url, {"_export": "xlsx"})
        assert response.status_code == 200, url
        values = [c.value for row in openpyxl.load_workbook(io.BytesIO(response.content))
                  .active.iter_rows() for c in row]  # fmt: skip
        assert any("冷链物流园" in str(v) or "王明" in str(v) for v in values), url


def test_project_list_xlsx_export_survives_control_characters(commerce, office):
    make_project(commerce, code="VT-001", name="冷链\x0b物流园")
    client = Client(raise_request_exception=False)
    client.force_login(office)
    assert client.get(reverse("projects:list"), {"_export": "xlsx"}).status_code == 200


def test_project_list_export_neutralises_formulas(formula_project, office):
    client = logged_in(office)
    cells = _csv_cells(client.get(reverse("projects:list"), {"_export": "csv"}))
    assert not [c for c in cells if c.startswith(FORMULA)]
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("projects:list"), {"_export": "xlsx"}).content)
    ).active
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_ledger_export_never_writes_formulas_and_reads_back_the_same(formula_project, commerce):
    from competition.ledger.writer import export_ledger

    competition = Competition.objects.create(
        name="=竞赛", start_date=date(2026, 6, 1), end_date=date(2026, 9, 8)
    )
    Quota.objects.create(competition=competition, department=commerce)
    buffer = io.BytesIO()
    export_ledger(competition, buffer)
    workbook = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row]
    assert not [c.value for c in cells if c.data_type == "f"]
    assert '=HYPERLINK("http://evil","点我")' in [c.value for c in cells]


def test_printed_documents_escape_markup(injected):
    from competition.reports.html import render_document

    competition = Competition.objects.get()
    for kind in ("bulletin", "pack"):
        html = render_document(
            competition,
            kind=kind,
            as_of=date(2026, 6, 30),
            issue_number=1 if kind == "bulletin" else None,
            issued_on=date(2026, 6, 30),
        )
        assert SCRIPT not in html and IMG not in html, kind
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, kind


def test_the_pdf_renderer_fetches_nothing():
    from competition.reports.pdf import refuse_fetch

    for url in ("file:///etc/passwd", "http://127.0.0.1/", "https://example.com/x.png"):
        with pytest.raises(ValueError):
            refuse_fetch(url)
