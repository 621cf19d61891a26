"""The figures a bulletin and a briefing pack print: plain functions, no HTTP, no layout.

Every figure comes from the scoring engine (competition.scoring.compute_league), the
三有三不 diagnostics (competition.scoring.diagnostics) and the city-wide progress series
(competition.scoring.progress); this module only selects, groups and formats them.

Queries are fixed whatever the number of departments, projects and records:
bulletin_content 12 (league 4, project mix 1, progress 3, major and reward-eligible
projects 2, their stage dates 2); pack_content adds 7 (metric weights 1, departments 1,
their liaisons 1, projects 1, their stage dates 2, visits 1).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils.safestring import SafeString

from competition import charts
from competition.league.rows import plain_decimal
from competition.models import Competition, Metric
from competition.scoring import (
    DepartmentResult,
    League,
    Window,
    compute_league,
    counted_statuses,
    diagnostics,
    stage_dates_by_project,
)
from competition.scoring.progress import cumulative_progress
from departments.models import Department
from projects.models import Project, Stage, Visit

# The league table's metric columns, in the speech's order of action. Visitors are
# reported (headline, department pages) but not scored, so the table leaves them out.
TABLE_METRICS: list[str] = [
    Metric.VISIT_BATCHES,
    Metric.INTENT_PROJECTS,
    Metric.SIGNED_PROJECTS,
    Metric.FUNDED_PROJECTS,
    Metric.FUNDS_AMOUNT,
    Metric.GROUNDBREAKING_PROJECTS,
]
# A department page lists every metric, visitors included.
PAGE_METRICS: list[str] = [
    Metric.VISIT_BATCHES,
    Metric.VISITORS,
    Metric.INTENT_PROJECTS,
    Metric.SIGNED_PROJECTS,
    Metric.FUNDED_PROJECTS,
    Metric.FUNDS_AMOUNT,
    Metric.GROUNDBREAKING_PROJECTS,
]
# The score chart is split into even parts of at most this many departments, so that
# each part fits on one A4 page (an SVG cannot break across pages).
SCORE_CHART_ROWS = 38


def figure(value: Decimal | int | None) -> str:
    """A count or an amount as the ledger writes it: 3250.50 → "3250.5", 12 → "12"."""
    if value is None:
        return "—"
    return plain_decimal(value)


def percent(value: Decimal | None) -> str:
    """A ratio as a percentage with one decimal ("—" when not scored)."""
    return "—" if value is None else charts.percent(value)


@dataclass(frozen=True)
class MetricCell:
    """One metric of one department in the league table: actual / target and the ratio."""

    actual: str
    target: str
    ratio: str
    low: bool  # the timeline ratio is below the yellow threshold


@dataclass(frozen=True)
class LeagueLine:
    result: DepartmentResult
    cells: list[MetricCell]
    score: str


def league_lines(league: League) -> list[LeagueLine]:
    """The league's rows with their table cells, in rank order."""
    threshold = Decimal(league.competition.yellow_threshold)
    lines = []
    for row in league.rows:
        cells = []
        for metric in TABLE_METRICS:
            ratio = row.ratios.get(metric)
            target = row.targets[metric]
            cells.append(
                MetricCell(
                    actual=figure(row.actuals[metric]),
                    target=figure(target) if target > 0 else "—",
                    ratio=percent(ratio),
                    low=ratio is not None and ratio < threshold,
                )
            )
        lines.append(
            LeagueLine(result=row, cells=cells, score=percent(row.score) if row.scored else "—")
        )
    return lines


@dataclass(frozen=True)
class ProjectLine:
    """A project with the furthest stage its counted records reached by the as-of date."""

    project: Project
    stage: int  # Stage.LEAD when no counted milestone of intent or later
    stage_on: date | None
    lost: bool  # lost on or before the as-of date

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)

    @property
    def investment(self) -> str:
        return figure(self.project.planned_investment)

    @property
    def registered_capital(self) -> str:
        return figure(self.project.registered_capital)


def _reached(competition: Competition, *, department_ids: list[int], as_of: date):
    """{project id: {stage: date reached}} from the records counted up to `as_of` (2 queries)."""
    reached = stage_dates_by_project(
        statuses=counted_statuses(competition), department_ids=department_ids, up_to=as_of
    )
    return {project_id: dates for project_id, (_dept, dates) in reached.items()}


def project_line(project: Project, *, reached: dict[int, dict[int, date]], as_of: date):
    dates = reached.get(project.id, {})
    stage = max(dates, default=Stage.LEAD)
    return ProjectLine(
        project=project,
        stage=stage,
        stage_on=dates.get(stage),
        lost=project.lost_on is not None and project.lost_on <= as_of,
    )


def not_lost_on(as_of: date) -> Q:
    """Projects still followed on `as_of` (one lost later was still followed then)."""
    return Q(lost_on__isnull=True) | Q(lost_on__gt=as_of)


