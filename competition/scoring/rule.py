"""The scoring rule of DOMAIN.md, as pure functions over a fixed number of aggregate queries.

For a competition with inclusive dates ``start``..``end`` (``days = end - start + 1``) and an
as-of date ``d``:

    elapsed = clamp((d - start).days + 1, 0, days)        f = elapsed / days
    window  = [start, min(d, end)]

Counted records are verified ones (and pending ones when the competition says so);
returned records never count. Records dated after their project was lost do not count:
a lost project keeps only the stages it reached before. A project the office denied the
credit (two departments claimed it; projects.credit) counts for nothing.

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

Many dates are computed from one pass over the records (`compute_leagues`): a project's
reached date of a stage as of a day is its reached date over all the records if that is
on or before the day, none otherwise; so per-day counts and their prefix sums give every
window's figures.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from itertools import accumulate

from django.db import connection
from django.db.models import Count, F, Min, Q, QuerySet, Sum

from competition.models import METRICS, Competition, Metric, Quota
from projects import rules
from projects.models import (
    MILESTONE_STAGES,
    Milestone,
    Project,
    Receipt,
    ReviewStatus,
    Stage,
    Visit,
)

# Stage metrics and the stage each one counts.
STAGE_METRICS: dict[str, int] = {
    Metric.INTENT_PROJECTS: Stage.INTENT,
    Metric.SIGNED_PROJECTS: Stage.SIGNED,
    Metric.FUNDED_PROJECTS: Stage.FUNDED,
    Metric.GROUNDBREAKING_PROJECTS: Stage.GROUNDBREAKING,
}
SCORED_STAGES = sorted(STAGE_METRICS.values())
STAGE_METRIC: dict[int, str] = {stage: str(metric) for metric, stage in STAGE_METRICS.items()}
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
    # The stored snapshot's largest row id, None when computed live: a recompute replaces
    # the rows (new ids), so it names one version of the stored figures (page caches).
    version: int | None = None

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
    """Records of a lost project count only up to the day it was lost; none of a project
    denied the credit in favour of another department's (projects.credit) counts."""
    return (Q(project__lost_on__isnull=True) | Q(occurred_on__lte=F("project__lost_on"))) & Q(
        project__credit_denied_in_favour_of__isnull=True
    )


# Milestone stages that count towards a scored stage: "funds received" is reached by
# receipts only (a milestone of that stage is refused on entry).
COUNTED_MILESTONE_STAGES = [s for s in MILESTONE_STAGES if s >= Stage.INTENT]


