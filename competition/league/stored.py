"""The league of one date as its snapshot stored it, in competition.scoring's shapes.

Pages read the stored league instead of computing it: a snapshot is what the league table
shows, so the dashboard built from it agrees with the table figure for figure, flag for
flag and rank for rank, and costs one query instead of compute_league's six aggregates.

What the snapshot does not hold is derived from what it does, and what can change without
a recompute is read as it is now:

- ``scored``: something is scored exactly when some metric has a timeline ratio (a ratio
  is stored only for a metric with a target and a weight, once the window has started);
- ``exact_score``: the stored score (12 decimal places) as a fraction. Ranks are stored,
  so nothing re-ranks on it; it is the rounded score, not compute_league's exact one;
- ``department_name``, ``group_id``, ``group_name`` and ``order``: the department's as
  they are now (a join), not as copied at compute time, so that a renamed department or
  group shows its new name at once on every page and export. Ranks and group ranks stay
  the snapshot's: a change of group or order marks the competition stale, and the
  recompute that follows ranks again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, F, Max, OuterRef, Subquery

from competition.models import METRICS, Competition, Snapshot
from competition.scoring.rule import DepartmentResult, League, compute_league, window_for


def _decimals(values: dict) -> dict[str, Decimal | None]:
    return {k: (None if v is None else Decimal(v)) for k, v in values.items()}


def _result(snapshot: Snapshot) -> DepartmentResult:
    ratios = _decimals(snapshot.ratios)
    return DepartmentResult(
        department_id=snapshot.department_id,
        department_name=snapshot.live_department_name,
        group_id=snapshot.live_group_id,
        group_name=snapshot.live_group_name or "",
        order=snapshot.live_order,
        actuals=_decimals(snapshot.actuals),
        targets=_decimals(snapshot.targets),
        ratios=ratios,
        score=snapshot.score,
        exact_score=Fraction(snapshot.score),
        scored=any(r is not None for r in ratios.values()),
        yellow_card=snapshot.yellow_card,
        zero_result=snapshot.zero_result,
        rank=snapshot.rank,
        group_rank=snapshot.group_rank,
    )


def stored_league(competition: Competition, *, as_of: date) -> League | None:
    """The snapshot of `as_of` as a League, rows in rank order; None when none is stored.

    One query: the snapshot rows joined to each department and its group as they are now.
    """
    snapshots = (
        Snapshot.objects.filter(competition=competition, as_of=as_of)
        .annotate(
            live_department_name=F("department__name"),
            live_group_id=F("department__group_id"),
            live_group_name=F("department__group__name"),
            live_order=F("department__order"),
        )
        .order_by("rank")
    )
    snapshots = list(snapshots)
    if not snapshots:
        return None
    rows = [_result(s) for s in snapshots]
    totals = {m: sum((r.actuals.get(m, Decimal(0)) for r in rows), Decimal(0)) for m in METRICS}
    return League(
        competition=competition,
        as_of=as_of,
        window=window_for(competition, as_of=as_of),
        rows=rows,
        totals=totals,
        version=max(s.pk for s in snapshots),
    )


@dataclass
class Standings:
    """Some departments' rows of one date's league, and the league's sizes: what a
    department's own page needs without reading every other department's figures."""

    rows: dict[int, DepartmentResult] = field(default_factory=dict)  # by department id
    participants: int = 0  # departments in the league
    group_sizes: dict[int, int] = field(default_factory=dict)  # departments per group id
    stored: bool = True

    def group_size(self, row: DepartmentResult) -> int:
        return self.group_sizes.get(row.group_id, 0) if row.group_id else 0


def _count_of(snapshots) -> Subquery:
    return Subquery(
        snapshots.order_by().values("competition").annotate(n=Count("pk")).values("n")[:1]
    )


def stored_standings(competition: Competition, *, as_of: date, department_ids) -> Standings | None:
    """The stored rows of `department_ids` as of `as_of` (the league table's own, through
    the same conversion as stored_league), with the number of departments in the league
    and in each row's group; None when that date has no snapshot.

    One query when a department takes part: its rows, each with two counts over the
    date's rows (the index on competition, as_of, rank); a second one tells a date
    without a snapshot from departments that are not in it.
    """
    same_date = Snapshot.objects.filter(
        competition=OuterRef("competition"), as_of=OuterRef("as_of")
    )
    snapshots = list(
        Snapshot.objects.filter(
            competition=competition, as_of=as_of, department_id__in=department_ids
        )
        .annotate(
            live_department_name=F("department__name"),
            live_group_id=F("department__group_id"),
            live_group_name=F("department__group__name"),
            live_order=F("department__order"),
            participants=_count_of(same_date),
            group_size=_count_of(
                same_date.filter(department__group_id=OuterRef("department__group_id"))
            ),
        )
        .order_by("rank")
    )
    if not snapshots:
        if not Snapshot.objects.filter(competition=competition, as_of=as_of).exists():
            return None
        return Standings()
    return Standings(
        rows={s.department_id: _result(s) for s in snapshots},
        participants=snapshots[0].participants,
        group_sizes={s.live_group_id: s.group_size for s in snapshots if s.live_group_id},
    )


def standings_to_show(competition: Competition, *, as_of: date, department_ids) -> Standings:
    """league_to_show for a few departments: their stored rows of `as_of`, else their rows
    of the league computed live (not stored)."""
    stored = stored_standings(competition, as_of=as_of, department_ids=department_ids)
    if stored is not None:
        return stored
    league = compute_league(competition, as_of=as_of)
    wanted = set(department_ids)
    return Standings(
        rows={r.department_id: r for r in league.rows if r.department_id in wanted},
        participants=len(league.rows),
        group_sizes=dict(Counter(r.group_id for r in league.rows if r.group_id)),
        stored=False,
    )


def league_to_show(competition: Competition, *, as_of: date) -> tuple[League, bool]:
    """The league a page shows for `as_of`, and whether it is the stored snapshot.

    The stored snapshot of that date if there is one, else computed live and not stored:
    reading a page never writes (the recompute after each change and the nightly job
    store snapshots, nothing else).
    """
    stored = stored_league(competition, as_of=as_of)
    if stored is not None:
        return stored, True
    return compute_league(competition, as_of=as_of), False


def is_behind(competition: Competition, *, as_of: date) -> bool:
    """Whether the stored snapshot of `as_of` may be behind the records: a change dated on
    or before it marked the competition stale and the recompute has not run yet. (A live
    league is never behind.)"""
    return competition.stale_from is not None and competition.stale_from <= as_of


def stored_ranks(competition: Competition, *, as_of: date) -> dict[int, int]:
    """Each department's stored rank as of `as_of` (empty when no snapshot): one query."""
    rows = Snapshot.objects.filter(competition=competition, as_of=as_of).order_by()
    return dict(rows.values_list("department_id", "rank"))


def stored_versions(competition: Competition, *, dates) -> dict[date, int]:
    """The version of each of `dates` that has a stored snapshot (League.version: its
    highest row id; a recompute replaces the rows, so a new version), by date: one query.

    What a page keys its cached fragments on without reading and converting the rows.
    """
    rows = (
        Snapshot.objects.filter(competition=competition, as_of__in=list(dates))
        .values("as_of")
        .annotate(version=Max("pk"))
        .order_by()
    )
    return {r["as_of"]: r["version"] for r in rows}


def league_of_version(competition: Competition, *, as_of: date, version: int | None) -> League:
    """league_to_show when stored_versions has said whether `as_of` has a snapshot: its
    rows when `version` names one (one query), else computed live without looking for rows
    again (a snapshot stored in between is the same figures, read on the next request)."""
    if version is not None and (league := stored_league(competition, as_of=as_of)):
        return league
    return compute_league(competition, as_of=as_of)