@dataclass
class BulletinContent:
    """Everything the weekly bulletin prints, and the briefing pack's summary."""

    competition: Competition
    as_of: date
    league: League
    lines: list[LeagueLine]
    yellow_cards: list[LeagueLine]
    zero_results: list[LeagueLine]
    major_projects: list[ProjectLine]
    reward_projects: list[ProjectLine]
    diagnoses: list[diagnostics.Diagnosis]  # every department, rank order
    mix: dict[int, diagnostics.ProjectMix]
    time_bar: SafeString
    progress_chart: SafeString
    score_charts: list[SafeString]
    metric_labels: list[str] = field(default_factory=list)

    @property
    def window(self) -> Window:
        return self.league.window

    @property
    def figures_date(self) -> date:
        """The last day the figures cover: the as-of date, or the window's end once over."""
        return self.window.end

    @property
    def started(self) -> bool:
        return self.window.started

    @property
    def finished(self) -> bool:
        return self.as_of > self.competition.end_date

    @property
    def time_share(self) -> str:
        return charts.percent(Decimal(self.window.elapsed) / Decimal(self.window.days))

    @property
    def totals(self) -> dict[str, str]:
        return {m: figure(v) for m, v in self.league.totals.items()}

    @property
    def flagged(self) -> list[diagnostics.Diagnosis]:
        return [d for d in self.diagnoses if d.flagged]

    @property
    def flag_counts(self) -> list[tuple[str, int]]:
        return [
            (str(diagnostics.FLAG_LABELS[code]), n)
            for code, n in diagnostics.flag_counts(self.diagnoses).items()
        ]

    @property
    def major_groundbreaking(self) -> int:
        return sum(1 for p in self.major_projects if p.stage >= Stage.GROUNDBREAKING)

    @property
    def project_rows(self) -> int:
        """How many rows a project list prints at most (REPORT_PROJECT_ROWS)."""
        return settings.REPORT_PROJECT_ROWS

    @property
    def major_printed(self) -> list[ProjectLine]:
        return self.major_projects[: self.project_rows]

    @property
    def major_omitted(self) -> int:
        return max(len(self.major_projects) - self.project_rows, 0)

    @property
    def reward_printed(self) -> list[ProjectLine]:
        return self.reward_projects[: self.project_rows]

    @property
    def reward_omitted(self) -> int:
        return max(len(self.reward_projects) - self.project_rows, 0)

    @property
    def major_threshold(self) -> str:
        return figure(settings.MAJOR_PROJECT_MIN_INVESTMENT)

    @property
    def cap(self) -> str:
        return figure(Decimal(self.competition.cap))

    @property
    def yellow_threshold(self) -> str:
        return charts.percent(Decimal(self.competition.yellow_threshold), 0)


def _score_charts(league: League) -> list[SafeString]:
    threshold = Decimal(league.competition.yellow_threshold)
    rows = league.rows
    parts = max(math.ceil(len(rows) / SCORE_CHART_ROWS), 1)
    size = max(math.ceil(len(rows) / parts), 1)
    starts = range(0, len(rows) or 1, size)
    return [charts.score_chart(rows[i : i + size], threshold) for i in starts]


def bulletin_content(competition: Competition, *, as_of: date) -> BulletinContent:
    """The weekly bulletin's figures for `competition` as of `as_of` (12 queries)."""
    league = compute_league(competition, as_of=as_of)
    department_ids = [r.department_id for r in league.rows]
    mix = diagnostics.project_mix(department_ids=department_ids, as_of=as_of)
    found = diagnostics.diagnose(league=league, mix=mix)
    progress = cumulative_progress(competition, as_of=as_of)

    followed = Project.objects.filter(not_lost_on(as_of), department_id__in=department_ids)
    major = list(followed.major())
    reward = list(followed.reward_eligible())
    reached = _reached(competition, department_ids=department_ids, as_of=as_of)
    names = {r.department_id: r.department_name for r in league.rows}
    lines = league_lines(league)
    return BulletinContent(
        competition=competition,
        as_of=as_of,
        league=league,
        lines=lines,
        yellow_cards=[line for line in lines if line.result.yellow_card],
        zero_results=[line for line in lines if line.result.zero_result],
        major_projects=_project_lines(major, reached=reached, as_of=as_of, names=names),
        reward_projects=_project_lines(reward, reached=reached, as_of=as_of, names=names),
        diagnoses=found,
        mix=mix,
        time_bar=charts.time_progress_bar(elapsed=league.window.elapsed, days=league.window.days),
        progress_chart=charts.cumulative_chart(progress, columns=2),
        score_charts=_score_charts(league),
        metric_labels=[str(Metric(m).label) for m in TABLE_METRICS],
    )


