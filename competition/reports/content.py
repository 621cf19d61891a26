"""The figures a bulletin and a briefing pack print: plain functions, no HTTP, no layout.

Every figure comes from the scoring engine (competition.scoring.compute_leagues), the
三有三不 diagnostics (competition.scoring.diagnostics) and the city-wide progress series
(competition.scoring.progress); this module only selects, groups and formats them.

Queries are fixed whatever the number of departments, projects and records:
bulletin_content 21 (the league as of the date and as of the previous issue 4, departments
1, project mix 1, progress 3, major and reward-eligible projects 2, stage dates 2, earlier
issues 1, receipts by project 1, 红黑榜 and 连续N期 6); pack_content adds 4 (metric
weights, liaisons, projects, visits).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Q, prefetch_related_objects
from django.utils import dateformat
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from competition import charts
from competition.honours import Honours, honours_for
from competition.league.rows import plain_decimal
from competition.models import Competition, Metric, Report
from competition.scoring import (
    DepartmentResult,
    League,
    ProjectReceipts,
    Window,
    compute_leagues,
    counted_statuses,
    diagnostics,
    receipts_by_project,
    stage_dates_by_project,
    tie_runs,
)
from competition.scoring.pace import DepartmentPace, department_pace
from competition.scoring.progress import cumulative_progress
from competition.scoring.rule import TIE_BREAKERS
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
# A department page and the week's changes list every metric, visitors included.
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
# How many departments the summary names at the top and at the bottom of the league.
PODIUM = 3
# The first issue has no previous one to compare with: it shows the past week.
FIRST_ISSUE_DAYS = 7
# Pre-window receipts named one by one in the bulletin's note; more are counted.
NOTED_PROJECTS = 5


def figure(value: Decimal | int | None) -> str:
    """A count or an amount as the ledger writes it: 3250.50 → "3250.5", 12 → "12"."""
    if value is None:
        return "—"
    return plain_decimal(value)


def signed_figure(value: Decimal) -> str:
    """A change: "+3", "0", "-1" (a record returned after the last issue lowers a total)."""
    return f"+{figure(value)}" if value > 0 else figure(value)


def percent(value: Decimal | None) -> str:
    """A ratio as a percentage with one decimal ("—" when not scored)."""
    return "—" if value is None else charts.percent(value)


def header_words(label: str) -> list[str]:
    """A table header split where it may break: "到账资金" → ["到账", "资金"].

    WeasyPrint breaks CJK text between any two characters (it has no `word-break:
    keep-all`), so headers are printed as unbreakable words: Chinese in pairs (the
    metric names are two two-character words), other languages at spaces.
    """
    if " " in label or not re.fullmatch(r"[\u4e00-\u9fff]+", label):
        return label.split()
    return [label[i : i + 2] for i in range(0, len(label), 2)]


CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → "一", 12 → "十二", 35 → "三十五", 100 → "一百" (headings （一）… up to 999)."""
    if not 0 < n < 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text = f"{CHINESE_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else CHINESE_DIGITS[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    return text + (CHINESE_DIGITS[ones] if ones else "")


def side_by_side(items: list, *, block: int = 50) -> list[tuple]:
    """Rows of two for a table printed in two halves, read down the left half then the
    right: each `block` items (about a page) form rows (items[i], items[i + half]), the
    right one None when the count is odd. A table in halves is far cheaper for WeasyPrint
    to lay out than CSS columns, which it balances by laying the content out repeatedly.
    """
    rows: list[tuple] = []
    for start in range(0, len(items), block):
        chunk = items[start : start + block]
        half = math.ceil(len(chunk) / 2)
        rows += [
            (chunk[i], chunk[i + half] if i + half < len(chunk) else None) for i in range(half)
        ]
    return rows


def recipients(text: str) -> list[str]:
    """The 抄送 recipients as the office typed them, one per name (、 ， , ; or new lines)."""
    return [name.strip() for name in re.split(r"[、，,；;\n]+", text or "") if name.strip()]


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
    head: str  # the department's 主要负责人, whom the speech holds to account
    streak: int = 1  # 连续N期: consecutive bulletins carding it (competition.cards)

    @property
    def cards(self) -> bool:
        return self.result.yellow_card or self.result.zero_result


