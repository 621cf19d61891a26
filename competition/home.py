"""What each role's home page shows: plain functions, no HTTP, a fixed number of queries.

Every function here runs the same number of SQL queries whatever the number of
departments, projects or records: counts come from aggregate queries, never from
per-row loops.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

from django.core.cache import caches
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Min,
    QuerySet,
    Value,
    When,
)

from competition.league.stored import league_of_version, standings_to_show, stored_versions
from competition.models import Competition, Metric
from competition.scoring import DepartmentResult, League, window_for
from competition.scoring.pace import DepartmentPace, department_pace
from competition.scoring.reported import ReportedLine, reported_and_verified
from departments.models import Department
from projects.models import NO_STAGE, Milestone, Project, Receipt, ReviewStatus, Stage, Visit

# Home pages show verified progress: what the office has checked.
VERIFIED_ONLY = (ReviewStatus.VERIFIED,)

# Lists of records awaiting verification or returned are capped; the counts are not.
RECORD_LIST_LIMIT = 50


def elapsed_days(competition: Competition, *, as_of: date) -> int:
    """Day N of the competition window on `as_of`, clamped to [0, days] (DOMAIN.md)."""
    return max(0, min((as_of - competition.start_date).days + 1, competition.days))


def active_competition(*, today: date) -> Competition | None:
    """The active competition whose window contains `today`, else the most recent active one."""
    # Every active one read (a handful a year) and the one in its window picked here: the
    # same choice as ordering by "in the window" in SQL, 0.38 ms of CPU instead of 0.71
    # (the Case expression's compiling; loadtest database, 2,000 calls).
    active = list(Competition.objects.filter(is_active=True).order_by("-start_date", "name"))
    in_window = (c for c in active if c.start_date <= today <= c.end_date)
    return next(in_window, active[0] if active else None)


@dataclass
class StageCount:
    """How many projects reached `stage` (this stage or a later one)."""

    stage: int
    label: str
    count: int = 0


def _stage_counts(furthest_counts: dict[int, int]) -> list[StageCount]:
    """Cumulative counts per stage from {furthest stage: number of projects}."""
    return [
        StageCount(
            stage=stage.value,
            label=stage.label,
            count=sum(n for furthest, n in furthest_counts.items() if furthest >= stage.value),
        )
        for stage in Stage
    ]


# ---------------------------------------------------------------------------------------
# Liaison: my department(s)


@dataclass(frozen=True)
class OpenRecord:
    """A milestone or receipt that awaits verification or was returned to be fixed."""

    project_id: int
    project_code: str
    project_name: str
    stage_label: str
    occurred_on: date
    amount: Decimal | None
    status: str
    status_label: str
    return_reason: str
    updated_at: datetime

    # What `of` reads of a record (a row of values, not a model instance: building ~90
    # records and their projects was a fifth of the liaison's home; per list 7.5 → 2.8 ms
    # of CPU, bench database at scale 0.5), the stage's or the amount's column last.
    FIELDS = (
        "project__department_id",
        "project_id",
        "project__code",
        "project__name",
        "occurred_on",
        "status",
        "return_reason",
        "updated_at",
    )

    @classmethod
    def of(cls, row: tuple, *, model: type[Milestone] | type[Receipt]) -> OpenRecord:
        """From a row of `FIELDS` then the milestone's stage or the receipt's amount."""
        _department, pk, code, name, occurred_on, status, reason, updated_at, last = row
        is_receipt = model is Receipt
        # The choices' own labels, not get_FOO_display(): that one translates every
        # choice of the field on each call, a fifth of this page's time with 90 records.
        return cls(
            project_id=pk,
            project_code=code,
            project_name=name,
            stage_label=Stage.FUNDED.label if is_receipt else Stage(last).label,
            occurred_on=occurred_on,
            amount=last if is_receipt else None,
            status=status,
            status_label=ReviewStatus(status).label,
            return_reason=reason,
            updated_at=updated_at,
        )

    @property
    def is_returned(self) -> bool:
        return self.status == ReviewStatus.RETURNED

    def sort_key(self) -> tuple[bool, float]:
        # Returned first: those are the ones the liaison has to fix; then newest first.
        return (not self.is_returned, -self.updated_at.timestamp())


@dataclass(frozen=True)
class MetricLine:
    """One metric of a department's league row: done, target and the timeline ratio."""

    metric: str
    label: str
    actual: Decimal
    target: Decimal
    ratio: Decimal | None  # None: not scored (no target or no weight)


