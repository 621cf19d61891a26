"""Required pace (还需 / 日均) and the yellow-line plan, held to the scoring contract.

The competition runs 2026-01-01..2026-04-10 (100 days). As of 2026-01-10 (day 10) next
week's bulletin is 2026-01-17 (day 17, f' = 17/100).
"""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competition.models import METRICS, Competition, Metric, MetricWeight, Quota
from competition.scoring import compute_league, window_for
from competition.scoring.pace import (
    department_pace,
    next_bulletin_date,
    yellow_line_plan,
)
from projects.models import Stage
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

START, END = date(2026, 1, 1), date(2026, 4, 10)
DAY10 = date(2026, 1, 10)
DAY17 = date(2026, 1, 17)

_codes = count(1)


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


def pace_of(comp, department, as_of):
    league = compute_league(comp, as_of=as_of)
    return department_pace(row(league, department), league=league, weights=comp.weights())


def add_results(department, metric: str, amount: Decimal, on: date):
    """Records that add `amount` to `metric` as the rule counts it (each a new project)."""
    if metric == Metric.VISIT_BATCHES:
        for _ in range(int(amount)):
            make_visit(department, on)
        return
    if metric == Metric.FUNDS_AMOUNT:
        make_receipt(make_project(department, f"F{next(_codes)}"), on, str(amount))
        return
    stage = {
        Metric.INTENT_PROJECTS: Stage.INTENT,
        Metric.SIGNED_PROJECTS: Stage.SIGNED,
        Metric.FUNDED_PROJECTS: None,
        Metric.GROUNDBREAKING_PROJECTS: Stage.GROUNDBREAKING,
    }[metric]
    for _ in range(int(amount)):
        project = make_project(department, f"N{next(_codes)}")
        if stage is None:
            make_receipt(project, on, "0.01")
        else:
            make_milestone(project, stage, on)


# --- 还需 / 日均 -----------------------------------------------------------------------------


def test_remaining_and_daily_paces(comp, commerce):
    quota(comp, commerce, visit_batches=30, signed_projects=4, funds_amount=1000)
    for _ in range(5):
        make_visit(commerce, date(2026, 1, 3))
    make_receipt(make_project(commerce), date(2026, 1, 4), "100")
    paces = {p.metric: p for p in pace_of(comp, commerce, DAY10).metrics}
    # Only metrics with a target are shown; funded_projects etc. have none here.
    assert set(paces) == {Metric.VISIT_BATCHES, Metric.SIGNED_PROJECTS, Metric.FUNDS_AMOUNT}
    visits = paces[Metric.VISIT_BATCHES]
    assert visits.remaining == 25 and visits.days_left == 90
    assert visits.required_daily == Decimal("0.28")  # 25 / 90
    assert visits.daily_so_far == Decimal("0.50")  # 5 / 10
    assert visits.on_pace is True
    funds = paces[Metric.FUNDS_AMOUNT]
    assert funds.is_money and funds.remaining == Decimal(900)
    assert funds.required_daily == Decimal("10.00") and funds.daily_so_far == Decimal("10.00")
    signed = paces[Metric.SIGNED_PROJECTS]
    # The receipt's project reached "signed" through its receipt (stage rule): 1 of 4.
    assert signed.actual == 1 and signed.remaining == 3


def test_target_met_needs_nothing_more(comp, commerce):
    quota(comp, commerce, visit_batches=2)
    for _ in range(3):
        make_visit(commerce, DAY10)
    (visits,) = pace_of(comp, commerce, DAY10).metrics
    assert visits.remaining == 0 and visits.required_daily == Decimal("0.00")
    assert visits.on_pace


def test_paces_before_the_window_and_after_it(comp, commerce):
    quota(comp, commerce, visit_batches=50)
    before = pace_of(comp, commerce, START - timedelta(days=3))
    (visits,) = before.metrics
    assert visits.daily_so_far is None  # nothing elapsed
    assert visits.days_left == 100 and visits.required_daily == Decimal("0.50")
    after = pace_of(comp, commerce, END + timedelta(days=5))
    (visits,) = after.metrics
    assert visits.days_left == 0 and visits.required_daily is None
    assert after.over and after.plan is None  # nothing can count any more


def test_last_day_plans_for_that_day(comp, commerce):
    quota(comp, commerce, visit_batches=10)
    assert next_bulletin_date(comp, as_of=END) == END
    assert next_bulletin_date(comp, as_of=END - timedelta(days=3)) == END
    plan = pace_of(comp, commerce, END).plan
    assert plan.by == END and plan.additions[0].amount == 7  # 0.7 × 10


# --- the yellow-line plan ---------------------------------------------------------------


