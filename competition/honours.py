"""红黑榜: the weekly honour and warning lists (README "红黑榜").

The rule (`decide`, pure: figures in, entries out) combines two parts:

- 指标进度, the league's score: 红榜 names the first `honour_top` departments by rank
  that are scored, carry no yellow card or zero-result flag and pass 基础工作; and every
  department with a notable result in the week (a major project, planned investment at
  least MAJOR_PROJECT_MIN_INVESTMENT, signed or broken ground, counted records dated in
  the seven days up to the as-of date). 黑榜 names every department with a yellow card
  (连续N期 said), with no results (无实绩), or with an overdue 整改 (competition.cards).
- 基础工作, how the department keeps its records: the share of its records dated in the
  window that were 补录 (projects.lateness), the share of its counted milestones and
  receipts with evidence attached, and its returned records not corrected yet. A
  department failing a threshold of the competition never goes on 红榜 by score; it goes
  on 黑榜 for that alone only when the competition says so (`basics_blacklist`), and the
  failures are named among the reasons of a department on 黑榜 anyway.

Each entry carries its reasons; each reason the page it can be checked on (`Reason.link`).
`honours_for` reads the figures (6 queries besides the league) and calls `decide`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from competition import charts
from competition.cards import bulletin_dates, cards_covering, consecutive_issues
from competition.league.rows import plain_decimal
from competition.models import Competition, Rectification
from competition.scoring import DepartmentResult, League, counted_statuses
from projects.lateness import late_entry_q
from projects.models import Milestone, Receipt, ReviewStatus, Stage, Visit

WEEK_DAYS = 7
NOTABLE_STAGES = (Stage.SIGNED, Stage.GROUNDBREAKING)


@dataclass(frozen=True)
class HonourRule:
    """A competition's 红黑榜 settings (fields on Competition)."""

    top: int = 5
    late_max: Decimal = Decimal("0.30")
    evidence_min: Decimal = Decimal("0.80")
    returned_max: int = 0
    basics_blacklist: bool = False

    @classmethod
    def of(cls, competition: Competition) -> HonourRule:
        return cls(
            top=competition.honour_top,
            late_max=Decimal(competition.basics_late_max),
            evidence_min=Decimal(competition.basics_evidence_min),
            returned_max=competition.basics_returned_max,
            basics_blacklist=competition.basics_blacklist,
        )


@dataclass(frozen=True)
class Basics:
    """基础工作 of one department as of a date."""

    department_id: int
    records: int = 0  # milestones, receipts and visits dated in the window, typed in by then
    late: int = 0  # of those, 补录
    counted: int = 0  # counted milestones and receipts dated in the window
    with_evidence: int = 0  # of those, with evidence attached
    returned: int = 0  # returned milestones and receipts not corrected yet

    @property
    def late_share(self) -> Decimal | None:
        return Decimal(self.late) / Decimal(self.records) if self.records else None

    @property
    def evidence_share(self) -> Decimal | None:
        return Decimal(self.with_evidence) / Decimal(self.counted) if self.counted else None


@dataclass(frozen=True)
class Notable:
    """A major project's signing or groundbreaking in the week."""

    department_id: int
    project_id: int
    project_name: str
    stage: int
    occurred_on: date
    investment: Decimal


@dataclass(frozen=True)
class OverdueCard:
    card_id: int
    issued_on: date
    due_on: date


@dataclass(frozen=True)
class Reason:
    """Why a department is on a list, and where the figure can be checked.

    `link` is (URL name, args) or None; `private` links open only for readers of the
    department (its liaisons, the office, leaders), so the page drops them for others.
    """

    code: str
    text: str
    link: tuple[str, tuple] | None = None
    private: bool = False


@dataclass
class Entry:
    department_id: int
    department_name: str
    rank: int
    score: Decimal
    scored: bool
    reasons: list[Reason] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "；".join(r.text for r in self.reasons)


@dataclass
class Honours:
    competition: Competition
    as_of: date
    week_start: date
    rule: HonourRule
    red: list[Entry]
    black: list[Entry]
    basics: dict[int, Basics]
    basics_failing: dict[int, list[Reason]]
    rows: list[DepartmentResult]
    streaks: dict[int, int]  # 连续N期 of each department carded on the date


def basics_failures(basics: Basics, *, rule: HonourRule, competition_id: int) -> list[Reason]:
    """The 基础工作 thresholds `basics` fails, each as a reason (none when it passes)."""
    link = ("honour_basics", (competition_id, basics.department_id))
    found = []
    late = basics.late_share
    if late is not None and late > rule.late_max:
        found.append(
            Reason(
                "late",
                _("补录%(late)s条，占%(share)s（上限%(limit)s）")
                % {
                    "late": basics.late,
                    "share": charts.percent(late),
                    "limit": charts.plain_percent(rule.late_max),
                },
                link,
                private=True,
            )
        )
    evidence = basics.evidence_share
    if evidence is not None and evidence < rule.evidence_min:
        found.append(
            Reason(
                "evidence",
                _("佐证齐全率%(share)s（%(with)s/%(all)s，下限%(limit)s）")
                % {
                    "share": charts.percent(evidence),
                    "with": basics.with_evidence,
                    "all": basics.counted,
                    "limit": charts.plain_percent(rule.evidence_min),
                },
                link,
                private=True,
            )
        )
    if basics.returned > rule.returned_max:
        found.append(
            Reason(
                "returned",
                _("退回未改%(n)s条") % {"n": basics.returned},
                link,
                private=True,
            )
        )
    return found


