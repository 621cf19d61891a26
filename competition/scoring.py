"""The scoring rule of DOMAIN.md, as pure functions over a fixed number of aggregate queries.

For a competition with inclusive dates ``start``..``end`` (``days = end - start + 1``) and an
as-of date ``d``:

    elapsed = clamp((d - start).days + 1, 0, days)        f = elapsed / days
    window  = [start, min(d, end)]

Counted records are verified ones (and pending ones when the competition says so);
returned records never count. Records dated after their project was lost do not count:
a lost project keeps only the stages it reached before.

A project reached stage S on the earliest counted date among its milestones of S or any
later stage (receipts are the "funds received" milestones), and counts for S when that
date lies in the window. Per department and metric with target T > 0 and weight w > 0:

    timeline_ratio = actual / (T × f), capped at cap
    score          = Σ w·min(timeline_ratio, cap) / Σ w        (0 when nothing is scored)

Nothing is scored before the window starts (f = 0). A yellow card is given when something
is scored and score < yellow_threshold; the zero-result flag when the window has started
and signed_projects is 0. Rank: score desc (unrounded), funds_amount desc, signed_projects
desc, department display order asc; group ranks by the same order within each group.

Arithmetic is exact (fractions) so that equal scores really tie; figures leave as Decimal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, F, Min, Q, QuerySet, Sum

from competition.models import METRICS, Competition, Metric, Quota
from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage, Visit

# Stage metrics and the stage each one counts.
STAGE_METRICS: dict[str, int] = {
    Metric.INTENT_PROJECTS: Stage.INTENT,
    Metric.SIGNED_PROJECTS: Stage.SIGNED,
    Metric.FUNDED_PROJECTS: Stage.FUNDED,
    Metric.GROUNDBREAKING_PROJECTS: Stage.GROUNDBREAKING,
}
SCORED_STAGES = sorted(STAGE_METRICS.values())
DECIMAL_PLACES = Decimal("0.000000000001")


@dataclass(frozen=True)
class Window:
    """The competition's time frame as of one date."""

    start: date
    end: date  # min(as_of, competition end): the last counted day
    elapsed: int
    days: int

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.elapsed, self.days)

    @property
    def started(self) -> bool:
        return self.elapsed > 0


@dataclass
class DepartmentResult:
    """One department's row of the league."""

    department_id: int
    department_name: str
    group_id: int | None
    group_name: str
    order: int
    actuals: dict[str, Decimal]
    targets: dict[str, Decimal]
    ratios: dict[str, Decimal | None]  # None: metric not scored (no target or no weight)
    score: Decimal
    exact_score: Fraction
    scored: bool
    yellow_card: bool
    zero_result: bool
    rank: int = 0
    group_rank: int | None = None


@dataclass
class League:
    competition: Competition
    as_of: date
    window: Window
    rows: list[DepartmentResult]
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def elapsed(self) -> int:
        return self.window.elapsed

    @property
    def days(self) -> int:
        return self.window.days


def window_for(competition: Competition, *, as_of: date) -> Window:
    """The counted window of `competition` as of `as_of` (DOMAIN.md: elapsed, f)."""
    days = competition.days
    elapsed = min(max((as_of - competition.start_date).days + 1, 0), days)
    return Window(
        start=competition.start_date,
        end=min(as_of, competition.end_date),
        elapsed=elapsed,
        days=days,
    )


def counted_statuses(competition: Competition) -> list[str]:
    if competition.count_pending:
        return [ReviewStatus.VERIFIED, ReviewStatus.PENDING]
    return [ReviewStatus.VERIFIED]


def _before_loss() -> Q:
    """Records of a lost project count only up to the day it was lost."""
    return Q(project__lost_on__isnull=True) | Q(occurred_on__lte=F("project__lost_on"))


