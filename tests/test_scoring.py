"""The scoring rule of DOMAIN.md, edge case by edge case.

The competition runs 2026-01-01..2026-04-10 (100 days), so on 2026-01-10 f = 10/100.
"""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competition.models import Competition, Metric, MetricWeight, Quota
from competition.scoring import compute_league, counted_projects, window_for
from departments.models import Department
from projects.models import Stage
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

START, END = date(2026, 1, 1), date(2026, 4, 10)
DAY10 = date(2026, 1, 10)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-06-01 12:00 +08:00")


@pytest.fixture
def comp(db):
    return Competition.objects.create(name="百日竞赛", start_date=START, end_date=END)


def quota(comp, department, **targets):
    return Quota.objects.create(competition=comp, department=department, **targets)


def row(league, department):
    return next(r for r in league.rows if r.department_id == department.id)


# --- the window -------------------------------------------------------------------------


def test_window_before_start_scores_nothing_and_gives_no_card(comp, commerce):
    quota(comp, commerce, visit_batches=10)
    make_visit(commerce, date(2025, 12, 31))
    league = compute_league(comp, as_of=date(2025, 12, 31))
    r = row(league, commerce)
    assert league.elapsed == 0
    assert r.actuals[Metric.VISIT_BATCHES] == 0
    assert r.scored is False and r.score == 0
    assert r.yellow_card is False and r.zero_result is False


def test_first_day_counts_that_day_with_f_one_over_days(comp, commerce):
    quota(comp, commerce, visit_batches=10)
    make_visit(commerce, START)
    league = compute_league(comp, as_of=START)
    r = row(league, commerce)
    assert league.elapsed == 1
    # 1 / (10 × 1/100) = 10, capped at 1.5
    assert r.ratios[Metric.VISIT_BATCHES] == Decimal("1.5")
    assert r.zero_result is True  # the window has started and nothing is signed


def test_after_the_end_the_window_stops_at_the_end(comp, commerce):
    quota(comp, commerce, visit_batches=10)
    make_visit(commerce, END)
    make_visit(commerce, END + timedelta(days=1))
    league = compute_league(comp, as_of=date(2026, 5, 1))
    r = row(league, commerce)
    assert league.elapsed == 100
    assert r.actuals[Metric.VISIT_BATCHES] == 1
    assert r.ratios[Metric.VISIT_BATCHES] == Decimal("0.1")


def test_window_clamps():
    comp = Competition(name="x", start_date=START, end_date=END)
    assert window_for(comp, as_of=date(2020, 1, 1)).elapsed == 0
    assert window_for(comp, as_of=date(2030, 1, 1)).elapsed == 100
    assert window_for(comp, as_of=DAY10).fraction == Fraction(1, 10)


# --- targets, weights and the cap --------------------------------------------------------


def test_zero_target_is_not_scored(comp, commerce):
    quota(comp, commerce, visit_batches=10, signed_projects=0)
    make_visit(commerce, DAY10)
    r = row(compute_league(comp, as_of=DAY10), commerce)
    assert r.ratios[Metric.SIGNED_PROJECTS] is None
    assert r.score == Decimal("1")  # only visits: 1 / (10 × 0.1)


def test_zero_weight_is_not_scored(comp, commerce):
    MetricWeight.objects.create(competition=comp, metric=Metric.VISIT_BATCHES, weight=0)
    quota(comp, commerce, visit_batches=10, signed_projects=1)
    make_visit(commerce, DAY10)
    r = row(compute_league(comp, as_of=DAY10), commerce)
    assert r.ratios[Metric.VISIT_BATCHES] is None
    assert r.score == 0  # only signed is scored, and nothing is signed
    assert r.yellow_card is True


def test_no_scored_metric_gives_score_zero_and_no_card(comp, commerce):
    quota(comp, commerce, visitors=50)  # visitors weigh 0 by default
    r = row(compute_league(comp, as_of=DAY10), commerce)
    assert r.scored is False and r.score == 0 and r.yellow_card is False


def test_ratio_is_capped(comp, commerce):
    comp.cap = Decimal("1.2")
    comp.save()
    quota(comp, commerce, visit_batches=10)
    for _ in range(5):
        make_visit(commerce, DAY10)
    r = row(compute_league(comp, as_of=DAY10), commerce)
    assert r.ratios[Metric.VISIT_BATCHES] == Decimal("1.2")


