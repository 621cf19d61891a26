"""The reports page in Chromium: the "已提交生成" message goes when the job ends (issue 19)."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from competition import tasks
from competition.models import Competition, Report
from tests.test_browser import _plain_http_cookies, login  # noqa: F401 (an autouse fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def competition(commerce):
    today = timezone.localdate()
    return Competition.objects.create(
        name="百日竞赛", start_date=today - timedelta(days=42), end_date=today + timedelta(days=57)
    )


def _finish(report_id) -> None:
    report = Report.objects.get(pk=report_id)
    report.file.save("x.pdf", ContentFile(b"%PDF-1.7 done"), save=False)
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.DONE, file=report.file.name, finished_at=timezone.now()
    )


def test_the_submitted_message_goes_when_the_pdf_is_ready(
    browser, live_server, office, competition, monkeypatch
):
    # No worker: the job stays queued until the test finishes it, as a worker would.
    monkeypatch.setattr(tasks, "build_after_commit", lambda ids: None)
    page = login(browser, live_server, "office")
    page.goto(f"{live_server.url}/reports/")
    page.click("form.report-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reports/")
    message = page.locator(".message.report-job")
    assert "已提交生成" in message.inner_text()

    report = Report.objects.get()
    _finish(report.pk)
    # The next poll (1.5 s after the page loaded) sees the job ended.
    message.wait_for(state="detached", timeout=10_000)
    assert page.locator(f"#report-{report.pk} [data-role=download]").is_visible()

    # A job that ends before the page shows (tasks run in-process without a broker): the
    # message goes at once, no poll needed.
    monkeypatch.setattr(
        tasks,
        "build_after_commit",
        lambda ids: [transaction.on_commit(lambda pk=pk: _finish(pk)) for pk in ids],
    )
    page.fill("input[name=as_of]", (timezone.localdate() - timedelta(days=1)).isoformat())
    page.click("form.report-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reports/")
    page.wait_for_load_state()
    assert Report.objects.filter(status=Report.Status.DONE).count() == 2
    assert page.locator(".message").count() == 0