def league_lines(
    league: League, *, heads: dict[int, str], streaks: dict[int, int] | None = None
) -> list[LeagueLine]:
    """The league's rows with their table cells, in rank order (`streaks`: 连续N期 of the
    carded departments)."""
    streaks = streaks or {}
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
            LeagueLine(
                result=row,
                cells=cells,
                score=percent(row.score) if row.scored else "—",
                head=heads.get(row.department_id, ""),
                streak=streaks.get(row.department_id, 1) if row.yellow_card else 0,
            )
        )
    return lines


def _tie_breaker_labels() -> dict[str, str]:
    return {
        "funds_amount": gettext("到账资金"),
        "signed_projects": gettext("签约项目数"),
        "order": gettext("部门排序"),
        "name": gettext("部门名称"),
    }


def tie_note(results: list[DepartmentResult]) -> str:
    """One line under a league table naming the departments whose scores are equal and the
    tie-breaker that ordered them; "" when no two neighbours share a score.

    The ties are the rule's own (competition.scoring.tie_breaks): scores compared
    unrounded, so two departments printed with the same percentage but different exact
    scores are not a tie.
    """
    labels = _tie_breaker_labels()
    parts = []
    for run in tie_runs(results):
        names = [run[0].above] + [tie.below for tie in run]
        used = {tie.decided_by for tie in run}
        parts.append(
            gettext("%(names)s得分同为%(score)s，依%(keys)s排列")
            % {
                "names": "、".join(r.department_name for r in names),
                "score": percent(names[0].score),
                "keys": "、".join(labels[key] for key in TIE_BREAKERS if key in used),
            }
        )
    if not parts:
        return ""
    return gettext("注：%(ties)s。") % {"ties": "；".join(parts)}


@dataclass(frozen=True)
class GroupLeague:
    """The league within one department group (组内排名), in rank order."""

    name: str
    lines: list[LeagueLine]
    tie_note: str

    @property
    def pairs(self) -> list[tuple]:
        return side_by_side(self.lines)


def group_leagues(lines: list[LeagueLine], *, group_order: dict[int, tuple]) -> list[GroupLeague]:
    """The league's lines by group, groups in their own order; departments without a group
    have no group rank and are left out."""
    by_group: dict[int, list[LeagueLine]] = defaultdict(list)
    for line in lines:
        if line.result.group_id is not None:
            by_group[line.result.group_id].append(line)
    return [
        GroupLeague(
            name=members[0].result.group_name,
            lines=members,
            tie_note=tie_note([m.result for m in members]),
        )
        for _group, members in sorted(
            by_group.items(), key=lambda item: group_order.get(item[0], (0, ""))
        )
    ]


@dataclass(frozen=True)
class ChangeLine:
    """One metric city-wide: the total as of the date and the change since the last issue."""

    metric: str
    label: str
    words: list[str]  # the label as unbreakable words, for a table header
    total: str
    change: str


@dataclass(frozen=True)
class WeeklyChange:
    """本周新增: the city-wide figures' change since the previous issue.

    `since` is the previous issue's as-of date (or, for the first issue, a week earlier):
    the change is what the records dated after it added (or a return took away).
    """

    since: date
    counted_from: date  # the first day whose records the change counts (not before the start)
    previous_issue: int | None
    lines: list[ChangeLine]


@dataclass(frozen=True)
class ProjectLine:
    """A project with the furthest stage its counted records reached by the as-of date."""

    project: Project
    stage: int  # Stage.LEAD when no counted milestone of intent or later
    stage_on: date | None
    lost: bool  # lost on or before the as-of date
    receipts: ProjectReceipts | None = None

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)

    @property
    def investment(self) -> str:
        return figure(self.project.planned_investment)

    @property
    def registered_capital(self) -> str:
        return figure(self.project.registered_capital)

    @property
    def funds(self) -> str:
        """The counted receipts inside the window (万元), "—" when none."""
        if self.receipts is None or not self.receipts.in_window:
            return "—"
        return figure(self.receipts.in_window)

    @property
    def funds_before(self) -> str:
        """Receipts dated before the window (never counted); "" when none."""
        if self.receipts is None or not self.receipts.before_window:
            return ""
        return figure(self.receipts.before_window)