@dataclass
class DepartmentSummary:
    """One department as its liaison sees it on the home page: its row of the league
    (the same figures as the league table: competition.league.stored.league_to_show) and
    the records it must follow up."""

    department: Department
    standing: DepartmentResult | None = None  # None: not taking part in the competition
    participants: int = 0
    group_size: int = 0
    threshold: Decimal | None = None
    metrics: list[MetricLine] = field(default_factory=list)
    pending_milestones: int = 0
    pending_receipts: int = 0
    returned_milestones: int = 0
    returned_receipts: int = 0
    pending_visits: int = 0
    returned_visits: int = 0
    # Milestones and receipts awaiting verification or returned: returned first (capped).
    records: list[OpenRecord] = field(default_factory=list)
    # 还需 / 日均 and the yellow-line plan, and 报送数 / 核实数 (issue #20): from `standing`.
    pace: DepartmentPace | None = None
    reported: list[ReportedLine] = field(default_factory=list)

    @property
    def pending_total(self) -> int:
        return self.pending_milestones + self.pending_receipts + self.pending_visits

    @cached_property
    def records_key(self) -> str:
        """What the drawn list of open records shows (each record's shown fields and
        its project's key, code and name; the language is in the template's key), for
        `{% cache %}` on the "pages" alias: drawing ~90 rows was a large part of the
        liaison's home. It names the data, so an entry is never stale."""
        shown = [
            (
                r.project_id,
                r.project_code,
                r.project_name,
                str(r.stage_label),
                r.occurred_on,
                r.amount,
                r.status,
                r.return_reason,
            )
            for r in self.records
        ]
        return hashlib.sha256(repr(shown).encode()).hexdigest()

    @cached_property
    def figures_key(self) -> str:
        """What the drawn figures show (the league row and its sizes, the yellow line, the
        metrics, the pace and the reported figures; the competition, the day and the
        language are in the template's key), for `{% cache %}` on the "pages" alias:
        drawing them was a fifth of the liaison's home (CPU per request 50 → 37 ms, bench
        database at scale 0.5). Every shown value is in it, so an entry is never stale."""
        shown = [
            self.department.pk,
            self.participants,
            self.group_size,
            self.threshold,
            self.standing,
            self.metrics,
            self.pace,
            self.reported,
        ]
        text = json.dumps(shown, default=_shown_value, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def returned_total(self) -> int:
        return self.returned_milestones + self.returned_receipts + self.returned_visits

    @property
    def points_to_yellow_line(self) -> Decimal | None:
        """Score minus the yellow line, in percentage points (negative: below it); None
        when nothing is scored yet."""
        if self.standing is None or not self.standing.scored or self.threshold is None:
            return None
        return ((self.standing.score - self.threshold) * 100).quantize(Decimal("0.1"))

    @property
    def points_below_yellow_line(self) -> Decimal | None:
        gap = self.points_to_yellow_line
        return None if gap is None else -gap


def _shown_value(value):
    """A value of `figures_key` that JSON cannot write: a dataclass as its fields (JSON
    writes each in turn), anything else (decimals, dates, fractions, translated labels)
    as its text."""
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    return str(value)


def _metric_lines(row: DepartmentResult) -> list[MetricLine]:
    return [
        MetricLine(
            metric=metric.value,
            label=metric.label,
            actual=row.actuals.get(metric.value, Decimal(0)),
            target=row.targets.get(metric.value, Decimal(0)),
            ratio=row.ratios.get(metric.value),
        )
        for metric in Metric
    ]


def liaison_home(
    *, department_ids: frozenset[int] | set[int], competition: Competition | None, today: date
) -> list[DepartmentSummary]:
    """For each department: its league row as of `today` and its open records.

    The league row is the league table's own (the stored snapshot of the day, or computed
    live when none is stored: competition.league.stored.standings_to_show), so rank,
    score, card and every metric agree with the table figure for figure.

    Kept on the "pages" cache under what it is computed from (`_liaison_home_key`): the
    departments (with their records version), the competition's weights and the stored
    league's version are read first (3 queries); a miss then reads the snapshot rows with
    the league's sizes, the reported/verified figures the league does not count (2), the
    milestone, receipt and visit status counts (3) and the milestone and receipt lists (2).
    """
    return liaison_home_for(
        department_ids=department_ids, competition=competition, today=today
    ).summaries


@dataclass
class LiaisonHome:
    """A liaison's home before it is computed: what it is computed from (read in 3
    queries) and its `key`, under which the page keeps the drawn section too
    (templates/home/_liaison.html), so a hit neither computes nor unpickles the summaries
    (unpickling them was a fifth of a home's CPU; README "Performance", round 7). `key`
    None: nothing is kept (no stored league of the day)."""

    departments: list[Department]
    competition: Competition | None
    weights: dict
    today: date
    key: str | None

    @cached_property
    def summaries(self) -> list[DepartmentSummary]:
        if not self.departments:
            return []
        if self.key is not None and (cached := caches["pages"].get(self.key)) is not None:
            return cached
        shown = _liaison_home(
            self.departments, competition=self.competition, weights=self.weights, today=self.today
        )
        if self.key is not None:
            for summary in shown:
                # Kept with it: the drawn parts' keys hash every shown value (1.5 ms a visit).
                summary.figures_key, summary.records_key  # noqa: B018
            caches["pages"].set(self.key, shown, LIAISON_HOME_SECONDS)
        return shown


def liaison_home_for(
    *, department_ids: frozenset[int] | set[int], competition: Competition | None, today: date
) -> LiaisonHome:
    """`liaison_home`'s departments, weights and key, its summaries left to compute."""
    departments = list(Department.objects.filter(id__in=department_ids).select_related("group"))
    weights = competition.weights() if competition is not None and departments else {}
    key = (
        _liaison_home_key(departments, competition=competition, weights=weights, today=today)
        if departments
        else None
    )
    return LiaisonHome(departments, competition, weights, today, key)


# A liaison's home as computed is kept this long on the "pages" alias. Its key names every
# version it was computed from, and every service that writes a department's records or
# projects gives it a new records version (departments.changes): a write through them
# shows at once. A write by hand that touches nothing (a queryset update in a shell) shows
# after this long at the latest, or at once after departments.changes.touch.
LIAISON_HOME_SECONDS = 15 * 60


def _liaison_home_key(
    departments: list[Department], *, competition: Competition | None, weights: dict, today: date
) -> str | None:
    """What `liaison_home` computes from, for the "pages" cache: the day; each department
    as stored (its `records_version` changes with every write to its records and projects:
    departments.changes.touch), with its group; the competition's settings and weights;
    and the version of the day's stored league (a recompute that moves any figure or rank
    replaces it). None when the day has no stored league: the live one moves with every
    department's records. One query (the league's version).

    A hit leaves out the league row, the reported figures, the status counts and the two
    lists of open records: 8 of the page's queries (README, Performance).
    """
    version = None
    if competition is not None:
        as_of = min(today, competition.end_date)
        version = stored_versions(competition, dates=[as_of]).get(as_of)
        if version is None:
            return None
    parts = [
        today,
        _stored_values(competition, leave_out=Competition.MARKER_FIELDS),
        version,
        sorted(weights.items()),
        [(_stored_values(d), _stored_values(d.group)) for d in departments],
    ]
    return "liaison-home:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _stored_values(row, *, leave_out=frozenset()) -> list | None:
    """Every stored field of a model instance (None: no instance), `leave_out` aside."""
    if row is None:
        return None
    fields = type(row)._meta.concrete_fields
    return [(f.attname, getattr(row, f.attname)) for f in fields if f.name not in leave_out]


def _liaison_home(
    departments: list[Department], *, competition: Competition | None, weights: dict, today: date
) -> list[DepartmentSummary]:
    summaries = {d.id: DepartmentSummary(department=d) for d in departments}
    if competition is not None:
        # After the end, the figures of its last day (the snapshot pages read).
        as_of = min(today, competition.end_date)
        # Only these departments' rows: rank and group rank are stored with them, and
        # the league's sizes are counted in the same query (the whole league read and
        # parsed to show one row was most of this page: README "Performance").
        standings = standings_to_show(competition, as_of=as_of, department_ids=list(summaries))
        for department_id, row in standings.rows.items():
            summary = summaries[department_id]
            summary.standing = row
            summary.participants = standings.participants
            summary.group_size = standings.group_size(row)
            summary.threshold = competition.yellow_threshold
            summary.metrics = _metric_lines(row)
        # The pace and the reported figures need only these rows and the league's window.
        shown = League(
            competition=competition,
            as_of=as_of,
            window=window_for(competition, as_of=as_of),
            rows=list(standings.rows.values()),
        )
        _add_pace_and_reported(summaries, league=shown, weights=weights, today=today)

    open_statuses = (ReviewStatus.PENDING, ReviewStatus.RETURNED)
    # Visits are reviewed too (issue 20): counted here, listed on the visit list.
    for model, kind, department in (
        (Milestone, "milestones", "project__department_id"),
        (Receipt, "receipts", "project__department_id"),
        (Visit, "visits", "department_id"),
    ):
        counts = (
            model.objects.filter(**{f"{department}__in": summaries}, status__in=open_statuses)
            .order_by()
            .values(department, "status")
            .annotate(n=Count("id"))
        )
        for row in counts:
            setattr(summaries[row[department]], f"{row['status']}_{kind}", row["n"])

    returned_first = Case(
        When(status=ReviewStatus.RETURNED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    for model, last in ((Milestone, "stage"), (Receipt, "amount")):
        rows = (
            model.objects.filter(project__department_id__in=summaries, status__in=open_statuses)
            .order_by(returned_first, "-updated_at", "-id")
            .values_list(*OpenRecord.FIELDS, last)[: RECORD_LIST_LIMIT * len(summaries)]
        )
        for row in rows:
            department_id = row[0]
            summaries[department_id].records.append(OpenRecord.of(row, model=model))
    for summary in summaries.values():
        summary.records.sort(key=OpenRecord.sort_key)
        del summary.records[RECORD_LIST_LIMIT:]
    return [summaries[d.id] for d in departments]


def _add_pace_and_reported(
    summaries: dict[int, DepartmentSummary], *, league, weights: dict, today: date
) -> None:
    """Each taking-part department's pace and reported/verified figures, from its league
    row and the competition's `weights`. Queries: the figures the league does not count
    (2, none before the window starts)."""
    taking_part = [d for d, s in summaries.items() if s.standing is not None]
    if not taking_part:
        return
    reported_lines = reported_and_verified(league, department_ids=taking_part)
    for department_id in taking_part:
        summary = summaries[department_id]
        summary.pace = department_pace(
            summary.standing, league=league, weights=weights, today=today
        )
        summary.reported = reported_lines.get(department_id, [])


# ---------------------------------------------------------------------------------------
# Office: the verification queue and the active competitions


@dataclass
class CompetitionStatus:
    competition: Competition
    elapsed: int
    days: int
    departments: int

    @property
    def started(self) -> bool:
        return self.elapsed > 0

    @property
    def finished(self) -> bool:
        return self.elapsed >= self.days


@dataclass
class OfficeHome:
    pending_milestones: int
    pending_receipts: int
    oldest_pending: datetime | None
    competitions: list[CompetitionStatus]
    pending_visits: int = 0

    @property
    def pending_total(self) -> int:
        return self.pending_milestones + self.pending_receipts + self.pending_visits


def office_home(*, today: date) -> OfficeHome:
    """Verification queue size over all departments, and every active competition.

    Queries: pending milestones, pending receipts, pending visits, active competitions (4).
    """
    pending = {}
    for model in (Milestone, Receipt, Visit):
        pending[model] = model.objects.filter(status=ReviewStatus.PENDING).aggregate(
            n=Count("id"), oldest=Min("created_at")
        )
    oldest = [p["oldest"] for p in pending.values() if p["oldest"] is not None]
    competitions = (
        Competition.objects.filter(is_active=True)
        .annotate(departments=Count("quotas"))
        .order_by("-start_date", "name")
    )
    return OfficeHome(
        pending_milestones=pending[Milestone]["n"],
        pending_receipts=pending[Receipt]["n"],
        pending_visits=pending[Visit]["n"],
        oldest_pending=min(oldest, default=None),
        competitions=[
            CompetitionStatus(
                competition=c,
                elapsed=elapsed_days(c, as_of=today),
                days=c.days,
                departments=c.departments,
            )
            for c in competitions
        ],
    )


# ---------------------------------------------------------------------------------------
# Leader: headline figures of the active competition


@dataclass
class LeaderHome:
    """The speech's headline figures for one competition as of one date."""

    competition: Competition
    as_of: date
    elapsed: int
    days: int
    totals: dict[str, Decimal]
    departments: int
    yellow_cards: list[str]
    zero_results: list[str]

    def total(self, metric: str) -> int:
        return int(self.totals.get(metric) or 0)

    @property
    def visit_batches(self) -> int:
        return self.total("visit_batches")

    @property
    def visitors(self) -> int:
        return self.total("visitors")

    @property
    def intent_projects(self) -> int:
        return self.total("intent_projects")

    @property
    def signed_projects(self) -> int:
        return self.total("signed_projects")

    @property
    def funded_projects(self) -> int:
        return self.total("funded_projects")

    @property
    def groundbreaking_projects(self) -> int:
        return self.total("groundbreaking_projects")

    @property
    def funds_amount(self) -> Decimal:
        return self.totals.get("funds_amount") or Decimal(0)

    @property
    def started(self) -> bool:
        return self.elapsed > 0

    @property
    def figures_date(self) -> date:
        """The last day the figures cover: `as_of`, or the window's end once it is over."""
        return min(self.as_of, self.competition.end_date)


def leader_home(*, competition: Competition | None, today: date) -> LeaderHome | None:
    """Headline figures, yellow cards and zero results of `competition` as of `today`.

    The figures are the league table's own, never a count of our own: today's stored
    snapshot, or computed live (and not stored) when today has none. Queries: the snapshot
    rows' version (one), then, unless the figures of that version are cached, the rows
    (one; when today has none, compute_league's 4 instead).
    """
    if competition is None:
        return None
    version = stored_versions(competition, dates=[today]).get(today)
    if version is None:
        return _leader_home(league_of_version(competition, as_of=today, version=None))
    # The figures of a stored snapshot are kept on the "pages" cache under its version:
    # a hit reads and converts none of the 100 rows (leader, bench database at scale 0.5,
    # CPU per request, median of 15: 19–24 → 12–15 ms). A rename announces a recompute,
    # so the names follow within seconds.
    key = f"leader_home:{competition.pk}:{today.isoformat()}:{version}"
    figures = caches["pages"].get(key)
    if figures is None:
        home = _leader_home(league_of_version(competition, as_of=today, version=version))
        figures = {k: v for k, v in vars(home).items() if k != "competition"}
        caches["pages"].set(key, figures, LEADER_HOME_SECONDS)
    return LeaderHome(competition=competition, **figures)


LEADER_HOME_SECONDS = 24 * 60 * 60  # entries never go stale (the key names the data)


def _leader_home(league) -> LeaderHome:
    return LeaderHome(
        competition=league.competition,
        as_of=league.as_of,
        elapsed=league.elapsed,
        days=league.days,
        totals=dict(league.totals),
        departments=len(league.rows),
        yellow_cards=[row.department_name for row in league.rows if row.yellow_card],
        zero_results=[row.department_name for row in league.rows if row.zero_result],
    )


# ---------------------------------------------------------------------------------------
# Staff (职工): the leads they submitted and what became of them


@dataclass
class StaffHome:
    leads: list[Project]
    stages: list[StageCount]
    lost: int


def staff_home(*, user) -> StaffHome:
    """The projects `user` submitted as leads, each with the furthest stage it reached: the
    same list, in the same order and with the same stage, as the 我的信息 page (the
    project's stored progress: verified and pending records, up to a loss).

    Each lead is annotated with `furthest` (a Stage value or NO_STAGE) and `furthest_label`.
    Queries: one.
    """
    leads: QuerySet[Project] = (
        Project.objects.filter(submitted_by=user)
        .select_related("department")
        .order_by("-created_at", "-id")
    )
    leads_list = list(leads)
    furthest: dict[int, int] = {}
    for lead in leads_list:
        stage = lead.stage_reached
        lead.furthest = NO_STAGE if stage is None else stage
        lead.furthest_label = Stage(lead.furthest).label if lead.furthest != NO_STAGE else ""
        furthest[lead.furthest] = furthest.get(lead.furthest, 0) + 1
    return StaffHome(
        leads=leads_list,
        stages=_stage_counts(furthest),
        lost=sum(1 for lead in leads_list if lead.is_lost),
    )