def decide(
    *,
    competition_id: int,
    rows: list[DepartmentResult],
    basics: dict[int, Basics],
    notable: list[Notable],
    overdue: dict[int, list[OverdueCard]],
    streaks: dict[int, int],
    rule: HonourRule,
    threshold: Decimal,
) -> tuple[list[Entry], list[Entry], dict[int, list[Reason]]]:
    """红榜 and 黑榜 from the league's rows (rank order) and the week's figures.

    Returns (red, black, failing basics by department). 红榜: the top by score first, in
    rank order, then the departments on it for notable results only, in rank order.
    黑榜: the lowest rank first.
    """
    failing = {
        pk: basics_failures(b, rule=rule, competition_id=competition_id) for pk, b in basics.items()
    }
    failing = {pk: found for pk, found in failing.items() if found}
    explain = lambda row: ("league_explain", (competition_id, row.department_id))  # noqa: E731

    def entry(row: DepartmentResult) -> Entry:
        return Entry(row.department_id, row.department_name, row.rank, row.score, row.scored)

    red: dict[int, Entry] = {}
    for row in rows:
        if len(red) >= rule.top:
            break
        if (
            row.scored
            and not row.yellow_card
            and not row.zero_result
            and not failing.get(row.department_id)
            # A department that owes an overdue 整改 is on 黑榜 for it: not on 红榜 by score.
            and not overdue.get(row.department_id)
        ):
            red[row.department_id] = e = entry(row)
            e.reasons.append(
                Reason(
                    "top",
                    _("得分第%(rank)s名（%(score)s）")
                    % {"rank": row.rank, "score": charts.percent(row.score)},
                    explain(row),
                )
            )
    by_id = {row.department_id: row for row in rows}
    for item in sorted(notable, key=lambda n: (n.occurred_on, n.project_name)):
        row = by_id.get(item.department_id)
        if row is None:
            continue
        if item.department_id not in red:
            red[item.department_id] = entry(row)
        what = _("开工建设") if item.stage == Stage.GROUNDBREAKING else _("正式签约")
        red[item.department_id].reasons.append(
            Reason(
                "notable",
                _("重大项目“%(name)s”（计划总投资%(amount)s万元）%(date)s%(what)s")
                % {
                    "name": item.project_name,
                    "amount": plain_decimal(item.investment),
                    "date": f"{item.occurred_on.month}月{item.occurred_on.day}日",
                    "what": what,
                },
                ("projects:detail", (item.project_id,)),
                private=True,
            )
        )
    red_list = sorted(red.values(), key=lambda e: (e.reasons[0].code != "top", e.rank))

    black: list[Entry] = []
    for row in reversed(rows):
        reasons: list[Reason] = []
        if row.yellow_card:
            streak = streaks.get(row.department_id, 1)
            text = _("黄牌警告：得分%(score)s，低于黄牌线%(line)s") % {
                "score": charts.percent(row.score),
                "line": charts.plain_percent(threshold),
            }
            if streak > 1:
                text += _("（连续%(n)s期）") % {"n": streak}
            reasons.append(Reason("yellow", text, explain(row)))
        if row.zero_result:
            reasons.append(
                Reason(
                    "zero",
                    _("无实绩：竞赛开始以来没有正式签约项目"),
                    (
                        "league_records",
                        (competition_id, row.department_id, "signed_projects"),
                    ),
                    private=True,
                )
            )
        for card in overdue.get(row.department_id, []):
            reasons.append(
                Reason(
                    "overdue",
                    _("整改逾期：%(issued)s黄牌，应于%(due)s前提交整改措施")
                    % {"issued": f"{card.issued_on:%Y-%m-%d}", "due": f"{card.due_on:%Y-%m-%d}"},
                    ("card_detail", (card.card_id,)),
                    private=True,
                )
            )
        basics_reasons = failing.get(row.department_id, [])
        if reasons or (basics_reasons and rule.basics_blacklist):
            e = entry(row)
            e.reasons = reasons + basics_reasons
            black.append(e)
    return red_list, black, failing


# Reading the figures ---------------------------------------------------------------------
def day_end(as_of: date) -> datetime:
    """The end of `as_of` in local time: records typed in later are not yet known then."""
    return timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))