def _reached(competition: Competition, *, department_ids: list[int], as_of: date):
    """{project id: {stage: date reached}} from the records counted up to `as_of` (2 queries)."""
    reached = stage_dates_by_project(
        statuses=counted_statuses(competition), department_ids=department_ids, up_to=as_of
    )
    return {project_id: dates for project_id, (_dept, dates) in reached.items()}


def project_line(project: Project, *, reached: dict[int, dict[int, date]], as_of: date, receipts):
    dates = reached.get(project.id, {})
    stage = max(dates, default=Stage.LEAD)
    return ProjectLine(
        project=project,
        stage=stage,
        stage_on=dates.get(stage),
        lost=project.lost_on is not None and project.lost_on <= as_of,
        receipts=receipts.get(project.id),
    )


def not_lost_on(as_of: date) -> Q:
    """Projects still followed on `as_of` (one lost later was still followed then)."""
    return Q(lost_on__isnull=True) | Q(lost_on__gt=as_of)


@dataclass(frozen=True)
class EarlyReceipts:
    """Receipts dated before the window: never counted, named so the ledger can be matched."""

    projects: int
    amount: str
    named: list[tuple[str, str]]  # (project name, 万元), the largest first

    @property
    def more(self) -> int:
        return self.projects - len(self.named)


@dataclass
class BulletinContent:
    """Everything the weekly bulletin prints, and the briefing pack's summary."""

    competition: Competition
    as_of: date
    league: League
    lines: list[LeagueLine]
    groups: list[GroupLeague]
    yellow_cards: list[LeagueLine]
    zero_results: list[LeagueLine]
    major_projects: list[ProjectLine]
    reward_projects: list[ProjectLine]
    diagnoses: list[diagnostics.Diagnosis]  # every department, rank order
    mix: dict[int, diagnostics.ProjectMix]
    week: WeeklyChange
    early_receipts: EarlyReceipts
    departments: dict[int, Department]
    reached: dict[int, dict[int, date]]
    receipts: dict[int, ProjectReceipts]
    time_bar: SafeString
    progress_chart: SafeString
    score_charts: list[SafeString]
    tie_note: str = ""
    bulletin_issue: int | None = None  # the bulletin of the same date, for the pack to cite
    honours: Honours | None = None  # 红黑榜 of the date
    metric_labels: list[list[str]] = field(default_factory=list)

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
    def top(self) -> list[LeagueLine]:
        """The first three of the league (nothing before the window starts)."""
        return self.lines[:PODIUM] if self.started else []

    @property
    def bottom(self) -> list[LeagueLine]:
        """The last three, never one that is also among the first three."""
        if not self.started:
            return []
        return self.lines[max(PODIUM, len(self.lines) - PODIUM) :]

    @property
    def line_pairs(self) -> list[tuple]:
        """The league in two halves of a table (the briefing pack's short league)."""
        return side_by_side(self.lines, block=50)

    @property
    def yellow_cards_by_streak(self) -> list[LeagueLine]:
        """The carded departments, the longest run of consecutive cards first (the pack)."""
        return sorted(self.yellow_cards, key=lambda line: (-line.streak, line.result.rank))

    @property
    def ungrouped(self) -> int:
        return sum(1 for line in self.lines if line.result.group_id is None)

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
        return charts.plain_percent(Decimal(self.competition.yellow_threshold))

    @property
    def copy_to(self) -> list[str]:
        return recipients(self.competition.copy_to)


def _score_charts(league: League) -> list[SafeString]:
    threshold = Decimal(league.competition.yellow_threshold)
    rows = league.rows
    parts = max(math.ceil(len(rows) / SCORE_CHART_ROWS), 1)
    size = max(math.ceil(len(rows) / parts), 1)
    starts = range(0, len(rows) or 1, size)
    return [charts.score_chart(rows[i : i + size], threshold) for i in starts]