def stage_dates_by_project(
    *, statuses: list[str], department_ids=None, up_to: date | None = None
) -> dict[int, tuple[int, dict[int, date]]]:
    """For every project: (department_id, {stage: date it reached that stage}).

    Two aggregate queries: earliest counted milestone per (project, stage) and earliest
    counted receipt per project. The "reached" date of a stage is projects.rules'
    `reached_dates`: the minimum over that stage and every later one.

    The project-by-project reference of the rule, for tracing a figure to its projects
    (`counted_projects`, progress, reports). The league counts with `project_figures`,
    one statement that computes the same inside the database (tests prove they agree).
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
        milestones.filter(stage__in=COUNTED_MILESTONE_STAGES)
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
        dates = rules.reached_dates({stage: [on] for stage, on in by_stage.items()})
        scored = {stage: on for stage, on in dates.items() if stage in SCORED_STAGES}
        reached[project_id] = (department_of[project_id], scored)
    return reached


# The figures that come from milestones and receipts, in one statement. Raw SQL: the ORM
# cannot aggregate over a union of two models' rows, nor aggregate an aggregate (per
# project, then per department).
# `counted`: the counted milestones of scored stages and receipts (stage "funds received")
# up to `end`, before any loss, with their project's department.
# `reached`: per project, the date it reached each stage: the earliest of its counted
# records of that stage or a later one.
# Then per department: the projects whose reached date of each stage lies in [start, end],
# and the sum of the receipts dated in it; for one window directly, or by day for many.
_COUNTED_SQL = """
WITH counted AS (
    SELECT p.department_id, m.project_id, m.stage, m.occurred_on, NULL AS amount
      FROM {milestone} m JOIN {project} p ON p.id = m.project_id
     WHERE m.status IN ({statuses}) AND m.stage IN ({milestone_stages}) AND m.occurred_on <= %s
       AND {milestone_project}
    UNION ALL
    SELECT p.department_id, r.project_id, {funded}, r.occurred_on, r.amount
      FROM {receipt} r JOIN {project} p ON p.id = r.project_id
     WHERE r.status IN ({statuses}) AND r.occurred_on <= %s
       AND {receipt_project}
), reached AS (
    SELECT department_id, {reached_columns}
      FROM counted GROUP BY project_id, department_id
)
"""
# A counted record's project: of one of the departments, not lost before the record, its
# credit not denied. Inside each branch, so that PostgreSQL can read one department's
# records through the project_id indexes and still scan whole tables for the league's
# hundred. Bench database at scale 0.5, the statement's wall time: one department
# 20 → 4 ms (the liaison's home, every view); all 100, 59 → 75 ms for one window (a live
# league) and 157 → 180 ms by day (a recompute, in the worker, coalesced).
_COUNTED_PROJECT = (
    "p.department_id IN ({departments}) AND p.credit_denied_in_favour_of_id IS NULL"
    " AND (p.lost_on IS NULL OR {alias}.occurred_on <= p.lost_on)"
)
# One window: one row per department. The funds are summed per project inside `reached`
# so that `counted` is read once (PostgreSQL then inlines it instead of materialising it).
_IN_WINDOW_FUNDS = "SUM(CASE WHEN stage = {funded} AND occurred_on >= %s THEN amount END) AS funds"
_IN_WINDOW_SQL = "SELECT department_id, {counts}, SUM(funds) FROM reached GROUP BY department_id"
# Many windows: one row per department, figure and day.
_BY_DAY_COUNT_SQL = """
SELECT department_id, '{metric}', reached_{stage}, COUNT(*) FROM reached
 WHERE reached_{stage} >= %s AND reached_{stage} <= %s
 GROUP BY department_id, reached_{stage}
"""
_BY_DAY_FUNDS_SQL = """
SELECT department_id, '{metric}', occurred_on, SUM(amount) FROM counted
 WHERE stage = {funded} AND occurred_on >= %s
 GROUP BY department_id, occurred_on
