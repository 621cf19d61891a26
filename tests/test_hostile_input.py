"""Hostile and careless input (issue 16): each case answered with a message, never a
server error, and nothing changed by it."""

import subprocess
import sys
from datetime import date

import pytest
from axes.models import AccessAttempt
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import SecurityEvent
from tests.conftest import make_milestone, make_project
from web.dates import EARLIEST, LATEST, BoundedDateField, clamp, parse_date

PASSWORD = "Pass-word-2026"


# Login ---------------------------------------------------------------------------------
@pytest.mark.parametrize("length", [151, 300, 5000])
def test_an_overlong_user_name_gets_a_message_and_records_nothing(client, db, length):
    response = client.post(reverse("login"), {"username": "x" * length, "password": "whatever"})
    assert response.status_code == 200
    assert "用户名不能超过150个字符" in response.content.decode()
    assert not AccessAttempt.objects.exists()
    assert not SecurityEvent.objects.exists()


def test_a_user_name_of_the_longest_allowed_length_is_an_ordinary_failed_login(client, db):
    response = client.post(reverse("login"), {"username": "x" * 150, "password": "whatever"})
    assert response.status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN_FAILED).count() == 1


# Passwords -----------------------------------------------------------------------------
def test_a_new_password_equal_to_the_current_one_is_refused(client, liaison):
    client.force_login(liaison)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "新密码不能与当前密码相同" in response.content.decode()
    liaison.refresh_from_db()
    assert liaison.check_password(PASSWORD)


# next= ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    ["javascript:alert(1)", "https://elsewhere.example/", "//elsewhere.example/x", "\\\\evil"],
)
def test_the_return_forms_cancel_link_never_leaves_the_site(client, office, commerce, target):
    project = make_project(commerce)
    milestone = make_milestone(project, 2, date(2026, 3, 5), status="pending")
    client.force_login(office)
    url = reverse("projects:return", args=["milestone", milestone.pk])
    page = client.get(url, {"next": target}).content.decode()
    assert target not in page
    assert f'href="{reverse("projects:queue")}"' in page
    response = client.post(url + "?next=" + target, {"reason": "日期有误", "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:queue")


def test_the_return_form_keeps_a_next_of_this_site(client, office, commerce):
    project = make_project(commerce)
    milestone = make_milestone(project, 2, date(2026, 3, 5), status="pending")
    client.force_login(office)
    back = reverse("projects:detail", args=[project.pk])
    url = reverse("projects:return", args=["milestone", milestone.pk])
    assert f'href="{back}"' in client.get(url, {"next": back}).content.decode()


# Private pages -------------------------------------------------------------------------
def test_signed_in_pages_and_exports_are_private_and_not_stored(client, office):
    client.force_login(office)
    for url in (reverse("home"), reverse("projects:list") + "?_export=csv"):
        response = client.get(url)
        assert response.status_code == 200
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache_control, url


# Dates ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"])
def test_dates_outside_the_supported_range_get_a_message(text):
    with pytest.raises(ValidationError) as error:
        parse_date(text)
    assert "日期须在2000-01-01至2099-12-31之间" in str(error.value.messages)


@pytest.mark.parametrize("text", ["", "2026-13-01", "2026-02-30", "tomorrow", "2026/05/20x"])
def test_malformed_dates_get_a_message(text):
    with pytest.raises(ValidationError) as error:
        parse_date(text)
    assert "请输入有效的日期" in str(error.value.messages)


def test_the_bounded_date_field_refuses_the_ends_of_the_calendar():
    class Form(forms.Form):
        day = BoundedDateField(required=False)

    assert Form({"day": "2026-05-20"}).is_valid()
    assert Form({"day": EARLIEST.isoformat()}).is_valid()
    assert Form({"day": LATEST.isoformat()}).is_valid()
    form = Form({"day": "0001-01-01"})
    assert not form.is_valid()
    assert "日期须在" in form.errors["day"][0]


def test_clamp_moves_a_date_into_a_window():
    start, end = date(2026, 3, 1), date(2026, 6, 8)
    assert clamp(date(2001, 1, 1), earliest=start, latest=end) == start
    assert clamp(date(2090, 1, 1), earliest=start, latest=end) == end
    assert clamp(date(2026, 4, 1), earliest=start, latest=end) == date(2026, 4, 1)


# The embedded database ---------------------------------------------------------------
def test_the_embedded_sqlite_database_runs_in_wal_mode(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "test",
        "VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    mode, timeout = result.stdout.split()
    assert mode == "wal"
    assert int(timeout) == 20000


# Ledger imports ----------------------------------------------------------------------
def _ledger_with_visits(count: int) -> bytes:
    from tests.fixtures.ledger import make_workbook, sample_sheets

    sheets = sample_sheets()
    header, first = sheets["接待"][0], sheets["接待"][1]
    sheets["接待"] = [header] + [list(first) for _ in range(count)]
    return make_workbook(sheets)


def test_a_sheet_over_the_row_cap_stops_reading_with_one_message(db, settings):
    from io import BytesIO

    from competition.ledger.importer import import_ledger
    from projects.models import Visit

    settings.LEDGER_MAX_ROWS = 50
    report = import_ledger(BytesIO(_ledger_with_visits(120)), user=None, dry_run=False)
    capped = [e for e in report.errors if "上限" in e.reason]
    assert len(capped) == 1 and capped[0].sheet == "接待"
    assert "50" in capped[0].reason
    assert not Visit.objects.exists()


def test_the_import_page_lists_at_most_200_errors_and_counts_the_rest(client, office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.fixtures.ledger import make_workbook, sample_sheets

    sheets = sample_sheets()
    header, first = sheets["接待"][0], sheets["接待"][1]
    persons = header.index("人数")
    bad = list(first)
    bad[persons] = "很多"
    sheets["接待"] = [header] + [list(bad) for _ in range(250)]
    client.force_login(office)
    upload = SimpleUploadedFile("ledger.xlsx", make_workbook(sheets))
    page = client.post(reverse("ledger_import"), {"file": upload}).content.decode()
    assert page.count("<td>人数</td>") == 200
    assert "另有 50 处错误未列出" in page


def test_a_workbook_over_the_size_cap_is_refused_next_to_the_field(client, office, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.LEDGER_MAX_BYTES = 1024 * 1024
    client.force_login(office)
    upload = SimpleUploadedFile("ledger.xlsx", b"PK\x03\x04" + b"0" * (1024 * 1024))
    page = client.post(reverse("ledger_import"), {"file": upload}).content.decode()
    assert "文件超过 1 MB 的上限，请拆分后再导入" in page


def test_the_ledger_refuses_a_project_code_the_forms_refuse(db):
    from io import BytesIO

    from competition.ledger.importer import import_ledger
    from projects.models import Project
    from tests.fixtures.ledger import make_workbook, sample_sheets, set_cell

    sheets = set_cell(sample_sheets(), "项目", 2, "项目编号", "<script>x</script>")
    report = import_ledger(BytesIO(make_workbook(sheets)), user=None, dry_run=False)
    [error] = [e for e in report.errors if (e.sheet, e.column) == ("项目", "项目编号")]
    assert (error.sheet, error.row) == ("项目", 2) and "只能由字母、数字和连字符" in error.reason
    assert not Project.objects.exists()