def _issues(competition: Competition, *, as_of: date) -> tuple[int | None, tuple | None]:
    """(the number of the bulletin of `as_of`, (number, as-of) of the latest earlier one).

    One query: the highest number per date, for the two latest dates up to `as_of`.
    """
    rows = list(
        Report.objects.filter(competition=competition, kind=Report.Kind.BULLETIN, as_of__lte=as_of)
        .values("as_of")
        .annotate(number=Max("issue_number"))
        .order_by("-as_of")[:2]
    )
    same = next((r["number"] for r in rows if r["as_of"] == as_of), None)
    earlier = next(((r["number"], r["as_of"]) for r in rows if r["as_of"] < as_of), None)
    return same, earlier


def weekly_change(league: League, base: League, *, previous_issue: int | None) -> WeeklyChange:
    """The city-wide totals of `league` beside their change since `base` (an earlier date)."""
    return WeeklyChange(
        since=base.as_of,
        counted_from=max(base.as_of + timedelta(days=1), league.window.start),
        previous_issue=previous_issue,
        lines=[
            ChangeLine(
                metric=metric,
                label=str(Metric(metric).label),
                words=header_words(str(Metric(metric).label)),
                total=figure(league.totals[metric]),
                change=signed_figure(league.totals[metric] - base.totals[metric]),
            )
            for metric in PAGE_METRICS
        ],
    )


def early_receipts(receipts: dict[int, ProjectReceipts]) -> EarlyReceipts:
    """The projects with receipts dated before the window, the largest first."""
    early = sorted(
        (r for r in receipts.values() if r.before_window),
        key=lambda r: (-r.before_window, r.project_name),
    )
    return EarlyReceipts(
        projects=len(early),
        amount=figure(sum((r.before_window for r in early), Decimal(0))),
        named=[(r.project_name, figure(r.before_window)) for r in early[:NOTED_PROJECTS]],
    )


def bulletin_content(competition: Competition, *, as_of: date) -> BulletinContent:
    """The weekly bulletin's figures for `competition` as of `as_of` (21 queries)."""
    same_issue, earlier = _issues(competition, as_of=as_of)
    since = earlier[1] if earlier else as_of - timedelta(days=FIRST_ISSUE_DAYS)
    league, base = compute_leagues(competition, [as_of, since])
    department_ids = [r.department_id for r in league.rows]
    departments = {
        d.id: d for d in Department.objects.filter(id__in=department_ids).select_related("group")
    }
    mix = diagnostics.project_mix(department_ids=department_ids, as_of=as_of)
    found = diagnostics.diagnose(league=league, mix=mix)
    progress = cumulative_progress(competition, as_of=as_of)

    followed = Project.objects.credited().filter(
        not_lost_on(as_of), department_id__in=department_ids
    )
    major = list(followed.major())
    reward = list(followed.reward_eligible())
    reached = _reached(competition, department_ids=department_ids, as_of=as_of)
    receipts = receipts_by_project(competition, department_ids=department_ids, as_of=as_of)
    names = {r.department_id: r.department_name for r in league.rows}
    heads = {d.id: d.head for d in departments.values()}
    group_order = {
        d.group_id: (d.group.order, d.group.name) for d in departments.values() if d.group
    }
    honours = honours_for(competition, league=league)
    lines = league_lines(league, heads=heads, streaks=honours.streaks)
    return BulletinContent(
        competition=competition,
        as_of=as_of,
        league=league,
        lines=lines,
        groups=group_leagues(lines, group_order=group_order),
        tie_note=tie_note(league.rows),
        yellow_cards=[line for line in lines if line.result.yellow_card],
        zero_results=[line for line in lines if line.result.zero_result],
        major_projects=_project_lines(
            major, reached=reached, as_of=as_of, names=names, receipts=receipts
        ),
        reward_projects=_project_lines(
            reward, reached=reached, as_of=as_of, names=names, receipts=receipts
        ),
        diagnoses=found,
        mix=mix,
        week=weekly_change(league, base, previous_issue=earlier[0] if earlier else None),
        early_receipts=early_receipts(receipts),
        departments=departments,
        reached=reached,
        receipts=receipts,
        bulletin_issue=same_issue,
        honours=honours,
        time_bar=charts.time_progress_bar(elapsed=league.window.elapsed, days=league.window.days),
        progress_chart=charts.cumulative_chart(progress, columns=2),
        score_charts=_score_charts(league),
        metric_labels=[header_words(str(Metric(m).label)) for m in TABLE_METRICS],
    )