"""


def _project_figures_sql(*, statuses: int, departments: int, by_date: bool) -> str:
    """The statement of `project_figures`; its parameters are listed there."""

    def marks(n: int) -> str:
        return ", ".join(["%s"] * n)

    stages = [int(s) for s in SCORED_STAGES]
    funded = int(Stage.FUNDED)
    reached_columns = [
        f"MIN(CASE WHEN stage >= {s} THEN occurred_on END) AS reached_{s}" for s in stages
    ]
    if not by_date:
        reached_columns.append(_IN_WINDOW_FUNDS.format(funded=funded))
    sql = _COUNTED_SQL.format(
        milestone_project=_COUNTED_PROJECT.format(departments=marks(departments), alias="m"),
        receipt_project=_COUNTED_PROJECT.format(departments=marks(departments), alias="r"),
        milestone=connection.ops.quote_name(Milestone._meta.db_table),
        receipt=connection.ops.quote_name(Receipt._meta.db_table),
        project=connection.ops.quote_name(Project._meta.db_table),
        statuses=marks(statuses),
        milestone_stages=", ".join(str(int(s)) for s in COUNTED_MILESTONE_STAGES),
        funded=funded,
        reached_columns=", ".join(reached_columns),
    )
    if not by_date:
        counts = ", ".join(
            f"COUNT(CASE WHEN reached_{s} >= %s AND reached_{s} <= %s THEN 1 END)" for s in stages
        )
        return sql + _IN_WINDOW_SQL.format(counts=counts)
    parts = [_BY_DAY_COUNT_SQL.format(metric=STAGE_METRIC[s], stage=s) for s in stages]
    parts.append(_BY_DAY_FUNDS_SQL.format(metric=Metric.FUNDS_AMOUNT.value, funded=funded))
    return sql + " UNION ALL ".join(parts)


def _as_date(value) -> date:
    # SQLite returns computed dates (MIN, CASE) as ISO text: no declared column type.
    return date.fromisoformat(value) if isinstance(value, str) else value


_AMOUNT_PLACES = Decimal(1).scaleb(-Receipt._meta.get_field("amount").decimal_places)


def _as_amount(value) -> Decimal:
    # SQLite sums decimals as floats; put them back to the column's places, as the ORM does.
    return Decimal(str(value or 0)).quantize(_AMOUNT_PLACES)


def project_figures(
    *,
    statuses: Sequence[str],
    department_ids: Sequence[int],
    start: date,
    end: date,
    by_date: bool = False,
) -> list[tuple[int, str, date | None, int | Decimal]]:
    """(department_id, metric, day, value) for the figures milestones and receipts make.

    The stage metrics count the projects whose reached date of the stage (as
    `stage_dates_by_project` defines it: counted records up to `end`, before any loss,
    with a status in `statuses`) lies in [start, end]; funds_amount sums the counted
    receipts dated in it. `by_date`: one row per day reached or received (to read many
    windows ending inside [start, end] off one result); otherwise one row per department
    and metric, day None. One aggregate statement whatever the number of records.
    """
    if not department_ids or not statuses:
        return []
    sql = _project_figures_sql(
        statuses=len(statuses), departments=len(department_ids), by_date=by_date
    )
    params: list = [*statuses, end, *department_ids] * 2
    windows = [start, end] * len(SCORED_STAGES)
    params += [*windows, start] if by_date else [start, *windows]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if by_date:
        return [
            (d, metric, _as_date(day), _as_amount(v) if metric == Metric.FUNDS_AMOUNT else v)
            for d, metric, day, v in rows
        ]
    metrics = [*(STAGE_METRIC[s] for s in SCORED_STAGES), Metric.FUNDS_AMOUNT.value]
    return [
        (row[0], metric, None, _as_amount(v) if metric == Metric.FUNDS_AMOUNT else v)
        for row in rows
        for metric, v in zip(metrics, row[1:], strict=True)
        if v
    ]


class Tallies:
    """Counted amounts per department and metric, by day; summed for any window on demand.

    The queries behind it read nothing before the competition's start, so a window's
    figure is the sum of every amount dated up to the window's end (a prefix sum).
    """

    def __init__(self, department_ids: Iterable[int]):
        self.department_ids = list(department_ids)
        self._amounts: dict[tuple[int, str], dict[date, Decimal]] = defaultdict(dict)
        self._prefix: dict[tuple[int, str], tuple[list[date], list[Decimal]]] | None = None

    def add(self, *, department_id: int, metric: str, day: date, amount) -> None:
        by_day = self._amounts[(department_id, metric)]
        by_day[day] = by_day.get(day, Decimal(0)) + Decimal(amount)
        self._prefix = None

    def _prefixes(self) -> dict[tuple[int, str], tuple[list[date], list[Decimal]]]:
        if self._prefix is None:
            self._prefix = {}
            for key, by_day in self._amounts.items():
                days = sorted(by_day)
                self._prefix[key] = (days, list(accumulate(by_day[d] for d in days)))
        return self._prefix

    def actuals(self, window: Window) -> dict[int, dict[str, Decimal]]:
        """Every department's seven metric actuals inside `window`."""
        actuals = {d: {m: Decimal(0) for m in METRICS} for d in self.department_ids}
        if not window.started:
            return actuals
        for (department_id, metric), (days, sums) in self._prefixes().items():
            upto = bisect_right(days, window.end)
            if upto:
                actuals[department_id][metric] = sums[upto - 1]
        return actuals


