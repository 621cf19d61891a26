"""The reports page, its JSON status, the PDF download and rebuild: who may do what."""

import uuid
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from competition.models import Competition, Report
from competition.reports import service
from tests.test_reports import AS_OF

PDF_BYTES = b"%PDF-1.7 a printed bulletin"


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-01-20 10:00 +08:00")


@pytest.fixture
def comp(db):
    return Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10)
    )


def done_report(comp, issue_number=1) -> Report:
    report = Report.objects.create(
        competition=comp,
        kind=Report.Kind.BULLETIN,
        as_of=AS_OF,
        issue_number=issue_number,
        status=Report.Status.DONE,
        finished_at=timezone.now(),
    )
    report.file.save("x.pdf", ContentFile(PDF_BYTES))
    return report


@pytest.fixture
def done(comp):
    return done_report(comp)


def get(client, user, url, **params):
    if user is not None:
        client.force_login(user)
    return client.get(url, params)


PERSONAS = [
    ("office", 200),
    ("leader", 200),
    ("liaison", 403),
    ("other_liaison", 403),
    ("staff_member", 403),
]


@pytest.mark.parametrize("persona,status", PERSONAS)
def test_reports_page_by_role(client, comp, done, persona, status, request):
    user = request.getfixturevalue(persona)
    assert get(client, user, "/reports/").status_code == status
    assert get(client, user, f"/reports/{done.pk}/status/").status_code == status
    assert get(client, user, f"/reports/{done.pk}/pdf/").status_code == status


@pytest.mark.parametrize(
    "url", ["/reports/", "/reports/{id}/status/", "/reports/{id}/pdf/", "/reports/{id}/rebuild/"]
)
def test_anonymous_users_are_sent_to_the_login_page(client, done, url):
    response = client.get(url.format(id=done.pk))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_office_sees_the_form_and_leaders_only_the_list(client, comp, done, office, leader):
    page = get(client, office, "/reports/").content.decode()
    assert 'name="kind"' in page and "重新生成" in page and "百日竞赛 简报第1期" in page
    client.logout()
    page = get(client, leader, "/reports/").content.decode()
    assert 'name="kind"' not in page and 'action="/reports/' not in page
    assert f'href="/reports/{done.pk}/pdf/"' in page


def test_the_page_loads_its_script_from_a_static_file(client, done, office):
    page = get(client, office, "/reports/").content.decode()
    assert 'src="/static/js/report-status.js"' in page
    assert "<script>" not in page and "<script " not in page.replace(
        '<script src="/static/js/report-status.js" defer>', ""
    )
    assert f'data-report-status-url="/reports/{done.pk}/status/"' in page


def test_the_office_requests_a_bulletin(client, comp, office, django_capture_on_commit_callbacks):
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/reports/", {"competition": comp.pk, "kind": "bulletin", "as_of": "2026-01-19"}
        )
    assert response.status_code == 302 and response["Location"] == "/reports/"
    report = Report.objects.get()
    assert (report.kind, report.issue_number, report.as_of) == ("bulletin", 1, date(2026, 1, 19))
    assert report.requested_by == office and report.status == Report.Status.QUEUED
    assert len(callbacks) == 1  # the build task, sent once the row is committed
    page = client.get("/reports/").content.decode()
    assert "已提交生成：百日竞赛 简报第1期" in page and 'data-status="queued"' in page
    # The message names its job, so that the page's script removes it when the job ends
    # (tests/test_browser_reports.py), and the row says which report it is.
    assert f'class="message message-success report-job report-job-{report.pk}"' in page
    assert f'data-report-id="{report.pk}"' in page


def test_a_future_date_is_refused(client, comp, office):
    client.force_login(office)
    response = client.post(
        "/reports/", {"competition": comp.pk, "kind": "pack", "as_of": "2026-01-21"}
    )
    assert response.status_code == 200 and "统计日期不能晚于今天" in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize("persona", ["leader", "liaison", "staff_member"])
def test_only_the_office_may_request_or_rebuild(client, comp, done, persona, request):
    client.force_login(request.getfixturevalue(persona))
    data = {"competition": comp.pk, "kind": "bulletin", "as_of": "2026-01-19"}
    assert client.post("/reports/", data).status_code == 403
    assert client.post(f"/reports/{done.pk}/rebuild/").status_code == 403
    assert Report.objects.count() == 1
    done.refresh_from_db()
    assert done.status == Report.Status.DONE