def _project_lines(
    projects: list[Project], *, reached, as_of: date, names, receipts
) -> list[ProjectLine]:
    """Largest planned investment first; the department name from the league, not a join."""
    for project in projects:
        project.department_name = names.get(project.department_id, "")
    projects.sort(key=lambda p: (-(p.planned_investment or 0), p.code))
    return [project_line(p, reached=reached, as_of=as_of, receipts=receipts) for p in projects]


# ---------------------------------------------------------------------------------------
# The briefing pack: the summary, then one section per department


@dataclass(frozen=True)
class MetricLine:
    """Quota versus actual for one metric of one department."""

    metric: str
    label: str
    words: list[str]  # the label as unbreakable words, for a table header
    target: str
    expected: str  # T × f: what the timeline asks for by the as-of date
    actual: str
    ratio: str
    low: bool
    weight: str  # "—" when the metric is not scored for the department
    # 还需 and 日均 (competition.scoring.pace): "—" for a metric without a target.
    remaining: str = "—"
    required_daily: str = "—"


@dataclass(frozen=True)
class StageGroup:
    stage: int
    label: str
    projects: list[ProjectLine]


@dataclass
class DepartmentPage:
    number: int  # its place in the pack (（一）, （二）, …), the league's order
    result: DepartmentResult
    department: Department
    liaisons: list[str]
    metrics: list[MetricLine]
    stages: list[StageGroup]  # furthest stage first; only stages with projects
    lost: list[ProjectLine]  # lost inside the window, with the reason
    visits: list[Visit]  # counted receptions, in date order
    diagnosis: diagnostics.Diagnosis
    # Set by competition.reports.layout: rows set tighter to fit one page, or the section
    # broken before its "projects" or "visits" so that its second page is well filled.
    compact: bool = False
    break_before: str = ""
    # 还需 / 日均 and the yellow-line plan by the next bulletin (competition.scoring.pace).
    pace: DepartmentPace | None = None

    @property
    def plan_text(self) -> str:
        """The yellow-line plan as one sentence, printed for a department that would be
        below the line at the next bulletin ("" otherwise: the page is kept to one)."""
        if self.pace is None or self.pace.plan is None or not self.pace.plan.needed:
            return ""
        return plan_sentence(self.pace)

    @property
    def ordinal(self) -> str:
        return chinese_number(self.number)

    @property
    def anchor(self) -> str:
        return f"department-{self.result.department_id}"

    @property
    def score(self) -> str:
        return percent(self.result.score) if self.result.scored else "—"

    @property
    def visitors(self) -> int:
        return sum(v.persons for v in self.visits)

    @property
    def project_count(self) -> int:
        return sum(len(g.projects) for g in self.stages)

    @property
    def projects(self) -> list[ProjectLine]:
        return [p for g in self.stages for p in g.projects]

    @property
    def early_receipts(self) -> list[ProjectLine]:
        """Its projects (lost ones too) with receipts dated before the window."""
        return [p for p in [*self.projects, *self.lost] if p.funds_before]


@dataclass
class PackContent:
    summary: BulletinContent
    pages: list[DepartmentPage]

    @property
    def toc_pairs(self) -> list[tuple]:
        """The departments for the table of contents, in two halves (a page of 40 each)."""
        return side_by_side(self.pages, block=40)


def plan_sentence(pace: DepartmentPace | None) -> str:
    """The yellow-line plan of `pace` as the pack prints it, in the request's language."""
    plan = pace.plan if pace is not None else None
    if plan is None:
        return ""
    values = {
        "by": dateformat.format(plan.by, gettext("n月j日")),
        "line": charts.plain_percent(plan.threshold),
        "score": charts.percent(plan.score_now_value),
    }
    if not plan.needed:
        return (
            gettext("按现有成绩，下期简报（%(by)s）时得分%(score)s，不低于黄牌线（%(line)s）。")
            % values
        )
    if not plan.reachable:
        return (
            gettext(
                "按现有成绩，下期简报（%(by)s）时得分%(score)s，低于黄牌线（%(line)s）；"
                "即使各项指标都达到封顶，也无法达到黄牌线。"
            )
            % values
        )
    values["additions"] = "、".join(str(a) for a in plan.additions)
    values["then"] = charts.percent(plan.score_then_value)
    return (
        gettext(
            "按现有成绩，下期简报（%(by)s）时得分%(score)s，低于黄牌线（%(line)s）；"
            "在此之前至少还需新增%(additions)s，得分可达%(then)s。"
        )
        % values
    )


