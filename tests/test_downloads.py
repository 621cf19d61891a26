"""Every export and download of the app: named in Chinese as the office files them (a
Content-Disposition browsers read: `filename*=UTF-8''…`), and safe to open in a
spreadsheet (text a spreadsheet would run as a formula comes out neutralised)."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from competition.models import Competition, Quota, Report
from departments.models import Department, DepartmentGroup
from projects.models import Milestone, Receipt, Stage
from tests.conftest import download_name, make_milestone, make_project, make_visit

PDF = b"%PDF-1.4\n%%EOF\n"
# What an office user could type as a department or group name in the admin.
FORMULAS = ["=1+1", "@SUM(A1:A9)", "-2+3", "+1+1", '=HYPERLINK("http://x","y")']


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-01-20 12:00 +08:00")


@pytest.fixture
def comp(commerce, finance):
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10)
    )
    for department in (commerce, finance):
        Quota.objects.create(competition=comp, department=department, signed_projects=1)
    return comp


@pytest.fixture
def formula_departments(comp):
    """Departments and a group whose names a spreadsheet would run as formulas."""
    group = DepartmentGroup.objects.create(name="=cmd|' /C calc'!A0", order=9)
    for order, name in enumerate(FORMULAS, start=10):
        department = Department.objects.create(name=name, group=group, order=order)
        Quota.objects.create(competition=comp, department=department, signed_projects=1)


def _is_attachment_named(response, name):
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    assert "filename*=utf-8''" in disposition  # the form that carries Chinese
    assert download_name(response) == name


# The league ----------------------------------------------------------------------------
def _league(client, leader, comp, export):
    client.force_login(leader)
    return client.get(
        reverse("league"), {"competition": comp.pk, "as_of": "2026-01-10", "_export": export}
    )


def test_league_csv_is_named_and_its_formulas_neutralised(
    client, leader, comp, formula_departments
):
    response = _league(client, leader, comp, "csv")
    _is_attachment_named(response, "百日竞赛-排名-2026-01-10.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = {row[1] for row in rows[1:]}
    assert {"'" + name for name in FORMULAS} <= names
    assert not names & set(FORMULAS)
    assert {row[2] for row in rows[1:]} >= {"'=cmd|' /C calc'!A0"}
    assert "商务局" in names  # ordinary names are left alone


def test_league_xlsx_is_named_and_its_formulas_are_text(client, leader, comp, formula_departments):
    response = _league(client, leader, comp, "xlsx")
    _is_attachment_named(response, "百日竞赛-排名-2026-01-10.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert {c.value for c in cells} >= {"'" + name for name in FORMULAS}
    assert all(c.data_type == "s" for c in cells)  # text, never a formula ("f")


# Lists exported through web.tables.export_response --------------------------------------
@pytest.mark.parametrize(
    ("url_name", "persona", "name"),
    [
        ("projects:list", "office", "项目"),
        ("projects:visit_list", "office", "客商接待"),
        ("projects:lead_list", "office", "信息"),
        ("projects:my_leads", "liaison", "我的信息"),
        ("accounts:people", "office", "账号"),
        ("audit:changes", "office", "修改记录"),
        ("audit:security", "office", "安全事件"),
    ],
)
@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_list_exports_are_named_in_chinese(
    client, request, commerce, url_name, persona, name, export
):
    """(Their formula neutralisation: tests/test_audit.py, tests/test_projects_pages.py.)"""
    make_milestone(make_project(commerce, "X1"), Stage.LEAD, date(2026, 1, 5))
    make_visit(commerce, date(2026, 1, 5))
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse(url_name), {"_export": export})
    assert response.status_code == 200
    _is_attachment_named(response, f"{name}-2026-01-20.{export}")


# The ledger ----------------------------------------------------------------------------
def test_ledger_template_is_named_in_chinese(client, office):
    client.force_login(office)
    response = client.get(reverse("ledger_template"))
    assert response.status_code == 200
    _is_attachment_named(response, "台账模板.xlsx")


def test_ledger_export_is_named_after_the_competition(client, leader, comp):
    client.force_login(leader)
    response = client.get(reverse("ledger_export", args=[comp.pk]))
    assert response.status_code == 200
    _is_attachment_named(response, "百日竞赛-台账-2026-01-20.xlsx")


# Report PDFs and evidence ---------------------------------------------------------------
def test_report_pdf_opens_inline_under_its_chinese_name(client, leader, comp):
    report = Report.objects.create(
        competition=comp,
        kind=Report.Kind.BULLETIN,
        as_of=date(2026, 1, 10),
        issue_number=3,
        status=Report.Status.DONE,
        finished_at=timezone.now(),
    )
    report.file.save("x.pdf", ContentFile(PDF))
    client.force_login(leader)
    response = client.get(reverse("report_download", args=[report.pk]))
    assert response["Content-Disposition"].startswith("inline;")
    assert download_name(response) == "百日竞赛简报第3期（2026-01-10）.pdf"


def _evidence(project, kind, content=PDF, name="x.pdf"):
    if kind == "milestone":
        record = Milestone(project=project, stage=Stage.SIGNED, occurred_on=date(2026, 1, 5))
    else:
        record = Receipt(project=project, occurred_on=date(2026, 1, 6), amount=10)
    record.evidence.save(name, ContentFile(content), save=False)
    record.save()
    return reverse("projects:evidence", args=[kind, record.pk])


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("milestone", "X1-风电装备项目-正式签约.pdf"),
        ("receipt", "X1-风电装备项目-资金到账2026-01-06.pdf"),
    ],
)
def test_evidence_is_named_after_its_project_and_what_it_proves(
    client, office, commerce, kind, name
):
    url = _evidence(make_project(commerce, "X1", name="风电装备项目"), kind)
    client.force_login(office)
    response = client.get(url)
    assert response["Content-Disposition"].startswith("inline;")
    assert download_name(response) == name


def test_an_unrecognised_evidence_file_is_an_attachment_named_in_chinese(client, office, commerce):
    url = _evidence(make_project(commerce, "X1", name="风电装备项目"), "milestone", b"MZ", "x.exe")
    client.force_login(office)
    response = client.get(url)
    _is_attachment_named(response, "X1-风电装备项目-正式签约.exe")


def test_a_line_break_or_slash_typed_into_a_name_never_breaks_a_download(
    client, office, commerce, comp
):
    """A line break in a plain-ASCII name would be an invalid header: a server error."""
    url = _evidence(make_project(commerce, "X1", name="evil\r\nSet-Cookie: x=1/../"), "milestone")
    Competition.objects.filter(pk=comp.pk).update(name="a\nb/c")
    client.force_login(office)
    response = client.get(url)
    assert response.status_code == 200
    assert download_name(response) == "X1-evil__Set-Cookie: x=1_.._-正式签约.pdf"
    assert "Set-Cookie" not in response.headers
    response = client.get(reverse("ledger_export", args=[comp.pk]))
    assert download_name(response) == "a_b_c-台账-2026-01-20.xlsx"