def test_the_status_endpoint(client, comp, done, office, leader):
    data = get(client, office, f"/reports/{done.pk}/status/").json()
    assert data == {
        "id": str(done.pk),
        "status": "done",
        "status_label": "已完成",
        "finished": True,
        "error": "",
        "download_url": f"/reports/{done.pk}/pdf/",
        "finished_at": done.finished_at.isoformat(),
        "can_rebuild": True,
    }
    client.logout()
    assert get(client, leader, f"/reports/{done.pk}/status/").json()["can_rebuild"] is False

    queued = service.request_report(comp, kind="pack", as_of=AS_OF)
    data = get(client, office, f"/reports/{queued.pk}/status/").json()
    assert (data["status"], data["status_label"], data["finished"]) == ("queued", "排队中", False)
    assert data["download_url"] is None and data["can_rebuild"] is False

    Report.objects.filter(pk=queued.pk).update(status="failed", error="生成失败：ValueError: x")
    data = get(client, office, f"/reports/{queued.pk}/status/").json()
    assert data["status_label"] == "失败" and data["error"] == "生成失败：ValueError: x"
    assert data["finished"] and data["can_rebuild"]

    assert get(client, office, f"/reports/{uuid.uuid4()}/status/").status_code == 404


@pytest.mark.parametrize("persona", ["office", "leader"])
def test_the_pdf_opens_inline(client, done, persona, request):
    response = get(client, request.getfixturevalue(persona), f"/reports/{done.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_no_pdf_before_the_job_is_done(client, comp, office):
    queued = service.request_report(comp, kind="bulletin", as_of=AS_OF)
    assert get(client, office, f"/reports/{queued.pk}/pdf/").status_code == 404
    assert get(client, office, f"/reports/{uuid.uuid4()}/pdf/").status_code == 404


def test_the_office_rebuilds_a_report(client, done, office, django_capture_on_commit_callbacks):
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/reports/{done.pk}/rebuild/")
    assert response.status_code == 302
    done.refresh_from_db()
    assert done.status == Report.Status.QUEUED and done.issue_number == 1
    assert len(callbacks) == 1
    # Once queued, a second click changes nothing.
    page = client.post(f"/reports/{done.pk}/rebuild/", follow=True).content.decode()
    assert "正在生成" in page


def test_the_office_corrects_an_issue_number(
    client, comp, done, office, django_capture_on_commit_callbacks
):
    client.force_login(office)
    page = client.get("/reports/").content.decode()
    assert f'action="/reports/{done.pk}/number/"' in page and 'name="issue_number"' in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/reports/{done.pk}/number/", {"issue_number": "13"})
    assert response.status_code == 302
    done.refresh_from_db()
    assert done.issue_number == 13 and done.status == Report.Status.QUEUED
    assert len(callbacks) == 1  # rebuilt with the new number
    # A number another issue has is refused with the reason; so is nonsense.
    other = done_report(comp, issue_number=2)
    other.as_of = date(2026, 1, 13)
    other.save()
    page = client.post(
        f"/reports/{other.pk}/number/", {"issue_number": "13"}, follow=True
    ).content.decode()
    assert "第13期已是2026-01-20的简报" in page
    page = client.post(
        f"/reports/{other.pk}/number/", {"issue_number": "-1"}, follow=True
    ).content.decode()
    assert "期号必须是正整数" in page
    other.refresh_from_db()
    assert other.issue_number == 2


def test_leaders_see_no_issue_number_form(client, done, leader):
    page = get(client, leader, "/reports/").content.decode()
    assert "/number/" not in page


def test_the_same_date_is_the_same_issue_from_the_page(
    client, comp, done, office, django_capture_on_commit_callbacks
):
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(
            "/reports/",
            {"competition": comp.pk, "kind": "bulletin", "as_of": AS_OF.isoformat()},
        )
    assert Report.objects.filter(kind="bulletin").count() == 1
    done.refresh_from_db()
    assert done.issue_number == 1 and done.status == Report.Status.QUEUED
    assert len(callbacks) == 1


def test_rebuild_needs_post(client, done, office):
    assert get(client, office, f"/reports/{done.pk}/rebuild/").status_code == 405


def test_the_list_runs_the_same_queries_for_few_and_many_reports(client, comp, office):
    client.force_login(office)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/reports/").status_code == 200
        return len(captured)

    done_report(comp, 1)
    few = count()
    for n in range(2, 12):
        done_report(comp, n)
    service.request_report(comp, kind="pack", as_of=AS_OF, user=office)
    # Session, user with roles (joined to the person and liaison departments), the active
    # competition, the report count, the page of reports joined to competitions and
    # requesters, the form's competition choices, the header's unread notifications
    # count: 7 for any rows.
    assert count() == few == 7