def tally_records(
    *,
    statuses: Sequence[str],
    department_ids: Sequence[int],
    start: date,
    end: date,
    by_date: bool = False,
) -> Tallies:
    """The counted visits and project figures dated in [start, end] (two queries).

    `by_date`: by day, so that any window from `start` to a day up to `end` can be read
    off the result; otherwise summed over the whole range (fewer rows to fetch).
    """
    tallies = Tallies(department_ids)
    day = ["occurred_on"] if by_date else []
    for row in (
        Visit.objects.filter(
            department_id__in=department_ids,
            status__in=statuses,
            occurred_on__gte=start,
            occurred_on__lte=end,
        )
        .values("department_id", *day)
        .annotate(batches=Count("id"), persons=Sum("persons"))
        .order_by()
    ):
        on = row["occurred_on"] if by_date else end
        department_id = row["department_id"]
        tallies.add(
            department_id=department_id, metric=Metric.VISIT_BATCHES, day=on, amount=row["batches"]
        )
        tallies.add(
            department_id=department_id, metric=Metric.VISITORS, day=on, amount=row["persons"] or 0
        )
    for department_id, metric, on, value in project_figures(
        statuses=statuses, department_ids=department_ids, start=start, end=end, by_date=by_date
    ):
        tallies.add(department_id=department_id, metric=metric, day=on or end, amount=value)
    return tallies


def count_actuals(
    *, window: Window, statuses: list[str], department_ids: list[int]
) -> dict[int, dict[str, Decimal]]:
    """Every department's seven metric actuals inside `window` (two aggregate queries)."""
    if not window.started:
        return Tallies(department_ids).actuals(window)
    tallies = tally_records(
        statuses=statuses, department_ids=department_ids, start=window.start, end=window.end
    )
    return tallies.actuals(window)


def timeline_ratio(*, actual: Decimal, target: Decimal, window: Window, cap: Decimal) -> Fraction:
    """actual / (T × f), capped at `cap`. Callers ensure T > 0 and f > 0."""
    # Integer arithmetic and one Fraction at the end: a recompute of many dates calls this
    # for every department, metric and date.
    a_num, a_den = actual.as_integer_ratio()
    t_num, t_den = target.as_integer_ratio()
    c_num, c_den = cap.as_integer_ratio()
    num, den = a_num * t_den * window.days, a_den * t_num * window.elapsed
    if num * c_den >= c_num * den:
        return Fraction(c_num, c_den)
    return Fraction(num, den)


def score_department(
    *,
    actuals: dict[str, Decimal],
    targets: dict[str, Decimal],
    weights: dict[str, Decimal],
    window: Window,
    cap: Decimal,
) -> tuple[Fraction, dict[str, Fraction | None], bool]:
    """(score, ratio per metric, whether anything was scored) for one department."""
    ratios: dict[str, Fraction | None] = dict.fromkeys(METRICS)
    if not window.started:
        return Fraction(0), ratios, False
    # Σ w·ratio and Σ w as unreduced integer fractions, reduced once at the end.
    num, den = 0, 1
    weight_num, weight_den = 0, 1
    for metric in METRICS:
        target, weight = targets.get(metric, Decimal(0)), weights.get(metric, Decimal(0))
        if target <= 0 or weight <= 0:
            continue
        ratio = timeline_ratio(actual=actuals[metric], target=target, window=window, cap=cap)
        ratios[metric] = ratio
        w_num, w_den = weight.as_integer_ratio()
        num, den = (
            num * w_den * ratio.denominator + w_num * ratio.numerator * den,
            den * w_den * ratio.denominator,
        )
        weight_num, weight_den = weight_num * w_den + w_num * weight_den, weight_den * w_den
    if weight_num == 0:
        return Fraction(0), ratios, False
    return Fraction(num * weight_den, den * weight_num), ratios, True


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


# What decides between two departments with the same score, in the contract's order.
TIE_BREAKERS = ("funds_amount", "signed_projects", "order", "name")


@dataclass(frozen=True)
class TieBreak:
    """Two neighbours of the league with equal scores, and what put `above` first."""

    above: DepartmentResult
    below: DepartmentResult
    decided_by: str  # one of TIE_BREAKERS