def _project_lines(projects: list[Project], *, reached, as_of: date, names) -> list[ProjectLine]:
    """Largest planned investment first; the department name from the league, not a join."""
    for project in projects:
        project.department_name = names.get(project.department_id, "")
    projects.sort(key=lambda p: (-(p.planned_investment or 0), p.code))
    return [project_line(p, reached=reached, as_of=as_of) for p in projects]


# ---------------------------------------------------------------------------------------
# The briefing pack: the summary, then one page per department


@dataclass(frozen=True)
class MetricLine:
    """Quota versus actual for one metric of one department."""

    label: str
    target: str
    expected: str  # T × f: what the timeline asks for by the as-of date
    actual: str
    ratio: str
    low: bool
    weight: str


@dataclass(frozen=True)
class StageGroup:
    stage: int
    label: str
    projects: list[ProjectLine]


@dataclass
class DepartmentPage:
    result: DepartmentResult
    department: Department
    liaisons: list[str]
    metrics: list[MetricLine]
    stages: list[StageGroup]  # furthest stage first; only stages with projects
    lost: list[ProjectLine]  # lost inside the window, with the reason
    visits: list[Visit]  # counted receptions, in date order
    diagnosis: diagnostics.Diagnosis

    @property
    def score(self) -> str:
        return percent(self.result.score) if self.result.scored else "—"

    @property
    def visitors(self) -> int:
        return sum(v.persons for v in self.visits)

    @property
    def project_count(self) -> int:
        return sum(len(g.projects) for g in self.stages)


@dataclass
class PackContent:
    summary: BulletinContent
    pages: list[DepartmentPage]


def metric_lines(result: DepartmentResult, *, league: League, weights) -> list[MetricLine]:
    """Quota, timeline target (T × f), actual and timeline ratio for each metric."""
    fraction = Decimal(league.window.elapsed) / Decimal(league.window.days)
    threshold = Decimal(league.competition.yellow_threshold)
    lines = []
    for metric in PAGE_METRICS:
        target = result.targets[metric]
        ratio = result.ratios.get(metric)
        lines.append(
            MetricLine(
                label=str(Metric(metric).label),
                target=figure(target) if target > 0 else "—",
                expected=figure((target * fraction).quantize(Decimal("0.1")))
                if target > 0
                else "—",
                actual=figure(result.actuals[metric]),
                ratio=percent(ratio),
                low=ratio is not None and ratio < threshold,
                weight=figure(weights.get(metric, Decimal(0))),
            )
        )
    return lines


def pack_content(competition: Competition, *, as_of: date) -> PackContent:
    """The briefing pack's figures: the bulletin's, then each department's in rank order.

    Queries: bulletin_content's 12, plus metric weights, departments, liaisons, projects,
    their stage dates (2) and the counted visits: 19 whatever the number of departments.
    """
    summary = bulletin_content(competition, as_of=as_of)
    league = summary.league
    window = league.window
    department_ids = [r.department_id for r in league.rows]
    weights = competition.weights()

    departments = {
        d.id: d
        for d in Department.objects.filter(id__in=department_ids).prefetch_related("liaisons")
    }
    projects_by_department: dict[int, list[Project]] = defaultdict(list)
    for project in Project.objects.filter(department_id__in=department_ids).order_by(
        "-planned_investment", "code"
    ):
        projects_by_department[project.department_id].append(project)
    reached = _reached(competition, department_ids=department_ids, as_of=as_of)
    visits_by_department: dict[int, list[Visit]] = defaultdict(list)
    if window.started:
        for visit in Visit.objects.filter(
            department_id__in=department_ids,
            occurred_on__gte=window.start,
            occurred_on__lte=window.end,
        ).order_by("occurred_on", "id"):
            visits_by_department[visit.department_id].append(visit)
    diagnosis_of = {d.department_id: d for d in summary.diagnoses}

    pages = []
    for result in league.rows:
        department = departments[result.department_id]
        lines = [
            project_line(p, reached=reached, as_of=as_of)
            for p in projects_by_department[result.department_id]
        ]
        by_stage: dict[int, list[ProjectLine]] = defaultdict(list)
        for line in lines:
            if not line.lost:
                by_stage[line.stage].append(line)
        lost = [
            line
            for line in lines
            if line.lost and window.started and line.project.lost_on >= window.start
        ]
        pages.append(
            DepartmentPage(
                result=result,
                department=department,
                liaisons=[p.name for p in department.liaisons.all()],
                metrics=metric_lines(result, league=league, weights=weights),
                stages=[
                    StageGroup(stage=s.value, label=str(s.label), projects=by_stage[s.value])
                    for s in reversed(Stage)
                    if by_stage[s.value]
                ],
                lost=lost,
                visits=visits_by_department[result.department_id],
                diagnosis=diagnosis_of[result.department_id],
            )
        )
    return PackContent(summary=summary, pages=pages)
