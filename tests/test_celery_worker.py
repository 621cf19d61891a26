"""With a real Redis broker and a real Celery worker process (PostgreSQL pass of CI).

The worker runs against the test database, so these tests commit their data
(transactional tests) and poll for the results the worker writes. The `worker` fixture
(tests/conftest.py) and the waits and locks are tests/worker_process.py's.
"""

from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from competition import services
from competition.models import Competition, Quota, Snapshot
from projects import services as services_of_projects
from projects.models import Stage
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
    return comp


def _fresh(comp) -> bool:
    return Competition.objects.get(pk=comp.pk).stale_from is None


def test_verified_milestone_leads_to_a_new_snapshot(worker, comp, commerce):
    wait_for(lambda: _fresh(comp), what="the setup recompute", log=worker.log)
    project = make_project(commerce)
    milestone = make_milestone(project, Stage.SIGNED, timezone.localdate(), status="pending")
    services_of_projects.verify_records(milestone_ids=[milestone.pk], by=None)

    def signed_counted():
        snap = Snapshot.objects.filter(
            competition=comp, as_of=timezone.localdate(), department=commerce
        ).first()
        return snap is not None and snap.actuals["signed_projects"] == "1"

    wait_for(signed_counted, what="the worker's snapshot with the signed project", log=worker.log)
    assert _fresh(comp)


def test_worker_killed_mid_recompute_loses_nothing(worker, comp, commerce):
    # The recompute the setup queued writes the snapshot table: let it finish first, task
    # and all, or it (not the one below) is what blocks on the lock and gets killed.
    wait_for(lambda: _fresh(comp), what="the setup recompute", log=worker.log)
    wait_for(lambda: idle(worker.log), what="the setup recompute's task to end", log=worker.log)
    s = connection.settings_dict
    # Lock the snapshot table so the worker's recompute blocks inside run_recompute(),
    # after it picked up the task and before it could clear the stale marker.
    with table_locked("competition_snapshot"):
        make_visit(commerce, timezone.localdate())  # saved through the service: announced

        def worker_blocked():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                    " AND wait_event_type = 'Lock'",
                    [s["NAME"]],
                )
                return cursor.fetchone()[0] > 0

        wait_for(worker_blocked, what="the recompute to be mid-task", log=worker.log)
        assert kill_pool_children(worker), "the prefork pool has a child process"

    def visit_counted():
        snap = Snapshot.objects.filter(
            competition=comp, as_of=timezone.localdate(), department=commerce
        ).first()
        return snap is not None and snap.actuals["visit_batches"] == "1"

    wait_for(visit_counted, what="the re-delivered recompute", log=worker.log)
    assert _fresh(comp)
    # Exactly one snapshot row per department and date: nothing half-written or doubled.
    assert Snapshot.objects.filter(competition=comp, as_of=timezone.localdate()).count() == 1