def tie_breaks(rows: Sequence[DepartmentResult]) -> list[TieBreak]:
    """For each pair of neighbours (in rank order) with the same score, the tie-breaker
    that decided between them: funds received, then signed projects, then the
    departments' display order (DOMAIN.md). Nothing is scored, nothing to explain."""
    ordered = sorted(rows, key=lambda r: r.rank)
    found = []
    for above, below in zip(ordered, ordered[1:], strict=False):
        if not (above.scored and below.scored) or above.exact_score != below.exact_score:
            continue
        if above.actuals[Metric.FUNDS_AMOUNT] != below.actuals[Metric.FUNDS_AMOUNT]:
            decided_by = "funds_amount"
        elif above.actuals[Metric.SIGNED_PROJECTS] != below.actuals[Metric.SIGNED_PROJECTS]:
            decided_by = "signed_projects"
        elif above.order != below.order:
            decided_by = "order"
        else:
            decided_by = "name"  # the last resort of rank_key: equal display order
        found.append(TieBreak(above=above, below=below, decided_by=decided_by))
    return found


def tie_runs(rows: Sequence[DepartmentResult]) -> list[list[TieBreak]]:
    """`tie_breaks` grouped into runs of neighbours sharing one score: a run of n
    departments is n - 1 tie-breaks, the first department of each the one above."""
    runs: list[list[TieBreak]] = []
    for tie in tie_breaks(rows):
        if runs and runs[-1][-1].below is tie.above:
            runs[-1].append(tie)
        else:
            runs.append([tie])
    return runs


def participants(competition: Competition) -> QuerySet[Quota]:
    """The competition's departments: those it sets quotas for."""
    return Quota.objects.filter(competition=competition).select_related(
        "department", "department__group"
    )


def compute_league(competition: Competition, *, as_of: date) -> League:
    """Every participating department's figures, score, cards and ranks as of `as_of`.

    Queries: quotas (1), weights (1), visits (1), the figures milestones and receipts make
    (`project_figures`, 1): four whatever the number of departments and records (two
    before the window starts).
    """
    return compute_leagues(competition, [as_of])[0]


def compute_leagues(competition: Competition, dates: Iterable[date]) -> list[League]:
    """The league as of each of `dates` (in that order), from one pass over the records.

    Each is identical to `compute_league(competition, as_of=day)`. The records are read
    once, by day, from the competition's start to the latest window end: as of any day,
    a project's reached date of a stage is its reached date over all records if that is
    on or before the day, and none otherwise (records dated later are simply not there
    yet; statuses and the loss rule do not depend on the day). So every window's figures
    are prefix sums of the same per-day counts. Queries: the four of `compute_league`
    whatever the number of dates; when all windows end on one day (one date, or dates
    past the end) the records are summed per department instead of per day.
    """
    dates = list(dates)
    windows = [window_for(competition, as_of=day) for day in dates]
    quotas = list(participants(competition))
    weights = competition.weights()
    department_ids = [q.department_id for q in quotas]
    ends = {w.end for w in windows if w.started}
    tallies = Tallies(department_ids)
    if ends:
        tallies = tally_records(
            statuses=counted_statuses(competition),
            department_ids=department_ids,
            start=competition.start_date,
            end=max(ends),
            by_date=len(ends) > 1,
        )
    return [
        _league(
            competition,
            as_of=day,
            window=window,
            quotas=quotas,
            weights=weights,
            actuals=tallies.actuals(window),
        )
        for day, window in zip(dates, windows, strict=True)
    ]


def _league(
    competition: Competition,
    *,
    as_of: date,
    window: Window,
    quotas: list[Quota],
    weights: dict[str, Decimal],
    actuals: dict[int, dict[str, Decimal]],
) -> League:
    """Score, card and rank every participant from its actuals (no queries)."""
    cap = Decimal(competition.cap)
    yellow_threshold = Fraction(competition.yellow_threshold)
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
                yellow_card=scored and score < yellow_threshold,
                zero_result=window.started and dept_actuals[Metric.SIGNED_PROJECTS] == 0,
            )
        )
    rows = assign_ranks(results)
    totals = {m: sum((r.actuals[m] for r in rows), Decimal(0)) for m in METRICS}
    return League(competition=competition, as_of=as_of, window=window, rows=rows, totals=totals)