def test_weighted_score_by_hand(comp, commerce):
    quota(comp, commerce, visit_batches=10, signed_projects=2, funds_amount=1000)
    p = make_project(commerce)
    make_milestone(p, Stage.SIGNED, date(2026, 1, 5))
    make_receipt(p, date(2026, 1, 6), "50")
    r = row(compute_league(comp, as_of=DAY10), commerce)
    # visits 0/(10×.1)=0; signed 1/(2×.1)=5→1.5; funds 50/(1000×.1)=0.5
    # (10×0 + 20×1.5 + 15×0.5) / 45 = 37.5 / 45
    assert r.exact_score == Fraction(375, 450)
    assert r.yellow_card is False  # 0.8333 ≥ 0.70


def test_yellow_card_below_threshold(comp, commerce):
    quota(comp, commerce, visit_batches=10)
    comp.yellow_threshold = Decimal("0.5")
    comp.save()
    # Threshold 0.5 at f = 0.1 needs 0.5 visits: one visit (ratio 1) passes, none fails.
    assert row(compute_league(comp, as_of=DAY10), commerce).yellow_card is True
    make_visit(commerce, DAY10)
    assert row(compute_league(comp, as_of=DAY10), commerce).yellow_card is False


# --- which records count ----------------------------------------------------------------


def test_pending_and_returned_do_not_count_by_default(comp, commerce):
    quota(comp, commerce, signed_projects=1)
    make_milestone(make_project(commerce, "P1"), Stage.SIGNED, DAY10, status="pending")
    make_milestone(
        make_project(commerce, "P2"), Stage.SIGNED, DAY10, status="returned", return_reason="缺合同"
    )
    make_milestone(make_project(commerce, "P3"), Stage.SIGNED, DAY10, status="verified")
    r = row(compute_league(comp, as_of=DAY10), commerce)
    assert r.actuals[Metric.SIGNED_PROJECTS] == 1


def test_pending_counts_when_the_competition_says_so_returned_never(comp, commerce):
    comp.count_pending = True
    comp.save()
    quota(comp, commerce, signed_projects=1)
    make_milestone(make_project(commerce, "P1"), Stage.SIGNED, DAY10, status="pending")
    make_milestone(
        make_project(commerce, "P2"), Stage.SIGNED, DAY10, status="returned", return_reason="缺合同"
    )
    make_receipt(make_project(commerce, "P3"), DAY10, "10", status="pending")
    r = row(compute_league(comp, as_of=DAY10), commerce)
    assert r.actuals[Metric.SIGNED_PROJECTS] == 2  # P1, and P3 through its receipt
    assert r.actuals[Metric.FUNDS_AMOUNT] == Decimal("10")


def test_skipped_stage_counts_on_the_later_date(comp, commerce):
    quota(comp, commerce, intent_projects=1)
    p = make_project(commerce)
    make_milestone(p, Stage.SIGNED, date(2026, 1, 5))  # no intent recorded
    r = row(compute_league(comp, as_of=DAY10), commerce)
    assert r.actuals[Metric.INTENT_PROJECTS] == 1
    assert r.actuals[Metric.SIGNED_PROJECTS] == 1
    assert r.actuals[Metric.FUNDED_PROJECTS] == 0


def test_signed_before_window_groundbreaking_inside(comp, commerce):
    quota(comp, commerce, signed_projects=1, groundbreaking_projects=1)
    p = make_project(commerce)
    make_milestone(p, Stage.INTENT, date(2025, 11, 1))
    make_milestone(p, Stage.SIGNED, date(2025, 12, 1))
    make_milestone(p, Stage.GROUNDBREAKING, date(2026, 1, 8))
    r = row(compute_league(comp, as_of=DAY10), commerce)
    assert r.actuals[Metric.GROUNDBREAKING_PROJECTS] == 1
    assert r.actuals[Metric.SIGNED_PROJECTS] == 0
    assert r.actuals[Metric.INTENT_PROJECTS] == 0
    assert r.zero_result is True  # signed_projects is 0 in the window


def test_receipts_inside_and_outside_the_window(comp, commerce):
    quota(comp, commerce, funds_amount=100, funded_projects=1)
    early = make_project(commerce, "P1")
    make_milestone(early, Stage.SIGNED, date(2025, 12, 1))
    make_receipt(early, date(2025, 12, 20), "70")  # funded before the window
    make_receipt(early, date(2026, 1, 3), "30.5")  # a later tranche inside
    late = make_project(commerce, "P2")
    make_receipt(late, date(2026, 1, 9), "12.25")
    make_receipt(late, date(2026, 1, 11), "99")  # after the as-of date
    r = row(compute_league(comp, as_of=DAY10), commerce)
    assert r.actuals[Metric.FUNDS_AMOUNT] == Decimal("42.75")
    assert r.actuals[Metric.FUNDED_PROJECTS] == 1  # only P2 reached funded inside


