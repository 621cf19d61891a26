"""From visit to project (转化率): each department's funnel 接待 → 意向 → 签约 → 到账.

The counts are the league's own (DOMAIN.md's counting rule, in the competition's window:
visit batches, and the projects whose reached date of intent, signed and funds received
lies in it), read off the league shown (a stored snapshot or computed live), so the
funnel never disagrees with the league table. Besides them, the visits of the window that
led to a project (Visit.project set): one aggregate query.

Each step's rate is its count over the previous step's (None when that is 0). The rates
compare counts of one window, not a cohort: a project signed in the window may have
had its intent before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Q

from competition.models import Metric
from competition.scoring import League
from projects.models import Visit

# The funnel's steps, in order: (figure, metric of the league it is read from).
STEPS = (
    ("visits", Metric.VISIT_BATCHES),
    ("intent", Metric.INTENT_PROJECTS),
    ("signed", Metric.SIGNED_PROJECTS),
    ("funded", Metric.FUNDED_PROJECTS),
)


def rate(part: int, whole: int) -> Fraction | None:
    """part / whole, None when `whole` is 0 (no rate: nothing to convert)."""
    return Fraction(part, whole) if whole else None


@dataclass(frozen=True)
class FunnelRow:
    """One department's funnel in the window."""

    department_id: int
    department_name: str
    rank: int
    visits: int
    linked_visits: int  # visits of the window that led to a project
    intent: int
    signed: int
    funded: int

    @property
    def linked_rate(self) -> Fraction | None:
        return rate(self.linked_visits, self.visits)

    @property
    def intent_rate(self) -> Fraction | None:
        return rate(self.intent, self.visits)

    @property
    def signed_rate(self) -> Fraction | None:
        return rate(self.signed, self.intent)

    @property
    def funded_rate(self) -> Fraction | None:
        return rate(self.funded, self.signed)


def linked_visits(*, department_ids, start, end) -> dict[int, int]:
    """Per department: its visits dated in [start, end] linked to a project (one query)."""
    rows = (
        Visit.objects.filter(
            department_id__in=department_ids, occurred_on__gte=start, occurred_on__lte=end
        )
        .values("department_id")
        .annotate(n=Count("id", filter=Q(project__isnull=False)))
        .order_by()
    )
    return {row["department_id"]: row["n"] for row in rows}


def conversion_funnel(league: League) -> list[FunnelRow]:
    """Every department of `league` in league order, with its funnel (one query; none
    before the window starts)."""
    window = league.window
    linked = {}
    if window.started:
        linked = linked_visits(
            department_ids=[r.department_id for r in league.rows],
            start=window.start,
            end=window.end,
        )

    def count(row, metric) -> int:
        return int(row.actuals.get(metric, Decimal(0)))

    return [
        FunnelRow(
            department_id=row.department_id,
            department_name=row.department_name,
            rank=row.rank,
            linked_visits=linked.get(row.department_id, 0),
            **{name: count(row, metric) for name, metric in STEPS},
        )
        for row in league.rows
    ]


def totals(rows: list[FunnelRow]) -> FunnelRow:
    """The city-wide funnel: the sums of every department's (rank 0)."""
    return FunnelRow(
        department_id=0,
        department_name="",
        rank=0,
        visits=sum(r.visits for r in rows),
        linked_visits=sum(r.linked_visits for r in rows),
        intent=sum(r.intent for r in rows),
        signed=sum(r.signed for r in rows),
        funded=sum(r.funded for r in rows),
    )