def counted_projects(
    competition: Competition,
    *,
    department_id: int,
    metric: str,
    as_of: date,
    statuses: Sequence[str] | None = None,
) -> QuerySet[Project]:
    """The projects behind one department's stage metric (traceability of a figure).

    `statuses`: those the figure counts; the competition's (`counted_statuses`) by default.
    """
    window = window_for(competition, as_of=as_of)
    stage = STAGE_METRICS[metric]
    ids: list[int] = []
    if window.started:
        reached = stage_dates_by_project(
            statuses=list(statuses or counted_statuses(competition)),
            department_ids=[department_id],
            up_to=window.end,
        )
        ids = [
            pid
            for pid, (_, dates) in reached.items()
            if stage in dates and window.start <= dates[stage] <= window.end
        ]
    return Project.objects.filter(id__in=ids)


def counted_visits(
    competition: Competition,
    *,
    department_id: int,
    as_of: date,
    statuses: Sequence[str] | None = None,
) -> QuerySet[Visit]:
    """The visits behind one department's visit figures. `statuses` as for
    `counted_projects`: visits are reviewed as milestones and receipts are."""
    window = window_for(competition, as_of=as_of)
    if not window.started:
        return Visit.objects.none()
    return Visit.objects.filter(
        department_id=department_id,
        status__in=list(statuses or counted_statuses(competition)),
        occurred_on__gte=window.start,
        occurred_on__lte=window.end,
    )


def counted_receipts(
    competition: Competition,
    *,
    department_id: int,
    as_of: date,
    statuses: Sequence[str] | None = None,
) -> QuerySet[Receipt]:
    """The receipts behind one department's funds_amount. `statuses` as for
    `counted_projects`."""
    window = window_for(competition, as_of=as_of)
    if not window.started:
        return Receipt.objects.none()
    return Receipt.objects.filter(
        _before_loss(),
        status__in=list(statuses or counted_statuses(competition)),
        project__department_id=department_id,
        occurred_on__gte=window.start,
        occurred_on__lte=window.end,
    )


@dataclass(frozen=True)
class ProjectReceipts:
    """A project's counted receipts: inside the window, and dated before it starts."""

    project_name: str
    in_window: Decimal
    before_window: Decimal
    first_before: date | None  # the earliest receipt dated before the window


def receipts_by_project(
    competition: Competition, *, department_ids: Sequence[int], as_of: date
) -> dict[int, ProjectReceipts]:
    """Per project with counted receipts up to the window's end: the sum inside the window
    (a department's add up to its funds_amount) and the sum dated before the window (never
    counted, DOMAIN.md; the printed reports say so, so that a project's funds can be
    matched with the ledger). One aggregate query; {} before the window starts.
    """
    window = window_for(competition, as_of=as_of)
    if not window.started or not department_ids:
        return {}
    before = Q(occurred_on__lt=window.start)
    rows = (
        Receipt.objects.filter(
            _before_loss(),
            status__in=counted_statuses(competition),
            project__department_id__in=department_ids,
            occurred_on__lte=window.end,
        )
        .values("project_id", "project__name")
        .annotate(
            in_window=Sum("amount", filter=Q(occurred_on__gte=window.start)),
            before_window=Sum("amount", filter=before),
            first_before=Min("occurred_on", filter=before),
        )
        .order_by()
    )
    return {
        row["project_id"]: ProjectReceipts(
            project_name=row["project__name"],
            in_window=_as_amount(row["in_window"]),
            before_window=_as_amount(row["before_window"]),
            first_before=_as_date(row["first_before"]) if row["first_before"] else None,
        )
        for row in rows
    }
