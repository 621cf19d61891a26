"""红黑榜 (competition.honours): the rule as a pure function, its figures from records, the page."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competition import cards
from competition.honours import (
    Basics,
    HonourRule,
    Notable,
    OverdueCard,
    basics_failures,
    decide,
    honours_for,
)
from competition.models import Quota, Report
from competition.scoring import DepartmentResult, compute_league
from departments.models import Department
from projects.models import Milestone, Stage, Visit
from tests.conftest import make_competition, make_milestone, make_project, make_receipt, make_visit

RULE = HonourRule(top=2, late_max=Decimal("0.30"), evidence_min=Decimal("0.80"), returned_max=0)


def row(pk, rank, score, *, yellow=False, zero=False, scored=True) -> DepartmentResult:
    return DepartmentResult(
        department_id=pk,
        department_name=f"部门{pk}",
        group_id=None,
        group_name="",
        order=pk,
        actuals={},
        targets={},
        ratios={},
        score=Decimal(score),
        exact_score=Fraction(Decimal(score)),
        scored=scored,
        yellow_card=yellow,
        zero_result=zero,
        rank=rank,
    )


def league_rows():
    return [
        row(1, 1, "1.2"),
        row(2, 2, "1.0"),
        row(3, 3, "0.9"),
        row(4, 4, "0.5", yellow=True),
        row(5, 5, "0.1", yellow=True, zero=True),
    ]


def run(**overrides):
    args = {
        "competition_id": 9,
        "rows": league_rows(),
        "basics": {},
        "notable": [],
        "overdue": {},
        "streaks": {},
        "rule": RULE,
        "threshold": Decimal("0.70"),
    } | overrides
    return decide(**args)


# The rule --------------------------------------------------------------------------------
def test_red_names_the_top_by_score_with_their_rank_and_score():
    red, black, _ = run()
    assert [(e.department_id, [r.code for r in e.reasons]) for e in red] == [
        (1, ["top"]),
        (2, ["top"]),
    ]
    assert red[0].reasons[0].text == "得分第1名（120.0%）"
    assert red[0].reasons[0].link == ("league_explain", (9, 1)) and not red[0].reasons[0].private


def test_a_department_owing_an_overdue_rectification_is_on_black_not_red():
    overdue = {1: [OverdueCard(7, date(2026, 4, 10), date(2026, 4, 17))]}
    red, black, _ = run(overdue=overdue)
    assert [e.department_id for e in red] == [2, 3]
    assert "overdue" in [r.code for r in next(e for e in black if e.department_id == 1).reasons]


def test_a_department_failing_basics_is_not_on_red_by_score():
    basics = {2: Basics(2, records=10, late=4)}  # 40% 补录 > 30%
    red, black, failing = run(basics=basics)
    assert [e.department_id for e in red] == [1, 3]
    assert [r.code for r in failing[2]] == ["late"]
    assert 2 not in [e.department_id for e in black]  # basics alone: not black by default


def test_basics_alone_puts_a_department_on_black_when_the_competition_says_so():
    basics = {2: Basics(2, counted=10, with_evidence=7)}
    rule = HonourRule(top=2, basics_blacklist=True)
    _red, black, _ = run(basics=basics, rule=rule)
    entry = next(e for e in black if e.department_id == 2)
    assert [r.code for r in entry.reasons] == ["evidence"]
    assert "佐证齐全率70.0%（7/10，下限80%）" == entry.reasons[0].text
    assert entry.reasons[0].link == ("honour_basics", (9, 2)) and entry.reasons[0].private


def test_thresholds_are_limits_that_pass():
    at_limits = Basics(1, records=10, late=3, counted=10, with_evidence=8, returned=0)
    assert basics_failures(at_limits, rule=RULE, competition_id=1) == []
    over = Basics(1, records=10, late=4, counted=10, with_evidence=7, returned=1)
    assert [r.code for r in basics_failures(over, rule=RULE, competition_id=1)] == [
        "late",
        "evidence",
        "returned",
    ]
    # No records: no share, nothing to fail.
    assert basics_failures(Basics(1), rule=RULE, competition_id=1) == []


def test_a_notable_result_puts_a_department_on_red_whatever_its_rank():
    notable = [Notable(4, 77, "风电装备", Stage.GROUNDBREAKING, date(2026, 4, 28), Decimal(8000))]
    red, black, _ = run(notable=notable)
    assert [e.department_id for e in red] == [1, 2, 4]
    reason = red[2].reasons[0]
    assert reason.text == "重大项目“风电装备”（计划总投资8000万元）4月28日开工建设"
    assert reason.link == ("projects:detail", (77,)) and reason.private
    assert 4 in [e.department_id for e in black]  # its card still stands


def test_black_lists_cards_zero_results_and_overdue_rectification_lowest_first():
    overdue = {4: [OverdueCard(31, date(2026, 4, 5), date(2026, 4, 13))]}
    _red, black, _ = run(overdue=overdue, streaks={4: 3})
    assert [e.department_id for e in black] == [5, 4]
    worst, carded = black
    assert [r.code for r in worst.reasons] == ["yellow", "zero"]
    assert worst.reasons[1].link == ("league_records", (9, 5, "signed_projects"))
    assert [r.code for r in carded.reasons] == ["yellow", "overdue"]
    assert carded.reasons[0].text == "黄牌警告：得分50.0%，低于黄牌线70%（连续3期）"
    assert carded.reasons[1].text == "整改逾期：2026-04-05黄牌，应于2026-04-13前提交整改措施"
    assert carded.reasons[1].link == ("card_detail", (31,))


def test_failing_basics_are_named_among_the_reasons_of_a_department_on_black():
    basics = {4: Basics(4, returned=2)}
    _red, black, _ = run(basics=basics)
    entry = next(e for e in black if e.department_id == 4)
    assert [r.code for r in entry.reasons] == ["yellow", "returned"]
    assert entry.text == "黄牌警告：得分50.0%，低于黄牌线70%；退回未改2条"


def test_nothing_before_the_window_starts():
    red, black, _ = run(rows=[])
    assert red == [] and black == []


# The figures -----------------------------------------------------------------------------
AS_OF = date(2026, 4, 30)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-04-30 18:00 +08:00")


@pytest.fixture
def comp(commerce, finance):
    return make_competition(commerce, finance)


def typed_on(record, day: date):
    type(record).objects.filter(pk=record.pk).update(
        created_at=datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    )


def test_basics_and_notable_results_are_read_from_the_records(comp, commerce, finance):
    major = make_project(commerce, "C1", planned_investment=Decimal(6000))
    intent = make_milestone(major, Stage.INTENT, date(2026, 3, 2), evidence="")
    typed_on(intent, date(2026, 3, 20))  # 18 days later: 补录
    # in the week, no evidence
    make_milestone(major, Stage.SIGNED, date(2026, 4, 27), evidence="")
    returned = make_receipt(major, date(2026, 4, 28))
    type(returned).objects.filter(pk=returned.pk).update(status="returned", return_reason="不清")
    visit = make_visit(commerce, date(2026, 3, 5))
    typed_on(visit, date(2026, 3, 6))
    small = make_project(finance, "F1", planned_investment=Decimal(100))
    make_milestone(small, Stage.SIGNED, date(2026, 4, 27))

    league = compute_league(comp, as_of=AS_OF)
    found = honours_for(comp, league=league)
    b = found.basics[commerce.pk]
    assert (b.records, b.late) == (4, 1)  # intent, signed, receipt, visit; the intent late
    assert (b.counted, b.with_evidence, b.returned) == (2, 0, 1)
    notable = [r for e in found.red for r in e.reasons if r.code == "notable"]
    assert len(notable) == 1 and "“项目C1”" in notable[0].text and "正式签约" in notable[0].text
    assert found.week_start == date(2026, 4, 24)


def test_an_overdue_rectification_goes_on_black(comp, commerce):
    report = Report.objects.create(
        competition=comp, kind=Report.Kind.BULLETIN, as_of=date(2026, 4, 10), issue_number=1
    )
    cards.sync_cards(report, today=date(2026, 4, 11))
    found = honours_for(comp, league=compute_league(comp, as_of=AS_OF))
    entry = next(e for e in found.black if e.department_id == commerce.pk)
    assert "overdue" in [r.code for r in entry.reasons]


# The page --------------------------------------------------------------------------------
def test_links_open_only_what_the_role_may_open(client, comp, commerce, other_liaison, liaison):
    client.force_login(other_liaison)  # 财政局's liaison reads the list, not 商务局's records
    page = client.get(reverse("honours")).content.decode()
    assert "商务局" in page and "无实绩" in page
    assert reverse("league_explain", args=[comp.pk, commerce.pk]) in page
    assert reverse("league_records", args=[comp.pk, commerce.pk, "signed_projects"]) not in page
    assert reverse("honour_basics", args=[comp.pk, commerce.pk]) not in page
    client.force_login(liaison)
    page = client.get(reverse("honours")).content.decode()
    assert reverse("league_records", args=[comp.pk, commerce.pk, "signed_projects"]) in page


def test_the_basics_page_lists_the_records_behind_the_figures(client, comp, commerce, liaison):
    project = make_project(commerce, "C1")
    late = make_milestone(project, Stage.INTENT, date(2026, 3, 2), evidence="")
    typed_on(late, date(2026, 4, 1))
    client.force_login(liaison)
    page = client.get(reverse("honour_basics", args=[comp.pk, commerce.pk])).content.decode()
    assert "补录的记录（1）" in page and "计入成绩但没有佐证的记录（1）" in page
    assert reverse("projects:detail", args=[project.pk]) in page


def _more(comp, n):
    for i in range(n):
        d = Department.objects.create(name=f"部门{i}", order=20 + i)
        Quota.objects.create(competition=comp, department=d, visit_batches=3, signed_projects=1)
        p = make_project(d, f"X{i}", planned_investment=Decimal(9000))
        make_milestone(p, Stage.SIGNED, date(2026, 4, 28))
        make_visit(d, date(2026, 3, 3))


def test_the_pages_cost_the_same_queries_for_few_and_many(client, comp, commerce, office):
    def count(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    client.force_login(office)
    basics_url = reverse("honour_basics", args=[comp.pk, commerce.pk])
    few = [count(reverse("honours")), count(basics_url)]
    _more(comp, 6)
    project = make_project(commerce, "C9")
    make_milestone(project, Stage.SIGNED, date(2026, 3, 3))
    Milestone.objects.update(created_at=datetime(2026, 4, 29, tzinfo=ZoneInfo("Asia/Shanghai")))
    Visit.objects.update(created_at=datetime(2026, 4, 29, tzinfo=ZoneInfo("Asia/Shanghai")))
    many = [count(reverse("honours")), count(basics_url)]
    # 红黑榜: session, user, roles (2), active competition, the form's competition, the
    # league computed live (4), 红黑榜 6, the form's competition choices. Basics: session,
    # user, roles (2), competition, department, the three lists (5 queries).
    assert few == many
    assert Milestone.objects.filter(created_at__gt=datetime(2026, 4, 1, tzinfo=ZoneInfo("UTC")))


def test_the_bulletin_prints_the_lists_with_their_reasons(comp, commerce):
    from competition.reports.content import bulletin_content

    summary = bulletin_content(comp, as_of=AS_OF)
    black = {e.department_name: e.text for e in summary.honours.black}
    assert "无实绩" in black["商务局"]
    assert summary.as_of - timedelta(days=6) == summary.honours.week_start
