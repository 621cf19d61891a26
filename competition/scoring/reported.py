"""Reported versus verified (报送数 / 核实数, issue #20, 8).

What a department reported is every record it entered that was not returned: pending and
verified ones; what is verified is what the office has checked. Both are counted by the
scoring rule's own function (`count_actuals`) with the statuses the competition setting
"count pending" (计入待核实) would use, so every rule of DOMAIN.md applies to both (the
window, the stage dates, the loss rule), and a record type that becomes reviewed (visits)
follows as soon as the rule filters it by status.

One of the two is the league's own figure (a competition counts either verified records
or both), so only the other is counted here: two aggregate queries for any number of
departments (none before the window starts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from competition.models import METRICS, Metric
from competition.scoring.rule import League, count_actuals
from projects import models as projects_models
from projects.models import ReviewStatus

# The statuses of each figure: returned records are never reported (the same statuses
# as a project's reported progress, projects.models).
REPORTED_STATUSES: list[str] = list(projects_models.REPORTED_STATUSES)
VERIFIED_STATUSES: list[str] = [ReviewStatus.VERIFIED]

# The records pages that trace each figure (competition.views.league.counted_records).
BASES = ("reported", "verified", "waiting")


def statuses_of(basis: str) -> list[str]:
    """The statuses a figure of `basis` ("reported" or "verified") counts."""
    return REPORTED_STATUSES if basis == "reported" else VERIFIED_STATUSES


@dataclass(frozen=True)
class ReportedLine:
    """One metric of one department: reported and verified, side by side."""

    metric: str
    label: str
    reported: Decimal
    verified: Decimal

    @property
    def waiting(self) -> bool:
        """Whether records await verification for this figure (the figures differ)."""
        return self.reported != self.verified


def reported_and_verified(
    league: League, *, department_ids: Iterable[int]
) -> dict[int, list[ReportedLine]]:
    """For each of `department_ids` taking part in `league`: one line per metric.

    The figure the league counts is taken from its row; the other is counted as of the
    league's window with `count_actuals`.
    """
    rows = {r.department_id: r for r in league.rows if r.department_id in set(department_ids)}
    if not rows:
        return {}
    counts_pending = league.competition.count_pending
    other = count_actuals(
        window=league.window,
        statuses=VERIFIED_STATUSES if counts_pending else REPORTED_STATUSES,
        department_ids=list(rows),
    )
    lines: dict[int, list[ReportedLine]] = {}
    for department_id, row in rows.items():
        own = {m: Decimal(row.actuals.get(m) or 0) for m in METRICS}
        reported, verified = (
            (own, other[department_id])
            if counts_pending
            else (
                other[department_id],
                own,
            )
        )
        lines[department_id] = [
            ReportedLine(
                metric=m,
                label=str(Metric(m).label),
                reported=Decimal(reported[m]),
                verified=Decimal(verified[m]),
            )
            for m in METRICS
        ]
    return lines