def test_lost_project_keeps_stages_reached_before(comp, commerce):
    quota(comp, commerce, intent_projects=1, signed_projects=1)
    p = make_project(commerce)
    make_milestone(p, Stage.INTENT, date(2026, 1, 3))
    p.lost_on, p.lost_reason = date(2026, 1, 6), "客商转投外地"
    p.full_clean()
    p.save()
    r = row(compute_league(comp, as_of=DAY10), commerce)
    assert r.actuals[Metric.INTENT_PROJECTS] == 1
    assert r.actuals[Metric.SIGNED_PROJECTS] == 0


def test_visits_count_batches_and_persons_inside_the_window(comp, commerce, finance):
    quota(comp, commerce)
    quota(comp, finance)
    make_visit(commerce, date(2026, 1, 2), persons=3)
    make_visit(commerce, date(2026, 1, 9), persons=4)
    make_visit(commerce, date(2025, 12, 31), persons=9)
    make_visit(finance, date(2026, 1, 9), persons=2)
    league = compute_league(comp, as_of=DAY10)
    assert row(league, commerce).actuals[Metric.VISIT_BATCHES] == 2
    assert row(league, commerce).actuals[Metric.VISITORS] == 7
    assert league.totals[Metric.VISITORS] == 9


def test_records_count_for_every_competition_whose_window_holds_them(comp, commerce):
    year = Competition.objects.create(
        name="全年任务", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    quota(comp, commerce)
    quota(year, commerce)
    make_visit(commerce, DAY10)
    assert row(compute_league(comp, as_of=DAY10), commerce).actuals[Metric.VISIT_BATCHES] == 1
    assert row(compute_league(year, as_of=DAY10), commerce).actuals[Metric.VISIT_BATCHES] == 1


def test_departments_without_quota_are_not_listed_those_without_records_are(
    comp, commerce, finance
):
    quota(comp, finance)
    league = compute_league(comp, as_of=DAY10)
    assert [r.department_name for r in league.rows] == ["财政局"]


# --- ranks --------------------------------------------------------------------------------


@pytest.fixture
def four(comp, groups):
    """Four departments with equal targets; display order a < b < c < d."""
    depts = []
    for i, name in enumerate(["甲局", "乙局", "丙局", "丁局"], start=1):
        group = groups["economic"] if i <= 2 else (groups["party"] if i == 3 else None)
        d = Department.objects.create(name=name, order=i, group=group)
        quota(comp, d, visit_batches=10)
        depts.append(d)
    return depts


def ranks(comp):
    return [
        (r.department_name, r.rank, r.group_rank) for r in compute_league(comp, as_of=DAY10).rows
    ]


def test_rank_by_score_then_display_order(comp, four):
    a, b, c, d = four
    make_visit(d, DAY10)  # only 丁局 has a score
    assert ranks(comp) == [("丁局", 1, None), ("甲局", 2, 1), ("乙局", 3, 2), ("丙局", 4, 1)]


def test_tie_on_score_broken_by_funds_amount(comp, four):
    a, b, c, d = four
    make_receipt(make_project(b, "B1"), DAY10, "5")  # funds not scored: no target
    assert [r[0] for r in ranks(comp)][:2] == ["乙局", "甲局"]


def test_tie_on_score_and_funds_broken_by_signed(comp, four):
    a, b, c, d = four
    make_milestone(make_project(c, "C1"), Stage.SIGNED, DAY10)
    assert [r[0] for r in ranks(comp)][:2] == ["丙局", "甲局"]


def test_tie_everywhere_broken_by_display_order_no_shared_rank(comp, four):
    assert [r[1] for r in ranks(comp)] == [1, 2, 3, 4]
    assert [r[0] for r in ranks(comp)] == ["甲局", "乙局", "丙局", "丁局"]


def test_unrounded_score_decides(comp, commerce, finance):
    """Scores equal to four decimals still rank by the exact value, before funds decide."""
    quota(comp, commerce, funds_amount=100000)
    quota(comp, finance, funds_amount=200000)
    make_receipt(make_project(commerce, "X"), END, "70000.01")  # ratio 0.7000001
    make_receipt(make_project(finance, "Y"), END, "140000.01")  # ratio 0.70000005, more funds
    league = compute_league(comp, as_of=END)
    assert [r.department_name for r in league.rows] == ["商务局", "财政局"]
    assert league.rows[0].score.quantize(Decimal("0.0001")) == Decimal("0.7000")


def test_group_ranks(comp, four):
    a, b, c, d = four
    make_visit(b, DAY10)
    result = {name: (rank, group_rank) for name, rank, group_rank in ranks(comp)}
    assert result["乙局"] == (1, 1)
    assert result["甲局"][1] == 2
    assert result["丙局"][1] == 1  # alone in its group
    assert result["丁局"][1] is None  # no group, no group rank


# --- traceability and cost -----------------------------------------------------------------


def test_counted_projects_are_the_records_behind_the_figure(comp, commerce):
    quota(comp, commerce, intent_projects=1)
    p1 = make_project(commerce, "P1")
    make_milestone(p1, Stage.SIGNED, date(2026, 1, 5))
    p2 = make_project(commerce, "P2")
    make_milestone(p2, Stage.INTENT, date(2025, 12, 5))
    figure = row(compute_league(comp, as_of=DAY10), commerce).actuals[Metric.INTENT_PROJECTS]
    behind = counted_projects(
        comp, department_id=commerce.id, metric=Metric.INTENT_PROJECTS, as_of=DAY10
    )
    assert figure == behind.count() == 1
    assert list(behind) == [p1]


def _populate(comp, n_departments, n_projects):
    departments = []
    for i in range(n_departments):
        d = Department.objects.create(name=f"部门{n_departments}-{i}", order=i)
        quota(comp, d, visit_batches=5, signed_projects=2, funds_amount=100)
        departments.append(d)
    for i in range(n_projects):
        d = departments[i % n_departments]
        p = make_project(d, f"Q{n_departments}-{i}")
        make_milestone(p, Stage.INTENT, date(2026, 1, 2))
        make_milestone(p, Stage.SIGNED, date(2026, 1, 3))
        make_receipt(p, date(2026, 1, 4), "10")
        make_visit(d, date(2026, 1, 5))


def test_query_count_is_constant(comp):
    _populate(comp, 2, 10)
    with CaptureQueriesContext(connection) as small:
        compute_league(comp, as_of=DAY10)
    _populate(comp, 20, 200)
    with CaptureQueriesContext(connection) as large:
        league = compute_league(comp, as_of=DAY10)
    # quotas, weights, visits, milestone and receipt figures (stage counts and funds)
    assert len(small) == len(large) == 4
    assert len(league.rows) == 22


# --- property: more counted records never lower a score ------------------------------------

RECORD_KINDS = st.sampled_from(["visit", "receipt", "intent", "signed", "groundbreaking"])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    base=st.lists(st.tuples(RECORD_KINDS, st.integers(0, 30)), max_size=8),
    extra=st.tuples(RECORD_KINDS, st.integers(5, 45)),  # dated on or after the start
    as_of_day=st.integers(0, 40),
)
def test_adding_a_counted_record_never_lowers_the_score(comp, commerce, base, extra, as_of_day):
    """A record dated inside the window never lowers a score.

    (One dated before the window can: it moves a project's stage date out of the
    window, which is DOMAIN.md's rule — "signed before the window … not as signed".)
    """
    from django.core.exceptions import ValidationError
    from django.db import transaction

    as_of = START + timedelta(days=as_of_day)
    with transaction.atomic():
        quota(
            comp,
            commerce,
            visit_batches=3,
            intent_projects=2,
            signed_projects=2,
            funded_projects=1,
            funds_amount=500,
            groundbreaking_projects=1,
        )
        project = make_project(commerce, "H")
        serial = iter(range(100))

        def add(kind, day):
            on = START - timedelta(days=5) + timedelta(days=day)
            if kind == "visit":
                make_visit(commerce, on)
            elif kind == "receipt":
                make_receipt(project, on, "40")
            else:
                stage = {"intent": Stage.INTENT, "signed": Stage.SIGNED}.get(
                    kind, Stage.GROUNDBREAKING
                )
                make_milestone(make_project(commerce, f"H{next(serial)}"), stage, on)

        for kind, day in base:
            try:
                with transaction.atomic():
                    add(kind, day)
            except ValidationError:
                pass  # refused input is simply not there
        before = row(compute_league(comp, as_of=as_of), commerce).exact_score
        try:
            with transaction.atomic():
                add(*extra)
        except ValidationError:
            pass
        after = row(compute_league(comp, as_of=as_of), commerce).exact_score
        assert after >= before
        transaction.set_rollback(True)


def test_a_record_before_the_window_can_move_a_stage_out_of_it(comp, commerce):
    """The counter-example the property above excludes, pinned down as the rule says."""
    quota(comp, commerce, signed_projects=1)
    p = make_project(commerce)
    make_receipt(p, START, "10")
    assert row(compute_league(comp, as_of=START), commerce).actuals[Metric.SIGNED_PROJECTS] == 1
    make_receipt(p, START - timedelta(days=5), "10")
    assert row(compute_league(comp, as_of=START), commerce).actuals[Metric.SIGNED_PROJECTS] == 0