def stage_dates_by_project(
    *, statuses: list[str], department_ids=None, up_to: date | None = None
) -> dict[int, tuple[int, dict[int, date]]]:
    """For every project: (department_id, {stage: date it reached that stage}).

    Two aggregate queries: earliest counted milestone per (project, stage) and earliest
    counted receipt per project. The "reached" date of a stage is the minimum over that
    stage and every later one (a suffix minimum along the stage order).
    """
    milestones = Milestone.objects.filter(_before_loss(), status__in=statuses)
    receipts = Receipt.objects.filter(_before_loss(), status__in=statuses)
    if department_ids is not None:
        milestones = milestones.filter(project__department_id__in=department_ids)
        receipts = receipts.filter(project__department_id__in=department_ids)
    if up_to is not None:
        milestones = milestones.filter(occurred_on__lte=up_to)
        receipts = receipts.filter(occurred_on__lte=up_to)

    earliest: dict[int, dict[int, date]] = defaultdict(dict)
    department_of: dict[int, int] = {}
    for row in (
        milestones.filter(stage__gte=Stage.INTENT)
        .values("project_id", "project__department_id", "stage")
        .annotate(first=Min("occurred_on"))
        .order_by()
    ):
        earliest[row["project_id"]][row["stage"]] = row["first"]
        department_of[row["project_id"]] = row["project__department_id"]
    for row in (
        receipts.values("project_id", "project__department_id")
        .annotate(first=Min("occurred_on"))
        .order_by()
    ):
        earliest[row["project_id"]][Stage.FUNDED] = row["first"]
        department_of[row["project_id"]] = row["project__department_id"]

    reached: dict[int, tuple[int, dict[int, date]]] = {}
    for project_id, by_stage in earliest.items():
        dates: dict[int, date] = {}
        running: date | None = None
        for stage in reversed(SCORED_STAGES):
            here = by_stage.get(stage)
            if here is not None and (running is None or here < running):
                running = here
            if running is not None:
                dates[stage] = running
        reached[project_id] = (department_of[project_id], dates)
    return reached


