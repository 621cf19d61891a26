"""Report jobs through a real Redis broker and a real worker process (PostgreSQL pass).

The worker shares the test database and MEDIA_ROOT (see tests/test_celery_worker.py).

Written for a loaded CI machine (two busy cores): every wait polls a condition with a
generous deadline, and whatever a test takes (the worker process, the table lock) is
given back in a finaliser, so a failure is reported instead of hanging the teardown.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from competition.models import Competition, Quota, Report
from competition.reports import service
from tests.conftest import make_milestone, make_project, make_visit
from tests.test_celery_worker import _database_url

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent

# Seconds. Starting a worker, a recompute or a PDF takes a few seconds on an idle machine
# and many times that when the CI machine's two cores are busy.
WAIT = 120
# How long a worker gets to finish its task and exit on SIGTERM before it is killed.
STOP_WAIT = 60


def _wait_for(predicate, *, what, timeout=WAIT, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    tail = ""
    if log is not None and log.exists():
        tail = "\n--- worker log (end) ---\n" + log.read_text(errors="replace")[-4000:]
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{tail}")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM (warm shutdown), then SIGKILL to the worker and its pool children."""
    try:
        proc.terminate()
        proc.wait(timeout=STOP_WAIT)
    except subprocess.TimeoutExpired:
        pass
    finally:
        # The worker runs in its own process group: this also takes any pool child left
        # behind, whether the worker exited or not.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


@pytest.fixture
def worker(tmp_path):
    """A worker process of its own (prefork, one child), stopped whatever the test did."""
    broker = os.environ.get("CELERY_BROKER_URL")
    assert broker, "CELERY_BROKER_URL must point at a real Redis for the worker tests"
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = broker
    app.control.purge()
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-secret-key"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    try:
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info",
                 "-P", "prefork", "-c", "1", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "-n", f"test-{os.getpid()}@%h"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, process_group=0,
            )  # fmt: skip
        try:
            proc.log = log
            _wait_for(lambda: "ready." in log.read_text(), what="the worker to start", log=log)
            yield proc
        finally:
            _stop(proc)
    finally:
        app.conf.task_always_eager = True


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
    _wait_for(lambda: _finished(report), what="the worker's PDF", log=worker.log)
    report.refresh_from_db()
    assert report.status == "done", report.error
    assert _pdf_of(report).startswith(b"%PDF-")


def test_a_worker_killed_mid_render_leaves_no_half_file(worker, comp):
    # The recompute the setup queued reads the quota table too: let it finish first, or it
    # (not the render) is what blocks on the lock below, with the report queued behind it.
    _wait_for(lambda: _fresh(comp), what="the setup recompute", log=worker.log)
    s = connection.settings_dict
    # Lock the quota table: the worker claims the job ("rendering"), then blocks reading
    # the league, mid-task.
    blocker = psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        dbname=s["NAME"],
        connect_timeout=WAIT,
    )
    try:
        # Bounded, never a hang: an error if the lock cannot be had within WAIT.
        blocker.execute(f"SET LOCAL lock_timeout = '{WAIT}s'")
        blocker.execute("LOCK TABLE competition_quota IN ACCESS EXCLUSIVE MODE")
        report = service.request_report(comp, kind="pack", as_of=timezone.localdate())
        _wait_for(
            lambda: _status(report) == "rendering",
            what="the worker to claim the job",
            log=worker.log,
        )

        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(worker.pid)], capture_output=True, text=True
        ).stdout.split()
        assert children, "the prefork pool has a child process"
        for pid in children:
            os.kill(int(pid), signal.SIGKILL)
        report.refresh_from_db()
        assert report.status == "rendering" and not report.file  # nothing half-written
    finally:
        # Whatever failed above, the lock goes (rollback, and closing ends the session):
        # held, it would block the worker's shutdown and the teardown's table flush forever.
        try:
            blocker.rollback()
        finally:
            blocker.close()

    # The broker delivers the task again (acks_late, reject_on_worker_lost): rendered anew.
    _wait_for(lambda: _finished(report), what="the re-delivered build", log=worker.log)
    report.refresh_from_db()
    assert report.status == "done", report.error
    assert _pdf_of(report).startswith(b"%PDF-")
