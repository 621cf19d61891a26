"""Writes of how a competition scores, and what must follow every change that moves a figure.

Competition, quota and metric-weight writes are one transaction each: save or delete
(simple-history writes the history row, by `by`), mark the competition stale from its
start and, after commit, queue its recompute (in-process when no broker is configured).
The admin saves through these functions; no save() or model signal does it.

`league_follows` is what competition does when data entry announces a change
(departments.changes, subscribed to in competition.subscriber). The bulk writers (ledger
import, demo loader, bench data) call `records_changed`, or `competitions_changed`, once
after their writes: bulk writes announce nothing by themselves.
"""

from collections.abc import Collection, Iterable
from datetime import date

from django.db import transaction

from competition import tasks
from competition.league import recompute
from competition.models import Competition, MetricWeight, Quota
from departments.changes import touch


def records_changed(
    *, department_ids: Collection[int] | None, dates: Iterable[date] | None
) -> list[int]:
    """What a bulk writer calls once, in its transaction, after writing the records and
    projects of `department_ids` (None: any department): their `records_version` changes
    (departments.changes.touch) and the league follows (`league_follows`)."""
    touch(department_ids)
    return league_follows(department_ids=department_ids, dates=dates)


def league_follows(
    *, department_ids: Collection[int] | None, dates: Iterable[date] | None
) -> list[int]:
    """Mark stale what records of `department_ids` dated `dates` can move; recompute it.

    `department_ids` None: any department; `dates` None: not tied to a date (every
    competition from its start). The competitions affected are those in which one of the
    departments takes part and whose window the earliest date can reach; each one that
    turns stale gets its recompute queued after commit. Returns their ids.
    """
    known = None if dates is None else list(dates)
    on = min(known) if known else None
    turned = recompute.mark_stale(on=on, department_ids=department_ids)
    tasks.recompute_after_commit(turned)
    return turned


def competitions_changed(competition_ids: Iterable[int], *, from_date: date | None = None) -> None:
    """Mark each competition stale from `from_date` (None: its start); recompute after commit.

    A date before a competition's start marks it from that date: snapshots stored before
    a start that moved later are recomputed too.
    """
    starts = Competition.objects.filter(pk__in=set(competition_ids)).values_list("pk", "start_date")
    turned = [
        pk for pk, start in starts if recompute.mark_competition_stale(pk, from_date or start)
    ]
    tasks.recompute_after_commit(turned)


def save_competition(competition: Competition, *, by=None) -> Competition:
    """Create or edit a competition (window, thresholds, cap, pending rule, active flag).

    Its league is recomputed from its start, or from its former start if that was earlier.
    """
    with transaction.atomic():
        former_start = None
        if competition.pk is not None:
            former_start = (
                Competition.objects.filter(pk=competition.pk)
                .values_list("start_date", flat=True)
                .first()
            )
        if former_start is None:
            _save(competition, by=by)
        else:
            fields = [
                f.name
                for f in Competition._meta.concrete_fields
                if not f.primary_key and f.name not in Competition.MARKER_FIELDS
            ]
            _save(competition, by=by, update_fields=fields)
        starts = [d for d in (competition.start_date, former_start) if d is not None]
        competitions_changed([competition.pk], from_date=min(starts))
    return competition


def delete_competition(competition: Competition, *, by=None) -> None:
    """Delete a competition with its quotas, weights, snapshots and reports."""
    with transaction.atomic():
        _delete(competition, by=by)


def save_quota(quota: Quota, *, by=None) -> Quota:
    """Create or edit a department's quota; the league of its competition is recomputed."""
    return _save_setting(quota, by=by)


def delete_quota(quota: Quota, *, by=None) -> None:
    """Remove a department from a competition; the league is recomputed without it."""
    _delete_setting(quota, by=by)


def save_weight(weight: MetricWeight, *, by=None) -> MetricWeight:
    """Create or edit a metric's weight; the league of its competition is recomputed."""
    return _save_setting(weight, by=by)


def delete_weight(weight: MetricWeight, *, by=None) -> None:
    """Remove a metric's weight (the default weight applies again); recomputed."""
    _delete_setting(weight, by=by)


def _save_setting(obj: Quota | MetricWeight, *, by) -> Quota | MetricWeight:
    with transaction.atomic():
        # A setting moved to another competition changes the league of both.
        former = None
        if obj.pk is not None:
            former = (
                type(obj).objects.filter(pk=obj.pk).values_list("competition_id", flat=True).first()
            )
        _save(obj, by=by)
        competitions_changed({obj.competition_id, former} - {None})
    return obj


def _delete_setting(obj: Quota | MetricWeight, *, by) -> None:
    with transaction.atomic():
        competition_id = obj.competition_id
        _delete(obj, by=by)
        competitions_changed([competition_id])


def _save(obj, *, by, update_fields=None) -> None:
    if by is not None:
        obj._history_user = by  # simple-history's author of the history row
    obj.save(update_fields=update_fields)


def _delete(obj, *, by) -> None:
    if by is not None:
        obj._history_user = by
    obj.delete()