def count_actuals(
    *, window: Window, statuses: list[str], department_ids: list[int]
) -> dict[int, dict[str, Decimal]]:
    """Every department's seven metric actuals inside `window` (four aggregate queries)."""
    actuals = {d: {m: Decimal(0) for m in METRICS} for d in department_ids}
    if not window.started:
        return actuals
    in_window = {"occurred_on__gte": window.start, "occurred_on__lte": window.end}

    for row in (
        Visit.objects.filter(department_id__in=department_ids, **in_window)
        .values("department_id")
        .annotate(batches=Count("id"), persons=Sum("persons"))
        .order_by()
    ):
        actuals[row["department_id"]][Metric.VISIT_BATCHES] = Decimal(row["batches"])
        actuals[row["department_id"]][Metric.VISITORS] = Decimal(row["persons"] or 0)

    for row in (
        Receipt.objects.filter(
            _before_loss(),
            status__in=statuses,
            project__department_id__in=department_ids,
            **in_window,
        )
        .values("project__department_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        actuals[row["project__department_id"]][Metric.FUNDS_AMOUNT] = Decimal(row["total"] or 0)

    reached = stage_dates_by_project(
        statuses=statuses, department_ids=department_ids, up_to=window.end
    )
    for department_id, dates in reached.values():
        for metric, stage in STAGE_METRICS.items():
            when = dates.get(stage)
            if when is not None and window.start <= when <= window.end:
                actuals[department_id][metric] += 1
    return actuals


def timeline_ratio(*, actual: Decimal, target: Decimal, window: Window, cap: Decimal) -> Fraction:
    """actual / (T × f), capped at `cap`. Callers ensure T > 0 and f > 0."""
    ratio = Fraction(actual) / (Fraction(target) * window.fraction)
    return min(ratio, Fraction(cap))


def score_department(
    *,
    actuals: dict[str, Decimal],
    targets: dict[str, Decimal],
    weights: dict[str, Decimal],
    window: Window,
    cap: Decimal,
) -> tuple[Fraction, dict[str, Fraction | None], bool]:
    """(score, ratio per metric, whether anything was scored) for one department."""
    ratios: dict[str, Fraction | None] = {}
    weighted = Fraction(0)
    weight_sum = Fraction(0)
    for metric in METRICS:
        target, weight = targets.get(metric, Decimal(0)), weights.get(metric, Decimal(0))
        if not window.started or target <= 0 or weight <= 0:
            ratios[metric] = None
            continue
        ratio = timeline_ratio(actual=actuals[metric], target=target, window=window, cap=cap)
        ratios[metric] = ratio
        weighted += Fraction(weight) * ratio
        weight_sum += Fraction(weight)
    if weight_sum == 0:
        return Fraction(0), ratios, False
    return weighted / weight_sum, ratios, True


def _to_decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(DECIMAL_PLACES)


def rank_key(result: DepartmentResult):
    return (
        -result.exact_score,
        -result.actuals[Metric.FUNDS_AMOUNT],
        -result.actuals[Metric.SIGNED_PROJECTS],
        result.order,
        result.department_name,
    )


def assign_ranks(results: list[DepartmentResult]) -> list[DepartmentResult]:
    """Sort by DOMAIN.md's order and number overall and within each group (no shared ranks)."""
    ordered = sorted(results, key=rank_key)
    group_counter: dict[int, int] = defaultdict(int)
    for position, result in enumerate(ordered, start=1):
        result.rank = position
        if result.group_id is not None:
            group_counter[result.group_id] += 1
            result.group_rank = group_counter[result.group_id]
    return ordered


def participants(competition: Competition) -> QuerySet[Quota]:
    """The competition's departments: those it sets quotas for."""
    return Quota.objects.filter(competition=competition).select_related(
        "department", "department__group"
    )


def compute_league(competition: Competition, *, as_of: date) -> League:
    """Every participating department's figures, score, cards and ranks as of `as_of`.

    Queries: quotas (1), weights (1), visits (1), receipt sums (1), milestone and receipt
    stage dates (2): six whatever the number of departments and records.
    """
    window = window_for(competition, as_of=as_of)
    quotas = list(participants(competition))
    weights = competition.weights()
    statuses = counted_statuses(competition)
    actuals = count_actuals(
        window=window, statuses=statuses, department_ids=[q.department_id for q in quotas]
    )
    cap = Decimal(competition.cap)
    results = []
    for quota in quotas:
        department = quota.department
        targets = quota.targets()
        dept_actuals = actuals[department.id]
        score, ratios, scored = score_department(
            actuals=dept_actuals, targets=targets, weights=weights, window=window, cap=cap
        )
        results.append(
            DepartmentResult(
                department_id=department.id,
                department_name=department.name,
                group_id=department.group_id,
                group_name=department.group.name if department.group else "",
                order=department.order,
                actuals=dept_actuals,
                targets=targets,
                ratios={m: (_to_decimal(r) if r is not None else None) for m, r in ratios.items()},
                score=_to_decimal(score),
                exact_score=score,
                scored=scored,
                yellow_card=scored and score < Fraction(competition.yellow_threshold),
                zero_result=window.started and dept_actuals[Metric.SIGNED_PROJECTS] == 0,
            )
        )
    rows = assign_ranks(results)
    totals = {m: sum((r.actuals[m] for r in rows), Decimal(0)) for m in METRICS}
    return League(competition=competition, as_of=as_of, window=window, rows=rows, totals=totals)


def counted_projects(
    competition: Competition, *, department_id: int, metric: str, as_of: date
) -> QuerySet[Project]:
    """The projects behind one department's stage metric (traceability of a figure)."""
    window = window_for(competition, as_of=as_of)
    stage = STAGE_METRICS[metric]
    ids: list[int] = []
    if window.started:
        reached = stage_dates_by_project(
            statuses=counted_statuses(competition), department_ids=[department_id], up_to=window.end
        )
        ids = [
            pid
            for pid, (_, dates) in reached.items()
            if stage in dates and window.start <= dates[stage] <= window.end
        ]
    return Project.objects.filter(id__in=ids)


def counted_visits(competition: Competition, *, department_id: int, as_of: date) -> QuerySet[Visit]:
    window = window_for(competition, as_of=as_of)
    if not window.started:
        return Visit.objects.none()
    return Visit.objects.filter(
        department_id=department_id, occurred_on__gte=window.start, occurred_on__lte=window.end
    )


def counted_receipts(
    competition: Competition, *, department_id: int, as_of: date
) -> QuerySet[Receipt]:
    window = window_for(competition, as_of=as_of)
    if not window.started:
        return Receipt.objects.none()
    return Receipt.objects.filter(
        _before_loss(),
        status__in=counted_statuses(competition),
        project__department_id=department_id,
        occurred_on__gte=window.start,
        occurred_on__lte=window.end,
    )
