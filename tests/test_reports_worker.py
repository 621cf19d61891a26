"""Report jobs through a real Redis broker and a real worker process (PostgreSQL pass).

The worker shares the test database and MEDIA_ROOT (see tests/test_celery_worker.py).
"""

import os
import signal
import subprocess
from datetime import date

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from competition.models import Competition, Quota, Report
from competition.reports import service
from tests.conftest import make_milestone, make_project, make_visit
from tests.test_celery_worker import _wait_for, worker  # noqa: F401 (the worker fixture)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def comp(commerce):
    today = timezone.localdate()
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(today.year, 1, 1), end_date=date(today.year, 12, 31)
    )
    Quota.objects.create(competition=comp, department=commerce, signed_projects=1, visit_batches=2)
    make_visit(commerce, today)
    make_milestone(make_project(commerce), 2, today)
    return comp


def _status(report) -> str:
    return Report.objects.filter(pk=report.pk).values_list("status", flat=True).get()


def _pdf_of(report) -> bytes:
    report.refresh_from_db()
    with report.file.open("rb") as f:
        return f.read()


def test_a_requested_bulletin_is_built_by_the_worker(worker, comp):  # noqa: F811
    report = service.request_report(comp, kind="bulletin", as_of=timezone.localdate())
    _wait_for(lambda: _status(report) == "done", timeout=120, what="the worker's PDF")
    assert _pdf_of(report).startswith(b"%PDF-")


def test_a_worker_killed_mid_render_leaves_no_half_file(worker, comp):  # noqa: F811
    s = connection.settings_dict
    # Lock the quota table: the worker claims the job ("rendering"), then blocks reading
    # the league, mid-task.
    blocker = psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"]
    )
    blocker.execute("LOCK TABLE competition_quota IN ACCESS EXCLUSIVE MODE")
    report = service.request_report(comp, kind="pack", as_of=timezone.localdate())
    _wait_for(lambda: _status(report) == "rendering", what="the worker to claim the job")

    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(worker.pid)], capture_output=True, text=True
    ).stdout.split()
    assert children, "the prefork pool has a child process"
    for pid in children:
        os.kill(int(pid), signal.SIGKILL)
    report.refresh_from_db()
    assert report.status == "rendering" and not report.file  # nothing half-written
    blocker.rollback()
    blocker.close()

    # The broker delivers the task again (acks_late, reject_on_worker_lost): rendered anew.
    _wait_for(lambda: _status(report) == "done", timeout=120, what="the re-delivered build")
    assert _pdf_of(report).startswith(b"%PDF-")
