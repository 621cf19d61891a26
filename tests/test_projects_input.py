"""Careless and hostile input on the projects side (issue 16): project codes, visit sizes,
amounts, double-clicked submits and two users saving the same stage.

Each case is answered with a Chinese message next to the field (or the sheet, row and
column of a ledger), never a server error, and nothing is half-written.
"Today" is 2026-06-30 (Asia/Shanghai).
"""

import os
import re
import subprocess
import sys
import uuid
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from competition.ledger.reader import read_ledger
from departments.models import Department
from projects import services
from projects.forms import MilestoneForm, ProjectForm
from projects.models import CodeCounter, Milestone, Project, Receipt, Stage, Submission, Visit
from tests.conftest import make_milestone, make_project
from tests.fixtures.ledger import make_workbook, sample_sheets, set_cell
from tests.test_settings import BASE_DIR, settings_error

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)
PDF = b"%PDF-1.4\n%%EOF\n"
TOKEN = re.compile(r'name="submission" value="([0-9a-f-]{36})"')


@pytest.fixture(autouse=True)
def _today(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def as_liaison(client, liaison):
    client.force_login(liaison)
    return client


def page(response) -> str:
    return response.content.decode()


def field_errors(html: str, field: str) -> str:
    """The error list rendered right below `field` (projects/_form_fields.html)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def history_rows() -> int:
    return sum(m.history.count() for m in (Project, Milestone, Receipt, Visit))


def token_of(client, url) -> str:
    """The one-time token of the create form at `url`, as the browser gets it."""
    found = TOKEN.search(page(client.get(url)))
    assert found, "the create form must carry a one-time token"
    return found.group(1)


# Project codes ------------------------------------------------------------------------
VALID_CODES = ["XM-2026-0001", "DF-2026-001", "SW-001", "P1", "x", "a" * 20, "XS-2026-note"]
INVALID_CODES = [
    "<script>x</script>",
    "XM-2026-" + "9" * 32,  # 40 characters: fits the column, broke the numbering
    "a" * 21,
    "-X1",
    "X1-",
    "X--1",
    "X 1",
    "X_1",
    "项目-1",
    "=1+1",
    "Ｘ１",  # full-width
]


@pytest.mark.parametrize("code", VALID_CODES)
def test_codes_of_letters_digits_and_hyphens_are_accepted(commerce, code):
    Project(code=code, name="项目", department=commerce).full_clean()


@pytest.mark.parametrize("code", INVALID_CODES)
def test_other_codes_are_refused_with_a_message_next_to_the_field(commerce, code):
    with pytest.raises(ValidationError) as refused:
        Project(code=code, name="项目", department=commerce).full_clean()
    assert "项目编号只能由字母、数字和连字符" in " ".join(refused.value.message_dict["code"])


def test_a_script_as_the_code_is_refused_by_the_create_page(as_liaison, commerce):
    before = history_rows()
    response = as_liaison.post(
        reverse("projects:create"),
        {
            "name": "冷链物流园",
            "code": "<script>x</script>",
            "industry": "services",
            "department": commerce.pk,
        },
    )
    assert response.status_code == 200
    assert "只能由字母、数字和连字符" in field_errors(page(response), "code")
    assert not Project.objects.exists() and history_rows() == before


def test_a_forty_character_code_typed_on_the_edit_page_is_refused(as_liaison, commerce):
    project = make_project(commerce, code="SW-001")
    url = reverse("projects:edit", args=[project.pk])
    shown = page(as_liaison.get(url))
    loaded_at = re.search(r'name="loaded_at" value="([^"]+)"', shown).group(1)
    response = as_liaison.post(
        url,
        {
            "loaded_at": loaded_at,
            "name": project.name,
            "code": "XM-2026-" + "9" * 32,
            "industry": "other",
            "department": commerce.pk,
        },
    )
    assert response.status_code == 200
    assert "不超过20个字符" in field_errors(page(response), "code")
    project.refresh_from_db()
    assert project.code == "SW-001"


def test_an_old_code_outside_the_format_is_changed_when_the_project_is_next_edited(
    as_liaison, commerce
):
    """Codes from before the format are not rewritten; the edit page asks for a new one."""
    project = make_project(commerce, code="商务 001")
    url = reverse("projects:edit", args=[project.pk])
    loaded_at = re.search(r'name="loaded_at" value="([^"]+)"', page(as_liaison.get(url))).group(1)
    data = {"loaded_at": loaded_at, "name": project.name, "code": project.code}
    data.update(industry="other", department=commerce.pk)
    refused = as_liaison.post(url, data)
    assert "只能由字母、数字和连字符" in field_errors(page(refused), "code")
    assert as_liaison.post(url, {**data, "code": "SW-001"}).status_code == 302
    project.refresh_from_db()
    assert project.code == "SW-001"


def test_a_code_typed_by_hand_never_stops_the_numbering(commerce, liaison):
    """A 40-character code stored before the format existed (or imported) made the next
    number 41 characters long: every later creation failed on PostgreSQL."""
    make_project(commerce, code="XM-2026-" + "9" * 32)
    make_project(commerce, code="XM-2026-999999999999")  # 20 characters: a valid code
    created = services.create_project(
        Project(department=commerce, name="乙"), by=liaison, today=TODAY
    )
    assert created.code == "XM-2026-0001"


def test_numbering_skips_numbers_typed_by_hand_and_is_not_moved_by_them(commerce, liaison):
    counter = CodeCounter.objects.create(prefix="XM", year=2026, last=0)  # numbering began
    make_project(commerce, code="XM-2026-0002")
    make_project(commerce, code="XM-2026-0500")

    def create() -> str:
        project = Project(department=commerce, name="项目")
        return services.create_project(project, by=liaison, today=TODAY).code

    assert [create(), create(), create()] == ["XM-2026-0001", "XM-2026-0003", "XM-2026-0004"]
    counter.refresh_from_db()
    assert counter.last == 4


def test_the_first_code_of_a_year_starts_past_the_codes_of_that_shape(commerce, liaison):
    """A database from before the counter: numbering goes on from its highest code."""
    make_project(commerce, code="XM-2026-0041")
    make_project(commerce, code="XM-2025-0900")  # another year
    make_project(commerce, code="XM-2026-12345678")  # too long to be a number we gave
    created = services.create_project(
        Project(department=commerce, name="乙"), by=liaison, today=TODAY
    )
    assert created.code == "XM-2026-0042"


def test_leads_are_numbered_in_the_same_family_as_projects(commerce, liaison, staff_member):
    lead = services.submit_lead(
        Project(department=commerce, name="线索", source_channel="fair"),
        by=staff_member,
        today=TODAY,
    )
    project = services.create_project(
        Project(department=commerce, name="乙"), by=liaison, today=TODAY
    )
    assert (lead.code, project.code) == ("XM-2026-0001", "XM-2026-0002")


# Visit sizes and amounts --------------------------------------------------------------
def visit_data(**changes) -> dict:
    data = {"occurred_on": "2026-06-29", "investor_org": "某客商", "persons": "3"}
    data["department"] = Department.objects.get(name="商务局").pk
    data.update(changes)
    return data


def test_a_visit_of_two_billion_persons_is_refused_next_to_the_field(as_liaison, commerce):
    response = as_liaison.post(reverse("projects:visit_create"), visit_data(persons="2147483647"))
    assert response.status_code == 200
    assert "每批接待不能超过500人" in field_errors(page(response), "persons")
    assert not Visit.objects.exists()


def test_the_bound_on_persons_is_a_setting(as_liaison, commerce, settings):
    settings.VISIT_MAX_PERSONS = 20
    refused = as_liaison.post(reverse("projects:visit_create"), visit_data(persons="21"))
    assert "每批接待不能超过20人" in field_errors(page(refused), "persons")
    accepted = as_liaison.post(reverse("projects:visit_create"), visit_data(persons="20"))
    assert accepted.status_code == 302
    assert list(Visit.objects.values_list("persons", flat=True)) == [20]


def test_the_visit_form_says_the_bound(as_liaison, commerce):
    html = page(as_liaison.get(reverse("projects:visit_create")))
    assert 'max="500"' in html and "每批最多500人" in html


def test_a_ledger_visit_above_the_bound_is_named_by_sheet_row_and_column(db, settings):
    settings.VISIT_MAX_PERSONS = 100
    sheets = sample_sheets()
    set_cell(sheets, "接待", 3, "人数", 101)
    ledger = read_ledger(BytesIO(make_workbook(sheets)))
    assert [(e.sheet, e.row, e.column) for e in ledger.errors] == [("接待", 3, "人数")]
    assert "每批接待不能超过100人" in ledger.errors[0].reason
    assert len(ledger.visits) == len(sample_sheets()["接待"]) - 2  # that row is left out


@pytest.mark.parametrize(("value", "accepted"), [("500", True), ("0", False), ("十", False)])
def test_visit_max_persons_is_read_strictly(tmp_path, value, accepted):
    env = {"SECRET_KEY": "k", "VAR_DIR": str(tmp_path / "var"), "VISIT_MAX_PERSONS": value}
    if accepted:
        probe = "import config.settings as s; print(s.VISIT_MAX_PERSONS)"
        out = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=BASE_DIR,
            env={**_base_env(), **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert out.stdout.strip() == value
    else:
        error = settings_error(**env)
        assert "ImproperlyConfigured" in error and "VISIT_MAX_PERSONS" in error


def _base_env() -> dict:
    return {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("planned_investment", "10000000000", "金额不能超过9999999999.99万元"),
        ("registered_capital", "99999999999.99", "金额不能超过9999999999.99万元"),
        ("planned_investment", "-1", "金额不能为负数"),
        ("registered_capital", "-0.01", "金额不能为负数"),
    ],
)
def test_project_amounts_are_bounded(as_liaison, commerce, field, value, message):
    response = as_liaison.post(
        reverse("projects:create"),
        {"name": "项目", "industry": "other", "department": commerce.pk, field: value},
    )
    assert response.status_code == 200
    assert message in field_errors(page(response), field)
    assert not Project.objects.exists()


def test_the_largest_amount_is_accepted(as_liaison, commerce):
    response = as_liaison.post(
        reverse("projects:create"),
        {
            "name": "项目",
            "industry": "other",
            "department": commerce.pk,
            "planned_investment": "9999999999.99",
        },
    )
    assert response.status_code == 302
    assert Project.objects.get().planned_investment == Decimal("9999999999.99")


def test_a_receipt_amount_above_the_bound_is_refused(as_liaison, commerce):
    project = make_project(commerce)
    response = as_liaison.post(
        reverse("projects:receipt_create", args=[project.pk]),
        {"occurred_on": "2026-06-01", "amount": "10000000000", "evidence": pdf()},
    )
    assert "金额不能超过9999999999.99万元" in field_errors(page(response), "amount")
    assert not Receipt.objects.exists()


def pdf():
    return SimpleUploadedFile("凭证.pdf", PDF, content_type="application/pdf")


# Reasons -------------------------------------------------------------------------------
def test_a_pasted_document_as_the_reason_for_a_loss_is_refused(as_liaison, commerce):
    project = make_project(commerce)
    response = as_liaison.post(
        reverse("projects:lost", args=[project.pk]),
        {"lost_on": "2026-06-01", "lost_reason": "转投外省。" * 300},
    )
    assert response.status_code == 200
    assert "1000" in field_errors(page(response), "lost_reason")
    project.refresh_from_db()
    assert project.lost_on is None


def test_a_pasted_document_as_the_reason_for_a_return_is_refused(client, office, commerce):
    milestone = make_milestone(make_project(commerce), Stage.INTENT, TODAY, status="pending")
    client.force_login(office)
    response = client.post(
        reverse("projects:return", args=["milestone", milestone.pk]), {"reason": "x" * 1001}
    )
    assert response.status_code == 200
    assert "1000" in field_errors(page(response), "reason")
    milestone.refresh_from_db()
    assert milestone.status == "pending"


# Double-clicked submits ----------------------------------------------------------------
def test_a_double_clicked_visit_is_stored_once(as_liaison, commerce):
    url = reverse("projects:visit_create")
    data = visit_data(submission=token_of(as_liaison, url))
    first = as_liaison.post(url, data)
    history = history_rows()
    second = as_liaison.post(url, data, follow=True)
    assert first.status_code == 302
    assert second.redirect_chain == [(reverse("projects:visit_list"), 302)]
    assert "没有重复保存" in page(second)
    assert Visit.objects.count() == 1 and history_rows() == history


def test_each_showing_of_the_form_has_its_own_token(as_liaison, commerce):
    url = reverse("projects:visit_create")
    for _ in range(2):
        as_liaison.post(url, visit_data(submission=token_of(as_liaison, url)))
    assert Visit.objects.count() == 2
    assert Submission.objects.filter(kind="visit").count() == 2


def test_a_refused_form_keeps_its_token_for_the_corrected_post(as_liaison, commerce):
    url = reverse("projects:visit_create")
    token = token_of(as_liaison, url)
    refused = as_liaison.post(url, visit_data(submission=token, persons="0"))
    assert TOKEN.search(page(refused)).group(1) == token
    assert as_liaison.post(url, visit_data(submission=token)).status_code == 302
    assert Visit.objects.count() == 1


def test_tokens_past_the_keeping_days_are_purged_and_newer_ones_kept(
    as_liaison, commerce, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from projects.tasks import purge_old_submissions

    settings.SUBMISSION_KEEP_DAYS = 30
    url = reverse("projects:visit_create")
    for _ in range(3):
        as_liaison.post(url, visit_data(submission=token_of(as_liaison, url)))
    old, edge, new = Submission.objects.order_by("created_at")
    now = timezone.now()
    Submission.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=31))
    Submission.objects.filter(pk=edge.pk).update(created_at=now - timedelta(days=29))

    assert purge_old_submissions() == 1
    assert set(Submission.objects.values_list("pk", flat=True)) == {edge.pk, new.pk}
    assert Visit.objects.count() == 3  # only the tokens go, never what they made
    assert purge_old_submissions() == 0


def test_the_token_purge_is_scheduled_nightly(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="projects.tasks.purge_old_submissions")
    assert task.enabled and (task.crontab.hour, task.crontab.day_of_week) == ("3", "*")


@pytest.mark.parametrize("value", ["0", "-1", "thirty"])
def test_the_keeping_days_must_be_a_positive_number(value):
    env = {**os.environ, "SUBMISSION_KEEP_DAYS": value, "SECRET_KEY": "x" * 50}
    result = subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; settings.DEBUG"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "SUBMISSION_KEEP_DAYS" in result.stderr


def test_a_double_clicked_project_is_created_once(as_liaison, commerce):
    url = reverse("projects:create")
    data = {
        "name": "冷链物流园",
        "industry": "services",
        "department": commerce.pk,
        "submission": token_of(as_liaison, url),
    }
    first = as_liaison.post(url, data)
    second = as_liaison.post(url, data)
    project = Project.objects.get()
    assert first["Location"] == second["Location"] == reverse("projects:detail", args=[project.pk])


def test_a_double_clicked_project_with_a_typed_code_goes_to_the_first(as_liaison, commerce):
    """Without the token the repeat would be refused as a code already taken."""
    url = reverse("projects:create")
    data = {
        "name": "园区",
        "code": "SW-9",
        "industry": "other",
        "department": commerce.pk,
        "submission": token_of(as_liaison, url),
    }
    as_liaison.post(url, data)
    second = as_liaison.post(url, data, follow=True)
    assert "没有重复保存" in page(second)
    assert Project.objects.count() == 1


def test_a_double_clicked_lead_is_submitted_once(client, staff_member, commerce):
    client.force_login(staff_member)
    url = reverse("projects:lead_create")
    data = {"name": "电池项目", "source_channel": "classmate", "industry": "industrial"}
    data["department"] = commerce.pk
    data["submission"] = token_of(client, url)
    client.post(url, data)
    second = client.post(url, data)
    assert second["Location"] == reverse("projects:my_leads")
    assert Project.objects.count() == 1 and Milestone.objects.count() == 1


@pytest.mark.parametrize("kind", ["milestone", "receipt"])
def test_a_double_clicked_record_is_logged_once(as_liaison, commerce, kind):
    project = make_project(commerce)
    url = reverse(f"projects:{kind}_create", args=[project.pk])
    token = token_of(as_liaison, url)
    data = {"occurred_on": "2026-06-01", "stage": Stage.INTENT, "amount": "100"}
    for _ in range(2):
        response = as_liaison.post(url, {**data, "submission": token, "evidence": pdf()})
        assert response["Location"] == reverse("projects:detail", args=[project.pk])
    assert Milestone.objects.count() + Receipt.objects.count() == 1


def test_a_repeat_arriving_while_the_first_is_being_saved_is_refused_by_the_service(
    commerce, liaison
):
    """Two posts at the same instant both pass the page's early look-up; the service's
    transaction finds the token taken and rolls its own visit back."""
    token = uuid.uuid4()
    first = services.save_visit(_visit(commerce), by=liaison, submission=token)
    history = history_rows()
    with pytest.raises(services.AlreadySubmitted) as repeat:
        services.save_visit(_visit(commerce), by=liaison, submission=token)
    assert repeat.value.submission.object_id == first.pk
    assert Visit.objects.count() == 1 and history_rows() == history


def _visit(department) -> Visit:
    return Visit(department=department, occurred_on=TODAY, investor_org="客商", persons=2)


# Two users saving the same stage or code ---------------------------------------------
def test_a_stage_recorded_after_the_form_checked_it_is_refused_and_nothing_is_written(
    commerce, liaison, office
):
    """The unique (project, stage) case on SQLite: the form found the stage free, another
    user saved it before this save; the service answers with a ValidationError on the
    stage, inside its transaction, and writes nothing."""
    project = make_project(commerce)
    form = MilestoneForm(
        {"stage": Stage.LEAD, "occurred_on": "2026-06-01"},
        instance=Milestone(project=project),
    )
    assert form.is_valid(), form.errors
    make_milestone(project, Stage.LEAD, date(2026, 6, 2), status="pending")  # the other user
    before = (Milestone.objects.count(), history_rows(), Submission.objects.count())
    with pytest.raises(ValidationError) as refused:
        services.save_record(
            form.save(commit=False),
            by=liaison,
            original_status=None,
            submission=uuid.uuid4(),
        )
    assert "刚被他人登记" in refused.value.message_dict["stage"][0]
    assert (Milestone.objects.count(), history_rows(), Submission.objects.count()) == before
    project.refresh_from_db()
    assert project.last_milestone_on == date(2026, 6, 2)


def test_the_page_shows_the_clash_next_to_the_stage(as_liaison, commerce, monkeypatch):
    project = make_project(commerce)
    original = MilestoneForm.clean

    def checked_then_taken(form):
        cleaned = original(form)
        make_milestone(project, Stage.INTENT, date(2026, 6, 2), status="pending")
        return cleaned

    monkeypatch.setattr(MilestoneForm, "clean", checked_then_taken)
    response = as_liaison.post(
        reverse("projects:milestone_create", args=[project.pk]),
        {"stage": Stage.INTENT, "occurred_on": "2026-06-01", "evidence": pdf()},
    )
    assert response.status_code == 200
    assert "刚被他人登记" in field_errors(page(response), "stage")
    assert Milestone.objects.get().occurred_on == date(2026, 6, 2)


def test_a_typed_code_taken_after_the_form_checked_it_is_a_message_not_an_error_page(
    as_liaison, commerce, monkeypatch
):
    """Two users typing the same new code at once both pass the form's uniqueness check;
    the second save is refused next to the field. (The other user's save is made here
    between the check and the save.)"""
    original = ProjectForm.validate_unique

    def checked_then_taken(form):
        original(form)
        make_project(commerce, code="SW-777", name="别人刚建的")

    monkeypatch.setattr(ProjectForm, "validate_unique", checked_then_taken)
    response = as_liaison.post(
        reverse("projects:create"),
        {"name": "我的项目", "code": "SW-777", "industry": "other", "department": commerce.pk},
    )
    assert response.status_code == 200
    assert "刚被他人使用" in field_errors(page(response), "code")
    assert list(Project.objects.values_list("name", flat=True)) == ["别人刚建的"]
