"""City-wide cumulative progress, day by day through a competition's window.

For each day of the window up to the as-of date, the number of visit batches received and
of projects that reached each stage since the window opened, counted as the league counts
them (competition.scoring: participating departments, counted statuses, the date a
project reached a stage). The last point of each series therefore equals the league's
total for that metric.

The timeline (时序进度) of a metric on day n is the sum of the departments' targets × n / days:
where the city should be if every department kept pace with its quota.

Queries: the participants' targets (1), visits by date (1), stage figures by date (1),
whatever the data size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count

from competition.models import Competition, Metric, Quota
from competition.scoring.rule import Window, counted_statuses, project_figures, window_for
from projects.models import Visit

# The metrics the progress chart follows, in the speech's order of action.
PROGRESS_METRICS: list[str] = [
    Metric.VISIT_BATCHES,
    Metric.INTENT_PROJECTS,
    Metric.SIGNED_PROJECTS,
    Metric.FUNDED_PROJECTS,
    Metric.GROUNDBREAKING_PROJECTS,
]


@dataclass
class ProgressSeries:
    """Cumulative city-wide actuals and timeline per day, days 1..window.elapsed."""

    competition: Competition
    as_of: date
    window: Window
    dates: list[date]  # dates[i] is day i + 1 of the window
    actual: dict[str, list[int]]  # metric -> cumulative count on each date
    targets: dict[str, Decimal]  # metric -> sum of the departments' targets

    @property
    def metrics(self) -> list[str]:
        return list(self.actual)

    @property
    def days(self) -> int:
        return self.window.days

    @property
    def elapsed(self) -> int:
        return self.window.elapsed

    def timeline(self, metric: str, day: int) -> Decimal:
        """The timeline value of `metric` on day `day` (0..days): targets × day / days."""
        return self.targets[metric] * day / self.days

    def timeline_series(self, metric: str) -> list[Decimal]:
        """The timeline on each date of `dates`."""
        return [self.timeline(metric, day) for day in range(1, len(self.dates) + 1)]


def cumulative_progress(competition: Competition, *, as_of: date) -> ProgressSeries:
    """Cumulative visit batches and stage counts per day of `competition`'s window to `as_of`."""
    window = window_for(competition, as_of=as_of)
    quotas = list(
        Quota.objects.filter(competition=competition).values_list(
            "department_id", *PROGRESS_METRICS
        )
    )
    department_ids = [row[0] for row in quotas]
    targets = {
        m: sum((Decimal(row[i] or 0) for row in quotas), Decimal(0))
        for i, m in enumerate(PROGRESS_METRICS, start=1)
    }
    dates = [window.start + timedelta(days=i) for i in range(window.elapsed)]
    actual: dict[str, list[int]] = {m: [0] * len(dates) for m in PROGRESS_METRICS}
    if not dates or not department_ids:
        return ProgressSeries(competition, as_of, window, dates, actual, targets)

    per_day: dict[str, Counter[date]] = {m: Counter() for m in PROGRESS_METRICS}
    visits = (
        Visit.objects.filter(
            department_id__in=department_ids,
            status__in=counted_statuses(competition),
            occurred_on__gte=window.start,
            occurred_on__lte=window.end,
        )
        .order_by()
        .values("occurred_on")
        .annotate(batches=Count("id"))
    )
    for row in visits:
        per_day[Metric.VISIT_BATCHES][row["occurred_on"]] = row["batches"]

    # The day each project reached each stage inside the window, as the league counts it.
    for _department_id, metric, day, value in project_figures(
        statuses=counted_statuses(competition),
        department_ids=department_ids,
        start=window.start,
        end=window.end,
        by_date=True,
    ):
        if metric in per_day:
            per_day[metric][day] += value

    for metric, counts in per_day.items():
        running = 0
        for i, day in enumerate(dates):
            running += counts[day]
            actual[metric][i] = running
    return ProgressSeries(competition, as_of, window, dates, actual, targets)
