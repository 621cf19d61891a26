"""The ledger in the browser: upload, dry-run preview, confirm, template, export."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from competition.ledger.template import write_template
from competition.models import Competition
from projects.models import Project, Visit
from tests.fixtures.ledger import COMPETITION_NAME, make_workbook, sample_sheets


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-07-01 12:00 +08:00")


def upload(client, content: bytes, name="台账.xlsx"):
    return client.post("/ledger/import/", {"file": SimpleUploadedFile(name, content)})


def test_preview_writes_nothing_then_confirm_imports(client, office):
    client.force_login(office)
    response = upload(client, make_workbook(sample_sheets()))
    html = response.content.decode()
    assert response.status_code == 200
    assert "检查结果（试运行，未写入）" in html and "确认导入" in html
    assert not Competition.objects.exists() and not Project.objects.exists()

    response = client.post("/ledger/import/confirm/")
    assert response.status_code == 302
    assert Competition.objects.filter(name=COMPETITION_NAME).exists()
    assert Project.objects.count() > 0 and Visit.objects.count() > 0
    # The stored upload is consumed: confirming twice does nothing more.
    again = client.post("/ledger/import/confirm/", follow=True)
    assert "没有待确认的台账" in again.content.decode()


def test_bad_rows_are_listed_with_sheet_row_column_and_nothing_is_offered(client, office):
    sheets = sample_sheets()
    sheets["部门"].append(["商务局", "综合经济部门", 9])  # a department named twice
    sheets["接待"][1][3] = 0  # persons < 1
    client.force_login(office)
    html = upload(client, make_workbook(sheets)).content.decode()
    assert "未导入任何数据" in html and "确认导入" not in html
    assert "接待" in html and "人数" in html
    assert not Competition.objects.exists()


def test_not_a_workbook_is_refused_next_to_the_field(client, office):
    client.force_login(office)
    html = upload(client, b"name,date\n1,2\n", name="ledger.xlsx").content.decode()
    assert "文件不是有效的 Excel 工作簿" in html
    html = upload(client, b"PK\x03\x04", name="ledger.csv").content.decode()
    assert "请上传 Excel 工作簿" in html


def test_template_has_every_sheet_and_its_example_rows_import_cleanly(client, office, db):
    from competition.ledger.importer import import_ledger

    client.force_login(office)
    response = client.get("/ledger/template.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["竞赛", "权重", "部门", "任务", "项目", "到账", "接待"]
    assert [c.value for c in workbook["到账"][1]] == ["项目编号", "到账日期", "金额"]
    report = import_ledger(io.BytesIO(response.content), dry_run=True)
    assert report.ok, [str(e) for e in report.errors]


def test_export_button_gives_the_ledger_back(client, office, leader):
    from competition.ledger.importer import import_ledger

    import_ledger(io.BytesIO(make_workbook(sample_sheets())))
    competition = Competition.objects.get()
    client.force_login(leader)
    response = client.get(f"/ledger/export/{competition.pk}.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook["竞赛"]["A2"].value == COMPETITION_NAME


@pytest.mark.parametrize(
    "persona,upload_status,export_status",
    [
        ("office", 200, 200),
        ("leader", 403, 200),
        ("liaison", 403, 403),
        ("staff_member", 403, 403),
    ],
)
def test_permissions(client, request, persona, upload_status, export_status, db):
    from competition.ledger.importer import import_ledger

    user = request.getfixturevalue(persona)  # the persona's departments exist first
    import_ledger(io.BytesIO(make_workbook(sample_sheets())))
    competition = Competition.objects.get()
    client.force_login(user)
    assert client.get("/ledger/import/").status_code == upload_status
    assert client.get("/ledger/template.xlsx").status_code == upload_status
    assert client.post("/ledger/import/confirm/").status_code in (
        {302} if upload_status == 200 else {403}
    )
    assert client.get(f"/ledger/export/{competition.pk}.xlsx").status_code == export_status


def test_anonymous_is_sent_to_login(client):
    assert client.get("/ledger/import/")["Location"].startswith("/accounts/login/")


def test_write_template_to_a_path(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(path)
    assert openpyxl.load_workbook(path).sheetnames[0] == "竞赛"