def metric_lines(
    result: DepartmentResult, *, league: League, weights, pace: DepartmentPace | None = None
) -> list[MetricLine]:
    """Quota, timeline target (T × f), actual, timeline ratio and weight of each metric,
    and with `pace` its 还需 and 日均 (the pace of the same row).

    A metric the department is not scored on (no target, or no weight) shows "—" as its
    ratio and weight: printing the competition's weight there would suggest it counts.
    """
    paces = {p.metric: p for p in pace.metrics} if pace is not None else {}
    fraction = Decimal(league.window.elapsed) / Decimal(league.window.days)
    threshold = Decimal(league.competition.yellow_threshold)
    lines = []
    for metric in PAGE_METRICS:
        target = result.targets[metric]
        ratio = result.ratios.get(metric)
        label = str(Metric(metric).label)
        lines.append(
            MetricLine(
                metric=metric,
                label=label,
                words=header_words(label),
                target=figure(target) if target > 0 else "—",
                expected=figure((target * fraction).quantize(Decimal("0.1")))
                if target > 0
                else "—",
                actual=figure(result.actuals[metric]),
                ratio=percent(ratio),
                low=ratio is not None and ratio < threshold,
                weight=figure(weights.get(metric, Decimal(0))) if ratio is not None else "—",
                **_pace_cells(paces.get(metric)),
            )
        )
    return lines


def _pace_cells(pace) -> dict[str, str]:
    if pace is None:
        return {}
    return {
        "remaining": figure(pace.remaining),
        "required_daily": "—" if pace.required_daily is None else figure(pace.required_daily),
    }


def pack_content(competition: Competition, *, as_of: date) -> PackContent:
    """The briefing pack's figures: the bulletin's, then each department's in rank order.

    Queries: bulletin_content's 21, plus the metric weights, the liaisons, the projects and
    the counted visits: 25 whatever the number of departments.
    """
    summary = bulletin_content(competition, as_of=as_of)
    league = summary.league
    window = league.window
    department_ids = [r.department_id for r in league.rows]
    weights = competition.weights()
    departments = summary.departments
    prefetch_related_objects(list(departments.values()), "liaisons")

    projects_by_department: dict[int, list[Project]] = defaultdict(list)
    for project in Project.objects.filter(department_id__in=department_ids).order_by(
        "-planned_investment", "code"
    ):
        projects_by_department[project.department_id].append(project)
    visits_by_department: dict[int, list[Visit]] = defaultdict(list)
    if window.started:
        for visit in Visit.objects.filter(
            department_id__in=department_ids,
            status__in=counted_statuses(competition),
            occurred_on__gte=window.start,
            occurred_on__lte=window.end,
        ).order_by("occurred_on", "id"):
            visits_by_department[visit.department_id].append(visit)
    diagnosis_of = {d.department_id: d for d in summary.diagnoses}

    pages = []
    for number, result in enumerate(league.rows, start=1):
        department = departments[result.department_id]
        pace = department_pace(result, league=league, weights=weights)
        lines = [
            project_line(p, reached=summary.reached, as_of=as_of, receipts=summary.receipts)
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
                number=number,
                result=result,
                department=department,
                liaisons=[p.name for p in department.liaisons.all()],
                metrics=metric_lines(result, league=league, weights=weights, pace=pace),
                stages=[
                    StageGroup(stage=s.value, label=str(s.label), projects=by_stage[s.value])
                    for s in reversed(Stage)
                    if by_stage[s.value]
                ],
                lost=lost,
                visits=visits_by_department[result.department_id],
                diagnosis=diagnosis_of[result.department_id],
                pace=pace,
            )
        )
    return PackContent(summary=summary, pages=pages)
