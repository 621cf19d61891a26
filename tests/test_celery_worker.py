"""With a real Redis broker and a real Celery worker process (PostgreSQL pass of CI).

The worker runs against the test database, so these tests commit their data
(transactional tests) and poll for the results the worker writes.
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

from competition.models import Competition, Quota, Snapshot
from projects.models import Milestone, Stage
from tests.conftest import make_project, make_visit

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    s = connection.settings_dict
    assert connection.vendor == "postgresql", "worker tests need PostgreSQL (CI's second pass)"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _wait_for(predicate, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def worker(tmp_path):
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
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info",
             "-P", "prefork", "-c", "1", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-n", f"test-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for(lambda: "ready." in log.read_text(), what="the worker to start")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        app.conf.task_always_eager = True


@pytest.fixture
def comp(commerce):
    today = timezone.localdate()
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(today.year, 1, 1), end_date=date(today.year, 12, 31)
    )
    Quota.objects.create(competition=comp, department=commerce, signed_projects=1, visit_batches=2)
    return comp


def _fresh(comp) -> bool:
    return Competition.objects.get(pk=comp.pk).stale_from is None


def test_verified_milestone_leads_to_a_new_snapshot(worker, comp, commerce):
    _wait_for(lambda: _fresh(comp), what="the setup recompute")
    project = make_project(commerce)
    milestone = Milestone(
        project=project, stage=Stage.SIGNED, occurred_on=timezone.localdate(), status="pending"
    )
    milestone.save()
    milestone.status = "verified"
    milestone.save()

    def signed_counted():
        snap = Snapshot.objects.filter(
            competition=comp, as_of=timezone.localdate(), department=commerce
        ).first()
        return snap is not None and snap.actuals["signed_projects"] == "1"

    _wait_for(signed_counted, what="the worker's snapshot with the signed project")
    assert _fresh(comp)


def test_worker_killed_mid_recompute_loses_nothing(worker, comp, commerce):
    _wait_for(lambda: _fresh(comp), what="the setup recompute")
    s = connection.settings_dict
    # Lock the snapshot table so the worker's recompute blocks inside run_recompute(),
    # after it picked up the task and before it could clear the stale marker.
    blocker = psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"]
    )
    blocker.execute("LOCK TABLE competition_snapshot IN ACCESS EXCLUSIVE MODE")
    make_visit(commerce, timezone.localdate())

    def worker_blocked():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                " AND wait_event_type = 'Lock'",
                [s["NAME"]],
            )
            return cursor.fetchone()[0] > 0

    _wait_for(worker_blocked, what="the recompute to be mid-task")
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(worker.pid)], capture_output=True, text=True
    ).stdout.split()
    assert children, "the prefork pool has a child process"
    for pid in children:
        os.kill(int(pid), signal.SIGKILL)
    blocker.rollback()
    blocker.close()

    def visit_counted():
        snap = Snapshot.objects.filter(
            competition=comp, as_of=timezone.localdate(), department=commerce
        ).first()
        return snap is not None and snap.actuals["visit_batches"] == "1"

    _wait_for(visit_counted, what="the re-delivered recompute")
    assert _fresh(comp)
    # Exactly one snapshot row per department and date: nothing half-written or doubled.
    assert Snapshot.objects.filter(competition=comp, as_of=timezone.localdate()).count() == 1