def basics_by_department(
    competition: Competition, *, department_ids: list[int], start: date, end: date, as_of: date
) -> dict[int, Basics]:
    """基础工作 figures per department (3 queries: milestones, receipts, visits)."""
    statuses = counted_statuses(competition)
    typed = Q(created_at__lt=day_end(as_of))
    dated = Q(occurred_on__gte=start, occurred_on__lte=end)
    counted = dated & Q(status__in=statuses)
    tallies: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for model in (Milestone, Receipt):
        rows = (
            model.objects.filter(project__department_id__in=department_ids)
            .values("project__department_id")
            .annotate(
                records=Count("id", filter=dated & typed),
                late=Count("id", filter=dated & typed & late_entry_q()),
                counted=Count("id", filter=counted),
                with_evidence=Count("id", filter=counted & ~Q(evidence="")),
                returned=Count("id", filter=Q(status=ReviewStatus.RETURNED)),
            )
            .order_by()
        )
        for row in rows:
            tally = tallies[row["project__department_id"]]
            for key in ("records", "late", "counted", "with_evidence", "returned"):
                tally[key] += row[key]
    visits = (
        Visit.objects.filter(dated & typed, department_id__in=department_ids)
        .values("department_id")
        .annotate(records=Count("id"), late=Count("id", filter=late_entry_q()))
        .order_by()
    )
    for row in visits:
        tally = tallies[row["department_id"]]
        tally["records"] += row["records"]
        tally["late"] += row["late"]
    return {pk: Basics(department_id=pk, **tallies.get(pk, {})) for pk in department_ids}


def notable_results(
    competition: Competition, *, department_ids: list[int], start: date, end: date
) -> list[Notable]:
    """Major projects signed or broken ground between `start` and `end` (1 query)."""
    if start > end:
        return []
    milestones = (
        Milestone.objects.filter(
            project__department_id__in=department_ids,
            project__planned_investment__gte=settings.MAJOR_PROJECT_MIN_INVESTMENT,
            stage__in=NOTABLE_STAGES,
            status__in=counted_statuses(competition),
            occurred_on__gte=start,
            occurred_on__lte=end,
        )
        .filter(Q(project__lost_on__isnull=True) | Q(project__lost_on__gte=end))
        .values_list(
            "project__department_id",
            "project_id",
            "project__name",
            "stage",
            "occurred_on",
            "project__planned_investment",
        )
        .order_by("occurred_on", "project__code", "stage")
    )
    return [Notable(*values) for values in milestones]


def overdue_and_streaks(
    competition: Competition, *, as_of: date, bulletin_days: list[date]
) -> tuple[dict[int, list[OverdueCard]], dict[int, int]]:
    """Overdue 整改 and 连续N期 per department from the cards open on `as_of` (1 query).

    Overdue on `as_of`: past its due date, and no report waiting or accepted that was
    submitted by then.
    """
    cutoff = day_end(as_of)
    overdue: dict[int, list[OverdueCard]] = defaultdict(list)
    streaks: dict[int, int] = {}
    cards = cards_covering(competition, as_of=as_of)
    for department_id, card in cards.items():
        streaks[department_id] = consecutive_issues(
            issued_on=card.issued_on, as_of=as_of, bulletin_dates=bulletin_days
        )
        rect = card.rectification if hasattr(card, "rectification") else None
        answered = (
            rect is not None
            and rect.status in (Rectification.Status.SUBMITTED, Rectification.Status.ACCEPTED)
            and rect.submitted_at < cutoff
        )
        if as_of > card.rectification_due_on and not answered:
            overdue[department_id].append(
                OverdueCard(card.pk, card.issued_on, card.rectification_due_on)
            )
    return dict(overdue), streaks


def honours_for(competition: Competition, *, league: League) -> Honours:
    """红黑榜 of `league`'s date (6 queries besides the league: bulletin dates, cards,
    milestones, receipts, visits, notable results)."""
    as_of = league.as_of
    window = league.window
    department_ids = [r.department_id for r in league.rows]
    week_start = max(as_of - timedelta(days=WEEK_DAYS - 1), competition.start_date)
    rule = HonourRule.of(competition)
    days = bulletin_dates(competition, up_to=as_of)
    overdue, streaks = overdue_and_streaks(competition, as_of=as_of, bulletin_days=days)
    if window.started:
        basics = basics_by_department(
            competition,
            department_ids=department_ids,
            start=window.start,
            end=window.end,
            as_of=as_of,
        )
        notable = notable_results(
            competition, department_ids=department_ids, start=week_start, end=window.end
        )
    else:
        basics, notable = {}, []
    red, black, failing = decide(
        competition_id=competition.pk,
        rows=league.rows if window.started else [],
        basics=basics,
        notable=notable,
        overdue=overdue,
        streaks=streaks,
        rule=rule,
        threshold=Decimal(competition.yellow_threshold),
    )
    return Honours(
        competition=competition,
        as_of=as_of,
        week_start=week_start,
        rule=rule,
        red=red,
        black=black,
        basics=basics,
        basics_failing=failing,
        rows=league.rows,
        streaks=streaks,
    )
