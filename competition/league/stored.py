"""The league of one date as its snapshot stored it, in competition.scoring's shapes.

Pages read the stored league instead of computing it: a snapshot is what the league table
shows, so the dashboard built from it agrees with the table figure for figure, flag for
flag and rank for rank, and costs one query instead of compute_league's six aggregates.

What the snapshot does not hold is derived from what it does:

- ``scored``: something is scored exactly when some metric has a timeline ratio (a ratio
  is stored only for a metric with a target and a weight, once the window has started);
- ``exact_score``: the stored score (12 decimal places) as a fraction. Ranks are stored,
  so nothing re-ranks on it; it is the rounded score, not compute_league's exact one;
- ``order``: the department's display order today (the snapshot keeps its name).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import F

from competition.models import METRICS, Competition, Snapshot
from competition.scoring.rule import DepartmentResult, League, window_for


def _decimals(values: dict) -> dict[str, Decimal | None]:
    return {k: (None if v is None else Decimal(v)) for k, v in values.items()}


def _result(snapshot: Snapshot) -> DepartmentResult:
    ratios = _decimals(snapshot.ratios)
    return DepartmentResult(
        department_id=snapshot.department_id,
        department_name=snapshot.department_name,
        group_id=snapshot.group_id,
        group_name=snapshot.group_name,
        order=snapshot.order,
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

    One query (the snapshot rows with each department's display order).
    """
    snapshots = (
        Snapshot.objects.filter(competition=competition, as_of=as_of)
        .annotate(order=F("department__order"))
        .order_by("rank")
    )
    rows = [_result(s) for s in snapshots]
    if not rows:
        return None
    totals = {m: sum((r.actuals.get(m, Decimal(0)) for r in rows), Decimal(0)) for m in METRICS}
    return League(
        competition=competition,
        as_of=as_of,
        window=window_for(competition, as_of=as_of),
        rows=rows,
        totals=totals,
    )
