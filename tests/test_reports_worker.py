"""Report jobs through a real Redis broker and a real worker process (PostgreSQL pass).

The worker shares the test database and MEDIA_ROOT. The `worker` fixture
(tests/conftest.py) and the waits and locks, written for a loaded CI machine, are
tests/worker_process.py's.
"""

from datetime import date

import pytest
from django.utils import timezone

from competition import services, tasks
from competition.models import Competition, Quota, Report
from competition.reports import service
from tests.conftest import make_milestone, make_project, make_visit
from tests.worker_process import idle, kill_pool_children, table_locked, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def comp(commerce):
    today = timezone.localdate()
    comp = services.save_competition(
        Competition(
            name="百日竞赛", start_date=date(today.year, 1, 1), end_date=date(today.year, 12, 31)
        )
    )
    services.save_quota(
        Quota(competition=comp, department=commerce, signed_projects=1, visit_batches=2)
    )
    make_visit(commerce, today)
    make_milestone(make_project(commerce), 2, today)  # the builders announce, as services do
    return comp


def _status(report) -> str:
    return Report.objects.filter(pk=report.pk).values_list("status", flat=True).get()


def _fresh(comp) -> bool:
    return Competition.objects.filter(pk=comp.pk, stale_from__isnull=True).exists()


def _finished(report) -> bool:
    return _status(report) in ("done", "failed")


def _pdf_of(report) -> bytes:
    report.refresh_from_db()
    with report.file.open("rb") as f:
        return f.read()


def test_a_requested_bulletin_is_built_by_the_worker(worker, comp):
    report = service.request_report(comp, kind="bulletin", as_of=timezone.localdate())
    tasks.build_after_commit([report.pk])
    wait_for(lambda: _finished(report), what="the worker's PDF", log=worker.log)
    report.refresh_from_db()
    assert report.status == "done", report.error
    assert _pdf_of(report).startswith(b"%PDF-")


def test_a_worker_killed_mid_render_leaves_no_half_file(worker, comp):
    # The recompute the setup queued reads the quota table too: let it finish first, task
    # and all, or it (not the render) is what blocks on the lock below, with the report
    # queued behind it.
    wait_for(lambda: _fresh(comp), what="the setup recompute", log=worker.log)
    wait_for(lambda: idle(worker.log), what="the setup recompute's task to end", log=worker.log)
    # Lock the quota table: the worker claims the job ("rendering"), then blocks reading
    # the league, mid-task.
    with table_locked("competition_quota"):
        report = service.request_report(comp, kind="pack", as_of=timezone.localdate())
        tasks.build_after_commit([report.pk])
        wait_for(
            lambda: _status(report) == "rendering",
            what="the worker to claim the job",
            log=worker.log,
        )
        assert kill_pool_children(worker), "the prefork pool has a child process"
        report.refresh_from_db()
        assert report.status == "rendering" and not report.file  # nothing half-written

    # The broker delivers the task again (acks_late, reject_on_worker_lost): rendered anew.
    wait_for(lambda: _finished(report), what="the re-delivered build", log=worker.log)
    report.refresh_from_db()
    assert report.status == "done", report.error
    assert _pdf_of(report).startswith(b"%PDF-")