def test_department_above_the_line_next_week_needs_nothing(comp, commerce):
    quota(comp, commerce, visit_batches=10)
    for _ in range(2):
        make_visit(commerce, DAY10)  # 2 / (10 × 0.17) ≥ 0.7
    plan = pace_of(comp, commerce, DAY10).plan
    assert plan.by == DAY17
    assert not plan.needed and plan.additions == [] and plan.reachable


def test_above_today_may_fall_below_next_week(comp, commerce):
    quota(comp, commerce, visit_batches=10)
    make_visit(commerce, DAY10)  # today 1 / 1.0 = 1.0; next week 1 / 1.7 < 0.7
    league = compute_league(comp, as_of=DAY10)
    assert not row(league, commerce).yellow_card
    plan = pace_of(comp, commerce, DAY10).plan
    assert plan.needed
    assert [(a.metric, a.amount) for a in plan.additions] == [(Metric.VISIT_BATCHES, 1)]


def test_plan_picks_the_largest_gain_per_result(comp, commerce):
    # Gains per unit at f' = 0.17 (Σw = 10 + 20 = 30): a visit 10/(20×.17×30),
    # a signing 20/(2×.17×30): the signing is worth 20 visits.
    quota(comp, commerce, visit_batches=20, signed_projects=2)
    plan = pace_of(comp, commerce, DAY10).plan
    assert plan.needed and plan.reachable
    assert [(a.metric, a.amount) for a in plan.additions] == [(Metric.SIGNED_PROJECTS, 1)]
    assert plan.results == 1


def test_the_unit_that_reaches_the_cap_is_weighed_at_what_it_adds(comp, commerce):
    # Cap 1.0, threshold 0.7, f' = 0.17. Metric A (intent, w 15, T 10): one intent adds
    # 15/(1.7 × 35) ≈ 0.252 up to its cap 15/35 ≈ 0.4286, so its 2nd unit adds ≈ 0.176.
    # Metric B (visits, w 20, T 10): one visit adds 20/(1.7 × 35) ≈ 0.336.
    # Gap 0.7: the best two units are A + B (0.588 < 0.7), three: A + B + B (0.924).
    comp.cap = Decimal("1.0")
    comp.save()
    MetricWeight.objects.create(competition=comp, metric=Metric.VISIT_BATCHES, weight=20)
    quota(comp, commerce, intent_projects=10, visit_batches=10)
    plan = pace_of(comp, commerce, DAY10).plan
    assert plan.results == 3
    added = {a.metric: a.amount for a in plan.additions}
    assert added == {Metric.VISIT_BATCHES: 2, Metric.INTENT_PROJECTS: 1}
    assert plan.score_then >= Fraction(7, 10)


def test_caps_are_respected_and_money_comes_last(comp, commerce):
    # Visits alone reach at most cap 1.5 × 10/25 = 0.6 < 0.7: funds fill the rest.
    quota(comp, commerce, visit_batches=10, funds_amount=1000)
    plan = pace_of(comp, commerce, DAY10).plan
    added = {a.metric: a.amount for a in plan.additions}
    # Visits to the cap: 1.5 × 10 × 0.17 = 2.55, so 3 visits (the 3rd reaches the cap).
    assert added[Metric.VISIT_BATCHES] == 3
    # The rest, 0.1 of the score, is 0.1 × 25/15 of funds' timeline: × 1000 × 0.17.
    assert added[Metric.FUNDS_AMOUNT] == Decimal("28.34")  # 28.333… rounded up
    assert plan.reachable and plan.score_then >= Fraction(7, 10)
    # Money alone: 0.7 × 25/15 × 170 = 198.33… 万元.
    assert plan.funds_alone == Decimal("198.34")


def test_unreachable_when_the_cap_is_below_the_line(comp, commerce):
    comp.cap = Decimal("0.5")
    comp.save()
    quota(comp, commerce, visit_batches=10)
    plan = pace_of(comp, commerce, DAY10).plan
    assert plan.needed and not plan.reachable
    assert [(a.metric, a.amount) for a in plan.additions] == [(Metric.VISIT_BATCHES, 1)]


def test_zero_targets_are_ignored(comp, commerce):
    quota(comp, commerce, visit_batches=10, signed_projects=0)
    plan = pace_of(comp, commerce, DAY10).plan
    assert {a.metric for a in plan.additions} == {Metric.VISIT_BATCHES}


def test_nothing_scored_means_no_plan(comp, commerce):
    quota(comp, commerce, visitors=50)  # weighs 0
    assert pace_of(comp, commerce, DAY10).plan is None
    # Before the window: a week ahead is still before the start, nothing to plan.
    quota_only = pace_of(comp, commerce, START - timedelta(days=10))
    assert quota_only.plan is None


