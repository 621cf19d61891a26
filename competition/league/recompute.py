"""Keeping snapshots in step with the records, cheaply.

A change to a counted record marks the competitions it can affect as stale from the
record's date (a compare-and-set on Competition.stale_from). Only the change that turns a
competition from fresh to stale needs a recompute queued; later changes merely move
`stale_from` earlier and bump `stale_version`. A recompute clears the marker after it
computes, and only if the version is unchanged; otherwise it says so and runs again. A
burst of a hundred edits costs a handful of recomputes and loses none.

These are plain functions: they never queue anything. They return what must be queued
(the competitions that turned stale, whether a recompute must run again) and the layer
above queues it after commit (competition.tasks, called by competition.services).

If the broker is unreachable the save still succeeds; the marker stays, pages say the
figures will update shortly, and the periodic sweep queues it once the broker is back.
"""

import logging
from collections.abc import Collection
from datetime import date, timedelta
from typing import NamedTuple

from django.db.models import F, Q
from django.db.models.functions import Least
from django.utils import timezone

from competition.league.snapshots import recompute_dates, recompute_snapshots
from competition.models import Competition, Quota, Snapshot

log = logging.getLogger(__name__)

# A marker older than this with no run in sight is re-queued by the sweep.
STALE_GRACE = timedelta(seconds=60)


def affected_competitions(*, on: date | None, department_ids: Collection[int] | None = None):
    """Competitions a change dated `on` (None: any date) of `department_ids` can move.

    Those not ended before `on` (a record before a window still matters: it can move a
    stage's date out of the window) and, when `department_ids` is given, in which one of
    those departments takes part (has a quota): the league lists no other department.
    """
    competitions = Competition.objects.all()
    if on is not None:
        competitions = competitions.filter(end_date__gte=on)
    if department_ids is not None:
        competitions = competitions.filter(
            pk__in=Quota.objects.filter(department_id__in=department_ids).values("competition_id")
        )
    return competitions


def mark_stale(*, on: date | None, department_ids: Collection[int] | None = None) -> list[int]:
    """Mark every competition a change dated `on` affects (`None`: from each one's start).

    Returns the ids of the competitions that turned stale: each needs a recompute queued.
    """
    turned = []
    for competition in affected_competitions(on=on, department_ids=department_ids).only(
        "id", "start_date"
    ):
        from_date = competition.start_date if on is None else max(on, competition.start_date)
        if mark_competition_stale(competition.pk, from_date):
            turned.append(competition.pk)
    return turned


def mark_competition_stale(competition_id: int, from_date: date) -> bool:
    """Compare-and-set the marker; True when it was fresh (a recompute must be queued).

    Both updates are conditional: a recompute may clear the marker between them (or
    another writer set it), and then the loop goes round; whichever caller turns it from
    fresh to stale queues the next run. (An unconditional update of a fresh marker would
    set it with nothing queued: a league stuck stale.)
    """
    bump = F("stale_version") + 1
    for _attempt in range(5):
        # Already stale first: while data comes in, a recompute is almost always queued
        # (RECOMPUTE_DELAY_SECONDS), so most writes need this one UPDATE only.
        if Competition.objects.filter(pk=competition_id, stale_from__isnull=False).update(
            stale_from=Least("stale_from", from_date), stale_version=bump
        ):
            return False
        became_stale = Competition.objects.filter(
            pk=competition_id, stale_from__isnull=True
        ).update(stale_from=from_date, stale_since=timezone.now(), stale_version=bump)
        if became_stale:
            return True
    log.error("competition %s: stale marker kept changing under us", competition_id)
    return False


def dates_to_recompute(competition: Competition, *, stale_from: date, today: date) -> list[date]:
    """Every day of the window from `stale_from` to today (a snapshot per day, so last
    week's ranks are always there to compare with), today, and any other stored date from
    `stale_from` on.

    A change dated today is one date; a new or imported competition (stale from its start)
    is its whole window so far, computed in one pass (compute_leagues).
    """
    stored = (
        Snapshot.objects.filter(competition=competition, as_of__gte=stale_from)
        .values_list("as_of", flat=True)
        .distinct()
        .order_by("as_of")
    )
    first = max(stale_from, competition.start_date)
    last = min(today, competition.end_date)
    window = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    # No snapshot is stored for a day outside the window: after the end, the end's stands
    # for every later day (pages read it), before the start there is nothing to store.
    inside = competition.start_date <= today <= competition.end_date
    return sorted({*stored, *window, *([today] if inside else [])})


class Recomputed(NamedTuple):
    dates: list[date]  # the dates recomputed (none when the competition was fresh)
    again: bool  # changes arrived meanwhile: the marker stays and a recompute must follow


def run_recompute(competition_id: int, *, today: date | None = None) -> Recomputed:
    """Recompute the dates the marker covers, then clear it unless a change came meanwhile.

    The marker is cleared only after the snapshots are stored, so a worker killed midway
    leaves it set and the re-delivered task does the work again (the dates are replaced
    atomically, so running twice is harmless). Several dates (a back-dated change, an
    import) are computed in one pass over the records and stored in one transaction.
    """
    marker = (
        Competition.objects.filter(pk=competition_id).values("stale_from", "stale_version").first()
    )
    if marker is None or marker["stale_from"] is None:
        return Recomputed([], again=False)
    competition = Competition.objects.get(pk=competition_id)
    today = today or timezone.localdate()
    dates = dates_to_recompute(competition, stale_from=marker["stale_from"], today=today)
    if len(dates) == 1:  # the usual case: a change dated today
        recompute_snapshots(competition, as_of=dates[0])
    else:
        recompute_dates(competition, dates=dates)
    cleared = Competition.objects.filter(
        pk=competition_id, stale_version=marker["stale_version"]
    ).update(stale_from=None, stale_since=None)
    return Recomputed(dates, again=not cleared)


def stale_competition_ids(*, older_than: timedelta = STALE_GRACE) -> list[int]:
    """Competitions marked stale for longer than `older_than` (or with no time): the sweep's."""
    cutoff = timezone.now() - older_than
    waiting = Q(stale_since__lte=cutoff) | Q(stale_since__isnull=True)
    return list(
        Competition.objects.filter(waiting, stale_from__isnull=False).values_list("id", flat=True)
    )


def snapshot_today(*, today: date | None = None) -> list[int]:
    """The nightly job: snapshot every active competition whose window contains today."""
    today = today or timezone.localdate()
    done = []
    running = Competition.objects.filter(is_active=True, start_date__lte=today, end_date__gte=today)
    for competition in running:
        recompute_snapshots(competition, as_of=today)
        done.append(competition.id)
    return done
