"""Snapshots follow the records: marking, coalescing, recompute, broker outages.

Data entry announces its changes through departments.changes: its services call
`announce`, and so do the record builders of tests/conftest.py, which save through them.
Where a test needs a change without a record, it announces one itself.
"""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from competition import services, tasks
from competition.league import recompute
from competition.models import Competition, MetricWeight, Quota, Snapshot
from departments.changes import announce
from projects.models import Stage, Visit
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
    monkeypatch.setattr(tasks, "queue_recompute", lambda cid: calls.append(cid) or True)
    return calls


@pytest.fixture
def logged(django_capture_on_commit_callbacks):
    """Log a visit (the service announces it) and run what follows the commit."""

    def log(department, on):
        with django_capture_on_commit_callbacks(execute=True):
            return make_visit(department, on)

    return log


def test_a_burst_of_edits_queues_one_recompute(comp, commerce, queued, logged):
    version = Competition.objects.get(pk=comp.pk).stale_version
    for day in range(1, 21):
        logged(commerce, date(2026, 1, day))
    assert queued == [comp.id]
    comp.refresh_from_db()
    assert comp.stale_from == date(2026, 1, 1)
    assert comp.stale_version == version + 20  # every change is counted


def test_record_before_the_window_marks_from_the_start(comp, commerce, queued, logged):
    logged(commerce, date(2025, 12, 1))
    comp.refresh_from_db()
    assert comp.stale_from == comp.start_date


def test_record_inside_the_window_marks_from_its_date(comp, commerce, queued, logged):
    logged(commerce, date(2026, 1, 12))
    comp.refresh_from_db()
    assert comp.stale_from == date(2026, 1, 12)


def test_record_after_a_competition_ended_does_not_touch_it(commerce, queued, logged):
    old = Competition.objects.create(
        name="去年", start_date=date(2025, 1, 1), end_date=date(2025, 4, 10)
    )
    Quota.objects.create(competition=old, department=commerce, visit_batches=10)
    logged(commerce, date(2026, 1, 5))
    old.refresh_from_db()
    assert old.stale_from is None and queued == []


def test_only_competitions_the_department_takes_part_in_are_marked(
    comp, commerce, finance, queued, logged
):
    """A department without a quota is not in the league: its records move nothing there."""
    logged(finance, date(2026, 1, 12))
    comp.refresh_from_db()
    assert comp.stale_from is None and queued == []


def test_a_change_not_tied_to_a_date_marks_from_the_start(
    comp, commerce, queued, django_capture_on_commit_callbacks
):
    """A department renamed or regrouped: every date of its competitions may move."""
    with django_capture_on_commit_callbacks(execute=True):
        announce(department_ids=[commerce.pk], dates=None)
    comp.refresh_from_db()
    assert comp.stale_from == comp.start_date and queued == [comp.id]