def test_plan_before_the_window_looks_at_its_first_week(comp, commerce):
    quota(comp, commerce, visit_batches=100)
    as_of = START - timedelta(days=3)  # next week = 2026-01-05, day 5: f' = 0.05
    plan = pace_of(comp, commerce, as_of).plan
    assert plan.by == as_of + timedelta(days=7)
    # 0.7 × 100 × 0.05 = 3.5 visits: 4.
    assert [(a.metric, a.amount) for a in plan.additions] == [(Metric.VISIT_BATCHES, 4)]


def _apply_and_check(comp, commerce, plan):
    """Record what the plan says, dated today, and score as of the plan's date."""
    for addition in plan.additions:
        add_results(commerce, addition.metric, addition.amount, DAY10)
    league = compute_league(comp, as_of=plan.by)
    return row(league, commerce)


def test_following_the_plan_clears_the_line_in_the_league(comp, commerce):
    quota(
        comp, commerce, visit_batches=30, intent_projects=8, signed_projects=5,
        funded_projects=3, funds_amount=5000, groundbreaking_projects=2,
    )  # fmt: skip
    make_visit(commerce, date(2026, 1, 2))
    make_milestone(make_project(commerce, "P1"), Stage.INTENT, date(2026, 1, 5))
    plan = pace_of(comp, commerce, DAY10).plan
    assert plan.needed and plan.reachable and plan.results > 0
    result = _apply_and_check(comp, commerce, plan)
    assert result.exact_score >= Fraction(comp.yellow_threshold)
    assert not result.yellow_card


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    targets=st.fixed_dictionaries(
        {m: st.integers(min_value=0, max_value=12) for m in METRICS if m != Metric.VISITORS}
    ),
    cap=st.sampled_from([Decimal("1"), Decimal("1.2"), Decimal("1.5")]),
    threshold=st.sampled_from([Decimal("0.5"), Decimal("0.7"), Decimal("0.9")]),
    day=st.integers(min_value=1, max_value=99),
)
def test_plan_is_enough_and_minimal(targets, cap, threshold, day):
    """Pure: the plan reaches the line, and one result fewer of any kind does not."""
    comp = Competition(
        name="x", start_date=START, end_date=END, cap=cap, yellow_threshold=threshold
    )
    targets = {m: Decimal(targets.get(m, 0)) for m in METRICS}
    targets[Metric.FUNDS_AMOUNT] *= 100
    weights = {m: Decimal(w) for m, w in comp_weights().items()}
    actuals = {m: Decimal(0) for m in METRICS}
    by = START + timedelta(days=day - 1)
    window = window_for(comp, as_of=by)
    plan = yellow_line_plan(
        actuals=actuals, targets=targets, weights=weights, cap=cap, threshold=threshold,
        window=window, by=by,
    )  # fmt: skip
    if plan is None:
        assert all(targets[m] == 0 or weights[m] == 0 for m in METRICS)
        return
    assert plan.reachable == (cap >= threshold)
    if not plan.reachable:
        return
    assert plan.score_then >= Fraction(threshold)
    # Minimal: n - 1 count results (and the plan's money) cannot reach the line.
    money = {a.metric: a.amount for a in plan.additions if a.is_money}
    if plan.results:
        assert not _reachable_with(
            plan.results - 1, targets, weights, cap, threshold, window, money
        )


def comp_weights():
    from competition.models import DEFAULT_WEIGHTS

    return DEFAULT_WEIGHTS


def _reachable_with(n, targets, weights, cap, threshold, window, money):
    """Whether some n count results (and `money`) reach the line: every split of n among
    the count metrics, by dynamic programming over the metrics (the score is a sum)."""
    from competition.scoring import score_department

    def one(metric, amount):
        actuals = {m: Decimal(0) for m in METRICS}
        actuals[metric] = Decimal(amount)
        only = {m: (targets[m] if m == metric else Decimal(0)) for m in METRICS}
        score, _r, scored = score_department(
            actuals=actuals, targets=only, weights=weights, window=window, cap=cap
        )
        return score * Fraction(weights[metric]) if scored else Fraction(0)

    scored = [m for m in METRICS if targets[m] > 0 and weights[m] > 0]
    weight_sum = sum(Fraction(weights[m]) for m in scored)
    counts = [m for m in scored if m != Metric.FUNDS_AMOUNT]
    fixed = sum((one(m, money.get(m, 0)) for m in scored if m == Metric.FUNDS_AMOUNT), Fraction(0))
    best = [Fraction(0)] * (n + 1)  # best[k]: Σ w·ratio with k results so far
    for m in counts:
        best = [max(best[k - j] + one(m, j) for j in range(k + 1)) for k in range(n + 1)]
    return (best[n] + fixed) / weight_sum >= Fraction(threshold)
