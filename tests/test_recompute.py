"""Snapshots follow the records: marking, coalescing, recompute, broker outages."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from competition.league import recompute
from competition.models import Competition, Quota, Snapshot
from projects.models import Stage
from tests.conftest import make_milestone, make_project, make_visit

TODAY = date(2026, 1, 20)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-01-20 12:00 +08:00")


@pytest.fixture
def comp(commerce):
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10)
    )
    Quota.objects.create(competition=comp, department=commerce, visit_batches=10)
    Competition.objects.update(stale_from=None, stale_since=None)  # start fresh
    return comp


@pytest.fixture
def queued(monkeypatch):
    """Record queue_recompute calls instead of sending tasks."""
    calls = []
    monkeypatch.setattr(recompute, "queue_recompute", lambda cid: calls.append(cid) or True)
    return calls


def test_a_burst_of_edits_queues_one_recompute(
    comp, commerce, queued, django_capture_on_commit_callbacks
):
    version = Competition.objects.get(pk=comp.pk).stale_version
    for day in range(1, 21):
        with django_capture_on_commit_callbacks(execute=True):
            make_visit(commerce, date(2026, 1, day))
    assert queued == [comp.id]
    comp.refresh_from_db()
    assert comp.stale_from == date(2026, 1, 1)
    assert comp.stale_version == version + 20  # every change is counted


def test_record_before_the_window_marks_from_the_start(comp, commerce, queued):
    make_visit(commerce, date(2025, 12, 1))
    comp.refresh_from_db()
    assert comp.stale_from == comp.start_date


def test_record_after_a_competition_ended_does_not_touch_it(commerce, queued):
    old = Competition.objects.create(
        name="去年", start_date=date(2025, 1, 1), end_date=date(2025, 4, 10)
    )
    Competition.objects.update(stale_from=None)
    make_visit(commerce, date(2026, 1, 5))
    old.refresh_from_db()
    assert old.stale_from is None


def test_run_recompute_stores_today_and_stale_stored_dates_then_clears(comp, commerce, queued):
    from competition.league.snapshots import recompute_snapshots

    recompute_snapshots(comp, as_of=date(2026, 1, 5))
    recompute_snapshots(comp, as_of=date(2026, 1, 15))
    make_visit(commerce, date(2026, 1, 10))
    assert recompute.run_recompute(comp.id) == [date(2026, 1, 15), TODAY]
    assert Snapshot.objects.get(as_of=date(2026, 1, 15)).actuals["visit_batches"] == "1"
    assert Snapshot.objects.get(as_of=date(2026, 1, 5)).actuals["visit_batches"] == "0"
    comp.refresh_from_db()
    assert comp.stale_from is None
    assert recompute.run_recompute(comp.id) == []  # nothing left to do


def test_change_during_a_recompute_requeues(comp, commerce, queued, monkeypatch):
    make_visit(commerce, date(2026, 1, 10))
    real = recompute.recompute_snapshots

    def edit_meanwhile(competition, *, as_of):
        recompute.mark_competition_stale(competition.id, date(2026, 1, 11))
        return real(competition, as_of=as_of)

    monkeypatch.setattr(recompute, "recompute_snapshots", edit_meanwhile)
    queued.clear()
    recompute.run_recompute(comp.id)
    comp.refresh_from_db()
    assert comp.stale_from is not None  # not cleared: a change came meanwhile
    assert queued == [comp.id]  # and the next run is queued


def test_verified_milestone_updates_the_league_in_process(
    comp, commerce, django_capture_on_commit_callbacks
):
    """No broker configured: the task runs in-process right after the commit."""
    Quota.objects.filter(competition=comp).update(signed_projects=1)
    with django_capture_on_commit_callbacks(execute=True):
        project = make_project(commerce)
        make_milestone(project, Stage.SIGNED, date(2026, 1, 18))
    snap = Snapshot.objects.get(competition=comp, as_of=TODAY, department=commerce)
    assert snap.actuals["signed_projects"] == "1"
    comp.refresh_from_db()
    assert comp.stale_from is None


def test_broker_down_saving_still_succeeds_and_the_sweep_catches_up(
    comp, commerce, settings, django_capture_on_commit_callbacks
):
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        with django_capture_on_commit_callbacks(execute=True):
            visit = make_visit(commerce, date(2026, 1, 12))
        assert visit.pk  # saved
        comp.refresh_from_db()
        assert comp.stale_from == date(2026, 1, 12)  # marker kept for the catch-up
        assert recompute.stale_competition_ids(older_than=timedelta(0)) == [comp.id]
    finally:
        app.conf.task_always_eager = True
        app.conf.broker_url = None
    # Broker back (in-process here): the sweep re-queues and the league catches up.
    from competition.tasks import sweep_stale

    Competition.objects.update(stale_since=timezone.now() - timedelta(minutes=5))
    sweep_stale()
    snap = Snapshot.objects.get(competition=comp, as_of=TODAY, department=commerce)
    assert snap.actuals["visit_batches"] == "1"


def test_nightly_snapshots_every_active_started_competition(comp, commerce):
    Competition.objects.create(
        name="未开始", start_date=date(2026, 3, 1), end_date=date(2026, 6, 8)
    )
    Competition.objects.create(
        name="已停用", start_date=date(2026, 1, 1), end_date=date(2026, 6, 8), is_active=False
    )
    from competition.tasks import nightly_snapshots

    assert nightly_snapshots() == [comp.id]
    assert Snapshot.objects.filter(competition=comp, as_of=TODAY).count() == 1


def test_beat_schedules_exist_and_are_editable_rows(db):
    from django_celery_beat.models import PeriodicTask

    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"competition.tasks.nightly_snapshots", "competition.tasks.sweep_stale"} <= tasks


def test_verify_and_return_through_services_reach_the_league(
    comp, commerce, office, django_capture_on_commit_callbacks
):
    """The review services update rows without save(); they signal the change instead."""
    from projects import services

    Quota.objects.filter(competition=comp).update(signed_projects=1, intent_projects=1)
    with django_capture_on_commit_callbacks(execute=True):
        project = make_project(commerce)
        milestone = make_milestone(project, Stage.SIGNED, date(2026, 1, 18), status="pending")

    def signed_today():
        snap = Snapshot.objects.get(competition=comp, as_of=TODAY, department=commerce)
        return snap.actuals["signed_projects"]

    assert signed_today() == "0"  # pending does not count
    with django_capture_on_commit_callbacks(execute=True):
        services.verify_records(milestone_ids=[milestone.pk], by=office)
    assert signed_today() == "1"
    with django_capture_on_commit_callbacks(execute=True):
        services.return_records(milestone_ids=[milestone.pk], by=office, reason="合同未盖章")
    assert signed_today() == "0"


def test_marker_cleared_between_the_two_updates_still_queues_a_run(
    comp, commerce, queued, monkeypatch, django_capture_on_commit_callbacks
):
    """The race a load test found: a recompute clears the marker while a change is marking.

    The change must then take the fresh path (and queue a run), not re-set the marker
    with nothing queued.
    """
    from django.db.models.functions import Least

    recompute.mark_competition_stale(comp.id, date(2026, 1, 5))  # stale, run queued
    queued.clear()

    def worker_clears_meanwhile(*args):
        Competition.objects.filter(pk=comp.pk).update(stale_from=None, stale_since=None)
        monkeypatch.setattr(recompute, "Least", Least)
        return Least(*args)

    monkeypatch.setattr(recompute, "Least", worker_clears_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        recompute.mark_competition_stale(comp.id, date(2026, 1, 9))
    comp.refresh_from_db()
    assert comp.stale_from == date(2026, 1, 9) and comp.stale_since is not None
    assert queued == [comp.id]


def test_sweep_picks_up_a_marker_without_a_time(comp):
    Competition.objects.filter(pk=comp.pk).update(stale_from=date(2026, 1, 3), stale_since=None)
    assert recompute.stale_competition_ids() == [comp.id]