def test_nothing_is_marked_before_the_announcing_transaction_commits(
    comp, commerce, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        announce(department_ids=[commerce.pk], dates=[date(2026, 1, 12)])
    comp.refresh_from_db()
    assert comp.stale_from is None and queued == []
    for callback in callbacks:
        callback()
    comp.refresh_from_db()
    assert comp.stale_from == date(2026, 1, 12)


def test_a_record_saved_without_announcing_marks_nothing(
    comp, commerce, queued, django_capture_on_commit_callbacks
):
    """No model signal: only the announcement (or a competition service) marks."""
    with django_capture_on_commit_callbacks(execute=True):
        Visit.objects.create(
            department=commerce, occurred_on=date(2026, 1, 12), persons=2, investor_org="客商"
        )
    Quota.objects.filter(competition=comp).update(visit_batches=3)
    MetricWeight.objects.create(competition=comp, metric="visit_batches", weight=5)
    comp.refresh_from_db()
    assert comp.stale_from is None and queued == []


def test_run_recompute_stores_every_day_from_the_change_to_today_then_clears(
    comp, commerce, queued, logged
):
    """A snapshot per day of the window from the change on (last week's ranks are always
    there); days before the change keep theirs."""
    from competition.league.snapshots import recompute_snapshots

    recompute_snapshots(comp, as_of=date(2026, 1, 5))
    recompute_snapshots(comp, as_of=date(2026, 1, 15))
    logged(commerce, date(2026, 1, 10))
    days = [date(2026, 1, day) for day in range(10, 21)]  # the 10th to today, the 20th
    assert recompute.run_recompute(comp.id) == (days, False)
    assert sorted(set(Snapshot.objects.values_list("as_of", flat=True))) == [
        date(2026, 1, 5),
        *days,
    ]
    assert Snapshot.objects.get(as_of=date(2026, 1, 15)).actuals["visit_batches"] == "1"
    assert Snapshot.objects.get(as_of=date(2026, 1, 5)).actuals["visit_batches"] == "0"
    comp.refresh_from_db()
    assert comp.stale_from is None
    assert recompute.run_recompute(comp.id) == ([], False)  # nothing left to do


def test_change_during_a_recompute_requeues(comp, commerce, queued, logged, monkeypatch):
    logged(commerce, date(2026, 1, 20))  # today: one date
    real = recompute.recompute_snapshots

    def edit_meanwhile(competition, *, as_of):
        recompute.mark_competition_stale(competition.id, date(2026, 1, 11))
        return real(competition, as_of=as_of)

    monkeypatch.setattr(recompute, "recompute_snapshots", edit_meanwhile)
    queued.clear()
    assert tasks.recompute_competition(comp.id) == [TODAY.isoformat()]
    comp.refresh_from_db()
    assert comp.stale_from is not None  # not cleared: a change came meanwhile
    assert queued == [comp.id]  # and the task queued the next run


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


def test_broker_down_saving_still_succeeds_and_the_sweep_catches_up(comp, commerce, logged):
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        visit = logged(commerce, date(2026, 1, 12))
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
    # Ended: its last day's snapshot stands for every later day; nothing is stored after.
    Competition.objects.create(
        name="已结束", start_date=date(2025, 9, 1), end_date=date(2025, 12, 9)
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


def test_marker_cleared_between_the_two_updates_still_queues_a_run(comp, monkeypatch):
    """The race a load test found: a recompute clears the marker while a change is marking.

    The change must then take the fresh path (and tell its caller to queue a run), not
    re-set the marker with nothing queued.
    """
    from django.db.models.functions import Least

    assert recompute.mark_competition_stale(comp.id, date(2026, 1, 5))  # fresh: queue a run
    assert not recompute.mark_competition_stale(comp.id, date(2026, 1, 7))  # already due

    def worker_clears_meanwhile(*args):
        Competition.objects.filter(pk=comp.pk).update(stale_from=None, stale_since=None)
        monkeypatch.setattr(recompute, "Least", Least)
        return Least(*args)

    monkeypatch.setattr(recompute, "Least", worker_clears_meanwhile)
    assert recompute.mark_competition_stale(comp.id, date(2026, 1, 9))
    comp.refresh_from_db()
    assert comp.stale_from == date(2026, 1, 9) and comp.stale_since is not None


def test_sweep_picks_up_a_marker_without_a_time(comp):
    Competition.objects.filter(pk=comp.pk).update(stale_from=date(2026, 1, 3), stale_since=None)
    assert recompute.stale_competition_ids() == [comp.id]


# ---- competition settings: saved through competition.services ---------------------------


def test_a_quota_saved_through_the_service_recomputes_after_commit(
    comp, commerce, office, django_capture_on_commit_callbacks
):
    from competition.league.snapshots import recompute_snapshots

    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    quota = Quota.objects.get(competition=comp)
    quota.visit_batches = 4
    with django_capture_on_commit_callbacks(execute=True):
        services.save_quota(quota, by=office)
    comp.refresh_from_db()
    assert comp.stale_from is None  # recomputed in-process after the commit
    for as_of in (date(2026, 1, 10), TODAY):  # the stored date and today, from the start
        snap = Snapshot.objects.get(competition=comp, as_of=as_of)
        assert snap.targets["visit_batches"] == "4"
    assert quota.history.latest().history_user == office


def test_a_weight_saved_or_deleted_through_the_service_marks_from_the_start(
    comp, queued, django_capture_on_commit_callbacks
):
    weight = MetricWeight(competition=comp, metric="visit_batches", weight=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.save_weight(weight)
    comp.refresh_from_db()
    assert comp.stale_from == comp.start_date and queued == [comp.id]

    Competition.objects.update(stale_from=None, stale_since=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_weight(weight)
    comp.refresh_from_db()
    assert comp.stale_from == comp.start_date and queued == [comp.id, comp.id]
    assert not MetricWeight.objects.filter(competition=comp).exists()


def test_a_quota_moved_to_another_competition_marks_both(
    comp, commerce, queued, django_capture_on_commit_callbacks
):
    other = Competition.objects.create(
        name="全年任务", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    quota = Quota.objects.get(competition=comp)
    quota.competition = other
    with django_capture_on_commit_callbacks(execute=True):
        services.save_quota(quota)
    assert sorted(queued) == sorted([comp.id, other.id])


def test_a_competition_moved_later_is_marked_from_its_former_start(
    comp, queued, django_capture_on_commit_callbacks
):
    comp.start_date = date(2026, 1, 8)
    with django_capture_on_commit_callbacks(execute=True):
        services.save_competition(comp)
    comp.refresh_from_db()
    assert comp.stale_from == date(2026, 1, 1) and queued == [comp.id]


def test_saving_a_competition_keeps_a_marker_set_meanwhile(comp, queued):
    """The form was loaded fresh; a change marked the league since: the save keeps the mark."""
    form_copy = Competition.objects.get(pk=comp.pk)
    recompute.mark_competition_stale(comp.pk, date(2026, 1, 15))
    form_copy.name = "百日竞赛（第二轮）"
    services.save_competition(form_copy)
    comp.refresh_from_db()
    assert comp.name == "百日竞赛（第二轮）"
    assert comp.stale_from == date(2026, 1, 1)  # moved earlier to the start, not cleared
    assert comp.stale_since is not None


def test_no_model_signal_receivers_in_competition():
    """Scoring learns of changes only through departments.changes and its own services."""
    root = Path(__file__).resolve().parent.parent / "competition"
    # pre_save( is a field's method (Field.pre_save, as bulk_create calls it), not the signal.
    pattern = re.compile(
        r"post_save|pre_save(?!\()|post_delete|pre_delete|@receiver|models\.signals"
    )
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_a_queued_recompute_waits_a_few_seconds_so_changes_ride_along(monkeypatch, settings):
    """Coalescing: the run is sent with a countdown; changes in those seconds only move the
    marker, so a burst of writes costs one recompute, not one each."""
    from competition import tasks

    sent = []
    monkeypatch.setattr(
        tasks.recompute_competition, "apply_async", lambda args, **kw: sent.append((args, kw))
    )
    settings.RECOMPUTE_DELAY_SECONDS = 3
    assert tasks.queue_recompute(7)
    assert sent == [((7,), {"countdown": 3})]


def test_a_new_competition_gets_a_snapshot_for_every_day_of_its_window_so_far(
    commerce, django_capture_on_commit_callbacks
):
    """Created through the service: stale from its start, so the (in-process) recompute
    fills every day from the start to today, and the league's week-ago arrows work on the
    first day."""
    from competition import services

    with django_capture_on_commit_callbacks(execute=True):
        new = services.save_competition(
            Competition(name="秋季竞赛", start_date=date(2026, 1, 8), end_date=date(2026, 4, 17))
        )
        services.save_quota(Quota(competition=new, department=commerce, visit_batches=4))
    days = sorted(set(Snapshot.objects.filter(competition=new).values_list("as_of", flat=True)))
    assert days == [date(2026, 1, day) for day in range(8, 21)]
