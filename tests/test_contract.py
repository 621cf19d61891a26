"""The scoring contract of DOMAIN.md ("The scoring rule"), clause by clause.

Every clause of the rule has at least one test here that fails when the clause is
changed. The league is computed directly with `compute_league`; the records are made
with the ORM, so nothing here depends on snapshots, stored leagues, signals or
recomputes.

The competition runs 2025-03-01..2025-06-08: 100 days, so on day N f = N/100
(2025-03-10 is day 10, f = 1/10; 2025-03-25 is day 25, f = 1/4).

Mutations this file was checked against (each applied alone to the rule in
competition/scoring/rule.py, this file run, the rule restored), and a test that caught it:

yellow card and zero-result flag
  - `score < yellow_threshold` -> `<=`
      test_a_score_exactly_on_the_yellow_line_gets_no_card
  - threshold fixed at 0.70
      test_the_yellow_threshold_is_a_competition_setting
  - card although nothing is scored
      test_nothing_scored_means_score_zero_and_no_card
  - flag before the window
      test_before_the_window_nothing_is_scored_and_no_card_or_flag_is_given
  - flag on intent_projects / on score 0
      test_zero_result_flag_is_about_signed_projects_only
ranks
  - no funds_amount tie-breaker
      test_equal_scores_are_ranked_by_funds_amount_before_signed_projects
  - signed before funds
      test_equal_scores_are_ranked_by_funds_amount_before_signed_projects
  - no signed_projects tie-breaker
      test_equal_scores_and_funds_are_ranked_by_signed_projects
  - rounded (12-place) score instead of exact
      test_rank_uses_the_unrounded_score
  - no display-order tie-breaker (name decides)
      test_a_full_tie_is_broken_by_display_order_not_by_name
  - tied departments share a rank
      test_ranks_are_unique_even_for_identical_departments
  - group rank counted league-wide / given to a department without group / by display order
      test_group_ranks_follow_the_same_order_and_skip_departments_without_group
  - departments without records dropped from the league
      test_every_participating_department_is_listed_even_without_records
window
  - elapsed without the +1
      test_elapsed_and_f_are_clamped_to_the_window[first-day]
  - days = end - start (no +1)
      test_elapsed_and_f_are_clamped_to_the_window
  - elapsed not clamped to days / to 0
      test_elapsed_and_f_are_clamped_to_the_window[after-end], [ten-days-before]
  - window end = as-of date after the end
      test_the_window_is_inclusive_at_both_ends[after-the-end-*]
  - visits `>= start` -> `>` / `<= end` -> `<`
      test_the_window_is_inclusive_at_both_ends[*-visit]
  - milestones/receipts `<= end` -> `<`
      test_the_window_is_inclusive_at_both_ends[*-milestone], [*-receipt]
  - stage reached `>= start` -> `>`
      test_the_window_is_inclusive_at_both_ends[*-milestone]
  - funds `>= start` -> `>`
      test_the_window_is_inclusive_at_both_ends[*-receipt]
  - funds summed over receipts before the window
      test_funds_amount_sums_the_tranches_inside_the_window
  - visits dated by created_at
      test_the_date_that_counts_is_when_it_happened_not_when_it_was_typed_in
  - milestones/receipts dated by created_at
      test_the_date_that_counts_is_when_it_happened_not_when_it_was_typed_in
records and stages
  - pending always counted / count_pending ignored / returned counted
      test_only_verified_records_count_by_default
      test_count_pending_counts_pending_records_but_never_returned_ones
  - the same for visits (status ignored in tally_records or counted_visits)
      test_only_verified_visits_count_by_default
      test_count_pending_counts_pending_visits_but_never_returned_ones
  - lost projects dropped / the record on the loss day dropped / records after the loss
      test_a_lost_project_keeps_the_stages_it_reached_before_the_loss
  - stage reached by its own records only
      test_signed_without_intent_counts_as_intent_on_its_signing_date
  - latest instead of earliest date
      test_signed_before_the_window_and_groundbreaking_inside_counts_only_groundbreaking
  - receipts do not reach stages
      test_a_receipt_reaches_funded_and_every_earlier_stage_on_its_date
  - visit batches and visitors swapped
      test_visit_batches_count_receptions_and_visitors_count_persons
ratio and score
  - ratio = actual / T (no f)
      test_timeline_ratio_is_actual_over_target_times_f
  - no cap / default cap 1.4
      test_the_ratio_is_capped_at_one_and_a_half_by_default
  - competition cap ignored
      test_the_cap_is_a_competition_setting
  - weight 0 still scored
      test_visitors_are_reported_but_not_scored
      test_a_weight_of_zero_removes_a_metric
  - unset weight counted as 1
      test_visitors_are_reported_but_not_scored
  - competition weights ignored
      test_the_competition_weights_override_the_defaults
  - unweighted mean of the ratios
      test_default_weights
      test_score_is_the_weighted_mean_of_the_capped_ratios
  - nothing scored reported as scored
      test_nothing_scored_means_score_zero_and_no_card
  - scoring before the window
      test_before_the_window_nothing_is_scored_and_no_card_or_flag_is_given

(The refusal of stage dates that go backwards lives in projects.rules, not in the rule of
competition/scoring: test_stage_dates_that_go_backwards_are_refused pins it through
Milestone/Receipt.full_clean() but was not mutation-checked here.)
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import count

import pytest
from django.core.exceptions import ValidationError

from competition.models import Competition, Metric, MetricWeight, Quota
from competition.scoring import compute_league, counted_projects, counted_receipts, counted_visits
from departments.models import Department, DepartmentGroup
from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage, Visit

pytestmark = pytest.mark.django_db

START, END = date(2025, 3, 1), date(2025, 6, 8)  # 100 days
DAY10 = date(2025, 3, 10)  # f = 1/10
DAY25 = date(2025, 3, 25)  # f = 1/4
BEFORE = date(2025, 2, 1)  # before the window
ONE_DAY = timedelta(days=1)

VERIFIED, PENDING, RETURNED = ReviewStatus.VERIFIED, ReviewStatus.PENDING, ReviewStatus.RETURNED
STAGE_METRICS = [
    Metric.INTENT_PROJECTS,
    Metric.SIGNED_PROJECTS,
    Metric.FUNDED_PROJECTS,
    Metric.GROUNDBREAKING_PROJECTS,
]


# --- builders -------------------------------------------------------------------------------

_codes = count(1)


def competition(name="百日竞赛", *, start=START, end=END, **settings):
    return Competition.objects.create(name=name, start_date=start, end_date=end, **settings)


def department(name, *, order=0, group=None):
    return Department.objects.create(name=name, order=order, group=group)


def takes_part(comp, dept, **targets):
    """`dept` takes part in `comp` with these targets (every other target 0)."""
    return Quota.objects.create(competition=comp, department=dept, **targets)


def weigh(comp, metric, weight):
    return MetricWeight.objects.create(competition=comp, metric=metric, weight=Decimal(weight))


def project(dept, *, lost_on=None):
    n = next(_codes)
    return Project.objects.create(
        code=f"K{n:04d}",
        name=f"项目{n}",
        department=dept,
        lost_on=lost_on,
        lost_reason="客商转投外地" if lost_on else "",
    )


def milestone(proj, stage, on, status=VERIFIED):
    reason = "缺少佐证" if status == RETURNED else ""
    return Milestone.objects.create(
        project=proj, stage=stage, occurred_on=on, status=status, return_reason=reason
    )


def receipt(proj, on, amount="10", status=VERIFIED):
    reason = "缺少到账凭证" if status == RETURNED else ""
    return Receipt.objects.create(
        project=proj, occurred_on=on, amount=Decimal(amount), status=status, return_reason=reason
    )


def visit(dept, on, persons=1, status=VERIFIED):
    reason = "接待单不清" if status == RETURNED else ""
    return Visit.objects.create(
        department=dept,
        occurred_on=on,
        persons=persons,
        investor_org="客商",
        status=status,
        return_reason=reason,
    )


def signed_project(dept, on, status=VERIFIED):
    proj = project(dept)
    milestone(proj, Stage.SIGNED, on, status)
    return proj


def typed_in_on(record, day):
    """Pretend `record` was typed in on `day` (created_at is set on insert)."""
    stamp = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    type(record).objects.filter(pk=record.pk).update(created_at=stamp)


def row(comp, dept, as_of):
    league = compute_league(comp, as_of=as_of)
    return next(r for r in league.rows if r.department_id == dept.id)


def names_in_rank_order(comp, as_of):
    return [r.department_name for r in compute_league(comp, as_of=as_of).rows]


@pytest.fixture
def comp():
    return competition()


@pytest.fixture
def commerce():
    return department("商务局", order=1)


@pytest.fixture
def finance():
    return department("财政局", order=2)


# --- the window: elapsed, f and [start, min(d, end)] -----------------------------------------


@pytest.mark.parametrize(
    ("as_of", "elapsed", "last_counted_day"),
    [
        (START - timedelta(days=10), 0, None),
        (START - ONE_DAY, 0, None),
        (START, 1, START),
        (DAY10, 10, DAY10),
        (END - ONE_DAY, 99, END - ONE_DAY),
        (END, 100, END),
        (END + timedelta(days=30), 100, END),
    ],
    ids=["ten-days-before", "day-before", "first-day", "day-10", "day-99", "last-day", "after-end"],
)
def test_elapsed_and_f_are_clamped_to_the_window(comp, commerce, as_of, elapsed, last_counted_day):
    takes_part(comp, commerce, visit_batches=100)
    league = compute_league(comp, as_of=as_of)
    assert league.window.days == 100
    assert league.window.elapsed == elapsed
    assert league.window.fraction == Fraction(elapsed, 100)
    assert league.window.start == START
    if last_counted_day is not None:
        assert league.window.end == last_counted_day


@pytest.mark.parametrize(
    ("as_of", "visit_days", "ratio"),
    [
        # first day: f = 1/100, so one visit against 100 is exactly on time
        (START, [START], Decimal(1)),
        (DAY10, [START, DAY10], Decimal("0.2")),  # 2 / (100 × 10/100)
        (END, [START, END], Decimal("0.02")),  # f = 1 on the last day
        # after the end f stays 1 and the visit after the end does not count
        (END + timedelta(days=30), [START, END, END + ONE_DAY], Decimal("0.02")),
    ],
    ids=["first-day", "day-10", "last-day", "after-end"],
)
def test_timeline_ratio_uses_f_of_the_as_of_date(comp, commerce, as_of, visit_days, ratio):
    takes_part(comp, commerce, visit_batches=100)
    for day in visit_days:
        visit(commerce, day)
    r = row(comp, commerce, as_of)
    assert r.ratios[Metric.VISIT_BATCHES] == ratio
    assert r.exact_score == Fraction(ratio)


def _record_on(kind, dept, day, weight):
    """One record of `kind` dated `day`; `weight` (1, 2, 4, 8) tells which ones counted."""
    if kind == "visit":
        visit(dept, day, persons=weight)
    elif kind == "receipt":
        receipt(project(dept), day, amount=str(weight))
    else:
        signed_project(dept, day)


@pytest.mark.parametrize("kind", ["visit", "receipt", "milestone"])
@pytest.mark.parametrize(
    ("as_of", "last_day"),
    [(DAY10, DAY10), (END + timedelta(days=10), END)],
    ids=["inside", "after-the-end"],
)
def test_the_window_is_inclusive_at_both_ends(comp, commerce, kind, as_of, last_day):
    """Records on the first and the last counted day count; the days around them do not."""
    takes_part(comp, commerce, visit_batches=1)
    days = [START - ONE_DAY, START, last_day, last_day + ONE_DAY]
    for day, weight in zip(days, [1, 2, 4, 8], strict=True):
        _record_on(kind, commerce, day, weight)
    actuals = row(comp, commerce, as_of).actuals
    if kind == "visit":
        assert actuals[Metric.VISIT_BATCHES] == 2
        assert actuals[Metric.VISITORS] == 2 + 4
    elif kind == "receipt":
        assert actuals[Metric.FUNDED_PROJECTS] == 2
        assert actuals[Metric.FUNDS_AMOUNT] == 2 + 4
    else:
        assert actuals[Metric.SIGNED_PROJECTS] == 2
        assert actuals[Metric.INTENT_PROJECTS] == 2


# --- which records count ---------------------------------------------------------------------


def test_only_verified_records_count_by_default(comp, commerce):
    takes_part(comp, commerce, signed_projects=1)
    for status in (VERIFIED, PENDING, RETURNED):
        signed_project(commerce, DAY10, status)
        receipt(
            project(commerce), DAY10, {VERIFIED: "1", PENDING: "2", RETURNED: "4"}[status], status
        )
    actuals = row(comp, commerce, DAY10).actuals
    assert actuals[Metric.SIGNED_PROJECTS] == 2  # the verified milestone and receipt
    assert actuals[Metric.FUNDED_PROJECTS] == 1
    assert actuals[Metric.FUNDS_AMOUNT] == 1


def test_count_pending_counts_pending_records_but_never_returned_ones(commerce):
    lenient = competition("全年任务", count_pending=True)
    strict = competition("百日竞赛")
    takes_part(lenient, commerce, signed_projects=1)
    takes_part(strict, commerce, signed_projects=1)
    for status in (VERIFIED, PENDING, RETURNED):
        signed_project(commerce, DAY10, status)
        receipt(
            project(commerce), DAY10, {VERIFIED: "1", PENDING: "2", RETURNED: "4"}[status], status
        )
    lenient_row = row(lenient, commerce, DAY10).actuals
    assert lenient_row[Metric.SIGNED_PROJECTS] == 4
    assert lenient_row[Metric.FUNDED_PROJECTS] == 2
    assert lenient_row[Metric.FUNDS_AMOUNT] == 1 + 2
    strict_row = row(strict, commerce, DAY10).actuals  # the same records, the setting off
    assert strict_row[Metric.SIGNED_PROJECTS] == 2
    assert strict_row[Metric.FUNDS_AMOUNT] == 1


def test_only_verified_visits_count_by_default(comp, commerce):
    takes_part(comp, commerce, visit_batches=1)
    for status, persons in ((VERIFIED, 1), (PENDING, 2), (RETURNED, 4)):
        visit(commerce, DAY10, persons=persons, status=status)
    actuals = row(comp, commerce, DAY10).actuals
    assert actuals[Metric.VISIT_BATCHES] == 1  # the verified visit only
    assert actuals[Metric.VISITORS] == 1
    counted = counted_visits(comp, department_id=commerce.id, as_of=DAY10)
    assert [v.status for v in counted] == [VERIFIED]


def test_count_pending_counts_pending_visits_but_never_returned_ones(commerce):
    lenient = competition("全年任务", count_pending=True)
    strict = competition("百日竞赛")
    takes_part(lenient, commerce, visit_batches=1)
    takes_part(strict, commerce, visit_batches=1)
    for status, persons in ((VERIFIED, 1), (PENDING, 2), (RETURNED, 4)):
        visit(commerce, DAY10, persons=persons, status=status)
    lenient_row = row(lenient, commerce, DAY10).actuals
    assert lenient_row[Metric.VISIT_BATCHES] == 2
    assert lenient_row[Metric.VISITORS] == 1 + 2
    counted = counted_visits(lenient, department_id=commerce.id, as_of=DAY10)
    assert sorted(v.persons for v in counted) == [1, 2]
    strict_row = row(strict, commerce, DAY10).actuals  # the same visits, the setting off
    assert strict_row[Metric.VISIT_BATCHES] == 1
    assert strict_row[Metric.VISITORS] == 1


def test_the_date_that_counts_is_when_it_happened_not_when_it_was_typed_in(comp, commerce):
    takes_part(comp, commerce, visit_batches=1)
    # Happened inside the window, typed in months later: counts.
    typed_in_on(visit(commerce, DAY10, persons=1), date(2025, 9, 1))
    typed_in_on(receipt(project(commerce), DAY10, "1"), date(2025, 9, 1))
    typed_in_on(milestone(project(commerce), Stage.GROUNDBREAKING, DAY10), date(2025, 9, 1))
    # Happened before the window, typed in inside it: does not count.
    typed_in_on(visit(commerce, BEFORE, persons=2), DAY10)
    typed_in_on(receipt(project(commerce), BEFORE, "2"), DAY10)
    typed_in_on(milestone(project(commerce), Stage.GROUNDBREAKING, BEFORE), DAY10)
    actuals = row(comp, commerce, DAY10).actuals
    assert actuals[Metric.VISIT_BATCHES] == 1
    assert actuals[Metric.VISITORS] == 1
    assert actuals[Metric.FUNDS_AMOUNT] == 1
    assert actuals[Metric.GROUNDBREAKING_PROJECTS] == 1


def test_a_record_counts_in_every_competition_whose_window_holds_it(commerce):
    hundred_days = competition("百日竞赛")
    whole_year = competition("全年任务", start=date(2025, 1, 1), end=date(2025, 12, 31))
    autumn = competition("秋季竞赛", start=date(2025, 9, 1), end=date(2025, 12, 9))
    for comp in (hundred_days, whole_year, autumn):
        takes_part(comp, commerce, visit_batches=1)
    for day in (BEFORE, DAY10):  # BEFORE: in the whole year only
        visit(commerce, day)
        receipt(project(commerce), day, "5")
        milestone(project(commerce), Stage.INTENT, day)
    as_of = date(2025, 12, 31)
    expected = {hundred_days: 1, whole_year: 2, autumn: 0}
    for comp, n in expected.items():
        actuals = row(comp, commerce, as_of).actuals
        assert actuals[Metric.VISIT_BATCHES] == n, comp.name
        assert actuals[Metric.FUNDS_AMOUNT] == 5 * n, comp.name
        assert actuals[Metric.INTENT_PROJECTS] == 2 * n, comp.name  # the receipt's and the intent


def test_records_belong_to_their_project_s_department(comp, commerce, finance):
    takes_part(comp, commerce, visit_batches=1)
    takes_part(comp, finance, visit_batches=1)
    receipt(project(finance), DAY10, "7")
    visit(finance, DAY10)
    assert row(comp, commerce, DAY10).actuals[Metric.FUNDS_AMOUNT] == 0
    assert row(comp, finance, DAY10).actuals[Metric.FUNDS_AMOUNT] == 7
    assert row(comp, finance, DAY10).actuals[Metric.VISIT_BATCHES] == 1


def test_every_participating_department_is_listed_even_without_records(comp, commerce, finance):
    idle = department("统计局", order=3)
    outsider = department("档案局", order=4)  # no quota: not taking part
    for dept in (commerce, finance, idle):
        takes_part(comp, dept, visit_batches=1)
    visit(commerce, DAY10)
    signed_project(outsider, DAY10)
    visit(outsider, DAY10)
    league = compute_league(comp, as_of=DAY10)
    assert sorted(r.department_name for r in league.rows) == sorted(["商务局", "财政局", "统计局"])
    idle_row = next(r for r in league.rows if r.department_id == idle.id)
    assert all(v == 0 for v in idle_row.actuals.values())


def test_a_lost_project_keeps_the_stages_it_reached_before_the_loss(comp, commerce):
    takes_part(comp, commerce, signed_projects=1)
    reached_then_lost = project(commerce, lost_on=date(2025, 3, 8))
    milestone(reached_then_lost, Stage.INTENT, date(2025, 3, 3))
    milestone(reached_then_lost, Stage.SIGNED, date(2025, 3, 5))
    lost_on_signing_day = project(commerce, lost_on=date(2025, 3, 6))
    milestone(lost_on_signing_day, Stage.SIGNED, date(2025, 3, 6))
    # A tranche dated after the loss (refused on entry; written here directly): not a stage
    # the project reached before it was lost.
    receipt(lost_on_signing_day, date(2025, 3, 7), "9")
    actuals = row(comp, commerce, DAY10).actuals
    assert actuals[Metric.INTENT_PROJECTS] == 2
    assert actuals[Metric.SIGNED_PROJECTS] == 2
    assert actuals[Metric.FUNDED_PROJECTS] == 0
    assert actuals[Metric.FUNDS_AMOUNT] == 0
    assert row(comp, commerce, DAY10).zero_result is False


# --- the date a project reached a stage -----------------------------------------------------


def test_signed_without_intent_counts_as_intent_on_its_signing_date(comp, commerce):
    takes_part(comp, commerce, intent_projects=1)
    signed_project(commerce, date(2025, 3, 5))  # no intent recorded
    signed_project(commerce, BEFORE)  # signed before the window: its intent date is before too
    before_signing = row(comp, commerce, date(2025, 3, 4)).actuals
    assert before_signing[Metric.INTENT_PROJECTS] == 0
    after_signing = row(comp, commerce, DAY10).actuals
    assert after_signing[Metric.INTENT_PROJECTS] == 1
    assert after_signing[Metric.SIGNED_PROJECTS] == 1
    assert after_signing[Metric.FUNDED_PROJECTS] == 0
    assert after_signing[Metric.GROUNDBREAKING_PROJECTS] == 0


def test_signed_before_the_window_and_groundbreaking_inside_counts_only_groundbreaking(
    comp, commerce
):
    takes_part(comp, commerce, groundbreaking_projects=1)
    proj = project(commerce)
    milestone(proj, Stage.INTENT, date(2025, 1, 10))
    milestone(proj, Stage.SIGNED, BEFORE)
    receipt(proj, BEFORE + ONE_DAY, "20")
    milestone(proj, Stage.GROUNDBREAKING, date(2025, 3, 5))
    r = row(comp, commerce, DAY10)
    assert r.actuals[Metric.GROUNDBREAKING_PROJECTS] == 1
    assert r.actuals[Metric.FUNDED_PROJECTS] == 0
    assert r.actuals[Metric.SIGNED_PROJECTS] == 0
    assert r.actuals[Metric.INTENT_PROJECTS] == 0
    assert r.actuals[Metric.FUNDS_AMOUNT] == 0
    assert r.zero_result is True


def test_a_receipt_reaches_funded_and_every_earlier_stage_on_its_date(comp, commerce):
    takes_part(comp, commerce, funded_projects=1)
    receipt(project(commerce), date(2025, 3, 5), "3")  # no milestone at all
    actuals = row(comp, commerce, DAY10).actuals
    assert [actuals[m] for m in STAGE_METRICS] == [1, 1, 1, 0]


def test_groundbreaking_alone_reaches_every_stage_up_to_it(comp, commerce):
    takes_part(comp, commerce, groundbreaking_projects=1)
    milestone(project(commerce), Stage.GROUNDBREAKING, date(2025, 3, 5))
    actuals = row(comp, commerce, DAY10).actuals
    assert [actuals[m] for m in STAGE_METRICS] == [1, 1, 1, 1]
    assert actuals[Metric.FUNDS_AMOUNT] == 0


@pytest.mark.parametrize(
    ("intent_status", "intent_counted_in_window"),
    [(VERIFIED, False), (PENDING, True), (RETURNED, True)],
)
def test_only_counted_milestones_date_a_stage(
    comp, commerce, intent_status, intent_counted_in_window
):
    """An intent before the window moves the intent date out of it only if it counts."""
    takes_part(comp, commerce, intent_projects=1)
    proj = project(commerce)
    milestone(proj, Stage.INTENT, BEFORE, intent_status)
    milestone(proj, Stage.SIGNED, date(2025, 3, 5))
    actuals = row(comp, commerce, DAY10).actuals
    assert actuals[Metric.INTENT_PROJECTS] == (1 if intent_counted_in_window else 0)
    assert actuals[Metric.SIGNED_PROJECTS] == 1


def test_a_stage_is_reached_once_on_its_earliest_date(comp, commerce):
    takes_part(comp, commerce, funded_projects=1)
    proj = project(commerce)
    milestone(proj, Stage.SIGNED, date(2025, 3, 2))
    receipt(proj, date(2025, 3, 3), "1")
    receipt(proj, date(2025, 3, 20), "2")
    assert row(comp, commerce, date(2025, 3, 2)).actuals[Metric.FUNDED_PROJECTS] == 0
    assert row(comp, commerce, date(2025, 3, 3)).actuals[Metric.FUNDED_PROJECTS] == 1
    assert row(comp, commerce, DAY25).actuals[Metric.FUNDED_PROJECTS] == 1  # not 2


def test_stage_dates_that_go_backwards_are_refused():
    dept = department("商务局")
    proj = project(dept)
    milestone(proj, Stage.SIGNED, date(2025, 3, 5))
    earlier_groundbreaking = Milestone(
        project=proj, stage=Stage.GROUNDBREAKING, occurred_on=date(2025, 3, 4), status=VERIFIED
    )
    with pytest.raises(ValidationError) as refused:
        earlier_groundbreaking.full_clean()
    assert "occurred_on" in refused.value.message_dict
    receipt_before_signing = Receipt(
        project=proj, occurred_on=date(2025, 3, 1), amount=Decimal(5), status=VERIFIED
    )
    with pytest.raises(ValidationError) as refused:
        receipt_before_signing.full_clean()
    assert "occurred_on" in refused.value.message_dict
    # The same records in order are accepted.
    Milestone(
        project=proj, stage=Stage.GROUNDBREAKING, occurred_on=date(2025, 3, 9), status=VERIFIED
    ).full_clean()
    Receipt(project=proj, occurred_on=date(2025, 3, 6), amount=Decimal(5)).full_clean()


# --- the metrics ---------------------------------------------------------------------------


def test_visit_batches_count_receptions_and_visitors_count_persons(comp, commerce):
    takes_part(comp, commerce, visit_batches=1)
    visit(commerce, date(2025, 3, 2), persons=3)
    visit(commerce, date(2025, 3, 4), persons=4)
    visit(commerce, date(2025, 3, 4), persons=5)
    actuals = row(comp, commerce, DAY10).actuals
    assert actuals[Metric.VISIT_BATCHES] == 3
    assert actuals[Metric.VISITORS] == 12


def test_funds_amount_sums_the_tranches_inside_the_window(comp, commerce):
    takes_part(comp, commerce, funds_amount=100)
    early = project(commerce)
    receipt(early, BEFORE, "70")  # funded before the window
    receipt(early, date(2025, 3, 2), "30.50")  # later tranches inside it
    receipt(early, date(2025, 3, 9), "0.25")
    late = project(commerce)
    receipt(late, date(2025, 3, 3), "12.25")
    receipt(late, date(2025, 3, 4), "1")
    receipt(late, date(2025, 3, 11), "99")  # after the as-of date
    actuals = row(comp, commerce, DAY10).actuals
    assert actuals[Metric.FUNDS_AMOUNT] == Decimal("44.00")
    assert actuals[Metric.FUNDED_PROJECTS] == 1  # `late` only: `early` was funded before


# --- ratios, weights, cap and score ---------------------------------------------------------


def test_timeline_ratio_is_actual_over_target_times_f(comp, commerce):
    takes_part(comp, commerce, visit_batches=20, funds_amount=1000)
    for _ in range(3):
        visit(commerce, date(2025, 3, 20))
    receipt(project(commerce), date(2025, 3, 21), "150")
    r = row(comp, commerce, DAY25)  # f = 1/4
    assert r.ratios[Metric.VISIT_BATCHES] == Decimal("0.6")  # 3 / (20 × 1/4)
    assert r.ratios[Metric.FUNDS_AMOUNT] == Decimal("0.6")  # 150 / (1000 × 1/4)
    assert r.exact_score == Fraction(3, 5)


def test_the_ratio_is_capped_at_one_and_a_half_by_default(comp, commerce):
    takes_part(comp, commerce, visit_batches=10, intent_projects=10)
    visit(commerce, DAY10)
    visit(commerce, DAY10)  # 2 / (10 × 1/10) = 2
    r = row(comp, commerce, DAY10)
    assert r.ratios[Metric.VISIT_BATCHES] == Decimal("1.5")
    assert r.ratios[Metric.INTENT_PROJECTS] == 0
    # The capped ratio is the one that is weighted: (10 × 1.5 + 15 × 0) / 25
    assert r.exact_score == Fraction(3, 5)


def test_the_cap_is_a_competition_setting(commerce):
    generous = competition("全年任务", cap=Decimal("2.5"))
    strict = competition("百日竞赛", cap=Decimal("1.2"))
    for comp in (generous, strict):
        takes_part(comp, commerce, visit_batches=10)
    visit(commerce, DAY10)
    visit(commerce, DAY10)  # ratio 2
    assert row(generous, commerce, DAY10).ratios[Metric.VISIT_BATCHES] == 2
    assert row(strict, commerce, DAY10).ratios[Metric.VISIT_BATCHES] == Decimal("1.2")
    visit(commerce, DAY10)  # ratio 3
    assert row(generous, commerce, DAY10).ratios[Metric.VISIT_BATCHES] == Decimal("2.5")


def test_score_is_the_weighted_mean_of_the_capped_ratios(comp, commerce):
    takes_part(
        comp,
        commerce,
        visit_batches=20,
        visitors=100,
        intent_projects=12,
        signed_projects=4,
        funded_projects=4,
        funds_amount=400,
        groundbreaking_projects=4,
    )
    # As of day 25 (f = 1/4) the on-time figures are: 5 batches, 3 intents, 1 signed,
    # 1 funded, 100 万元, 1 groundbreaking.
    for _ in range(4):
        visit(commerce, date(2025, 3, 5), persons=3)
    milestone(project(commerce), Stage.INTENT, date(2025, 3, 2))
    signed_project(commerce, date(2025, 3, 3))
    funded = project(commerce)
    receipt(funded, date(2025, 3, 4), "30")
    receipt(funded, date(2025, 3, 20), "20")
    broke_ground = project(commerce)
    milestone(broke_ground, Stage.SIGNED, BEFORE)
    receipt(broke_ground, BEFORE, "500")
    milestone(broke_ground, Stage.GROUNDBREAKING, date(2025, 3, 10))
    receipt(broke_ground, date(2025, 3, 12), "10")
    r = row(comp, commerce, DAY25)
    assert r.actuals == {
        Metric.VISIT_BATCHES: 4,
        Metric.VISITORS: 12,
        Metric.INTENT_PROJECTS: 3,
        Metric.SIGNED_PROJECTS: 2,
        Metric.FUNDED_PROJECTS: 1,
        Metric.FUNDS_AMOUNT: 60,
        Metric.GROUNDBREAKING_PROJECTS: 1,
    }
    assert r.ratios == {
        Metric.VISIT_BATCHES: Decimal("0.8"),
        Metric.VISITORS: None,  # weight 0: reported, not scored
        Metric.INTENT_PROJECTS: 1,
        Metric.SIGNED_PROJECTS: Decimal("1.5"),  # 2, capped
        Metric.FUNDED_PROJECTS: 1,
        Metric.FUNDS_AMOUNT: Decimal("0.6"),
        Metric.GROUNDBREAKING_PROJECTS: 1,
    }
    # (10×0.8 + 15×1 + 20×1.5 + 20×1 + 15×0.6 + 20×1) / (10+15+20+20+15+20) = 102 / 100
    assert r.exact_score == Fraction(102, 100)
    assert r.score == Decimal("1.02")
    assert r.scored is True and r.yellow_card is False and r.zero_result is False


# Reaching one on-time figure of `metric` (T = 1 at f = 1); the other records it brings
# along (earlier stages) have no target and are not scored.
ON_TIME = {
    Metric.VISIT_BATCHES: lambda dept: visit(dept, DAY10),
    Metric.INTENT_PROJECTS: lambda dept: milestone(project(dept), Stage.INTENT, DAY10),
    Metric.SIGNED_PROJECTS: lambda dept: signed_project(dept, DAY10),
    Metric.FUNDED_PROJECTS: lambda dept: receipt(project(dept), DAY10, "0.01"),
    Metric.FUNDS_AMOUNT: lambda dept: receipt(project(dept), DAY10, "1"),
    Metric.GROUNDBREAKING_PROJECTS: lambda dept: milestone(
        project(dept), Stage.GROUNDBREAKING, DAY10
    ),
}
DEFAULT_WEIGHT = {
    Metric.VISIT_BATCHES: 10,
    Metric.INTENT_PROJECTS: 15,
    Metric.SIGNED_PROJECTS: 20,
    Metric.FUNDED_PROJECTS: 20,
    Metric.FUNDS_AMOUNT: 15,
    Metric.GROUNDBREAKING_PROJECTS: 20,
}


@pytest.mark.parametrize("metric", list(ON_TIME), ids=str)
def test_default_weights(comp, commerce, metric):
    """One metric on time (ratio 1) next to a reference metric at 0: score = w / (w + w_ref)."""
    reference = Metric.INTENT_PROJECTS if metric == Metric.VISIT_BATCHES else Metric.VISIT_BATCHES
    takes_part(comp, commerce, **{metric: 1, reference: 1})
    ON_TIME[metric](commerce)
    r = row(comp, commerce, END)
    assert r.ratios[metric] == 1
    assert r.ratios[reference] == 0
    w, w_ref = DEFAULT_WEIGHT[metric], DEFAULT_WEIGHT[reference]
    assert r.exact_score == Fraction(w, w + w_ref)


def test_visitors_are_reported_but_not_scored(comp, commerce):
    takes_part(comp, commerce, visit_batches=10, visitors=10)
    visit(commerce, DAY10, persons=10)
    r = row(comp, commerce, END)
    assert r.actuals[Metric.VISITORS] == 10
    assert r.ratios[Metric.VISITORS] is None
    assert r.exact_score == Fraction(1, 10)  # visit batches alone: 1 / 10


def test_visitors_are_scored_when_the_competition_weighs_them(comp, commerce):
    weigh(comp, Metric.VISITORS, 10)
    takes_part(comp, commerce, visit_batches=10, visitors=10)
    visit(commerce, DAY10, persons=10)
    r = row(comp, commerce, END)
    assert r.ratios[Metric.VISITORS] == 1
    assert r.exact_score == Fraction(10 * 1 + 10 * Fraction(1, 10), 20)


def test_the_competition_weights_override_the_defaults(commerce):
    reweighed = competition("全年任务")
    weigh(reweighed, Metric.VISIT_BATCHES, 30)
    default = competition("百日竞赛")  # the other competition keeps the defaults
    for comp in (reweighed, default):
        takes_part(comp, commerce, visit_batches=1, intent_projects=1)
    visit(commerce, DAY10)
    assert row(reweighed, commerce, END).exact_score == Fraction(30, 30 + 15)
    assert row(default, commerce, END).exact_score == Fraction(10, 10 + 15)


def test_a_weight_of_zero_removes_a_metric(comp, commerce):
    weigh(comp, Metric.INTENT_PROJECTS, 0)
    takes_part(comp, commerce, visit_batches=10, intent_projects=10)
    visit(commerce, DAY10)
    r = row(comp, commerce, END)
    assert r.ratios[Metric.INTENT_PROJECTS] is None
    assert r.exact_score == Fraction(1, 10)


def test_a_target_of_zero_removes_a_metric(comp, commerce):
    takes_part(comp, commerce, visit_batches=10)  # no target for the stages or the funds
    visit(commerce, DAY10)
    receipt(project(commerce), DAY10, "1000")
    r = row(comp, commerce, END)
    assert r.ratios[Metric.SIGNED_PROJECTS] is None
    assert r.ratios[Metric.FUNDS_AMOUNT] is None
    assert r.exact_score == Fraction(1, 10)


@pytest.mark.parametrize(
    "targets",
    [{}, {"visitors": 50}],
    ids=["no-targets", "only-unweighted-targets"],
)
def test_nothing_scored_means_score_zero_and_no_card(comp, commerce, targets):
    takes_part(comp, commerce, **targets)
    visit(commerce, DAY10, persons=50)
    r = row(comp, commerce, DAY10)
    assert r.scored is False
    assert r.score == 0 and r.exact_score == 0
    assert r.yellow_card is False
    assert all(v is None for v in r.ratios.values())


def test_before_the_window_nothing_is_scored_and_no_card_or_flag_is_given(comp, commerce):
    takes_part(comp, commerce, visit_batches=10, signed_projects=1)
    visit(commerce, START - ONE_DAY)
    signed_project(commerce, BEFORE)
    for as_of in (START - ONE_DAY, BEFORE):
        r = row(comp, commerce, as_of)
        assert r.scored is False
        assert r.score == 0
        assert all(v is None for v in r.ratios.values())
        assert all(v == 0 for v in r.actuals.values())
        assert r.yellow_card is False
        assert r.zero_result is False
    # On the first day the same department is scored, carded and flagged.
    first_day = row(comp, commerce, START)
    assert first_day.scored is True
    assert first_day.yellow_card is True
    assert first_day.zero_result is True


# --- yellow card ---------------------------------------------------------------------------


def test_a_score_exactly_on_the_yellow_line_gets_no_card(comp, commerce):
    takes_part(comp, commerce, visit_batches=10)
    for _ in range(7):
        visit(commerce, DAY10)
    r = row(comp, commerce, END)  # 7 / 10 = 0.70
    assert r.exact_score == Fraction(7, 10)
    assert r.yellow_card is False


def test_a_score_just_below_the_yellow_line_gets_a_card(comp, commerce):
    takes_part(comp, commerce, funds_amount=100)
    receipt(project(commerce), DAY10, "69.99")
    r = row(comp, commerce, END)
    assert r.exact_score == Fraction(6999, 10000)
    assert r.yellow_card is True


def test_the_yellow_threshold_is_a_competition_setting(commerce):
    lenient = competition("全年任务", yellow_threshold=Decimal("0.5"))
    strict = competition("百日竞赛", yellow_threshold=Decimal("0.9"))
    for comp in (lenient, strict):
        takes_part(comp, commerce, visit_batches=10)
    for _ in range(5):
        visit(commerce, DAY10)
    assert row(lenient, commerce, END).yellow_card is False  # 0.5 on a 0.5 line
    assert row(strict, commerce, END).yellow_card is True
    for _ in range(3):
        visit(commerce, DAY10)
    assert row(strict, commerce, END).yellow_card is True  # 0.8 < 0.9
    default = competition("默认黄牌线")
    takes_part(default, commerce, visit_batches=10)
    assert row(default, commerce, END).yellow_card is False  # 0.8 ≥ 0.70


# --- zero-result flag ----------------------------------------------------------------------


def test_zero_result_flag_is_about_signed_projects_only(comp, commerce, finance):
    busy = department("发改委", order=3)
    takes_part(comp, commerce, visit_batches=1)  # no signed target at all
    takes_part(comp, finance, visit_batches=1, signed_projects=5)
    takes_part(comp, busy, visit_batches=1, intent_projects=1)
    signed_project(commerce, DAY10)  # signed: no flag, whatever its targets
    for _ in range(3):  # plenty of visits and intents, nothing signed: flagged
        visit(busy, DAY10)
        milestone(project(busy), Stage.INTENT, DAY10)
    league = compute_league(comp, as_of=DAY10)
    flags = {r.department_name: r.zero_result for r in league.rows}
    assert flags == {"商务局": False, "财政局": True, "发改委": True}
    assert next(r for r in league.rows if r.department_id == busy.id).yellow_card is False
    after_end = compute_league(comp, as_of=END + timedelta(days=20))
    assert {r.department_name: r.zero_result for r in after_end.rows} == flags


# --- ranks ---------------------------------------------------------------------------------


def test_the_higher_score_ranks_first_whatever_the_funds_signed_and_order(comp, commerce, finance):
    takes_part(comp, commerce, visit_batches=10)
    takes_part(comp, finance, visit_batches=10)
    visit(finance, DAY10)  # finance: a better score, nothing else
    signed_project(commerce, DAY10)
    receipt(project(commerce), DAY10, "500")
    assert names_in_rank_order(comp, DAY10) == ["财政局", "商务局"]


def test_rank_uses_the_unrounded_score(comp, commerce, finance):
    """Scores that round to the same figure still rank by their exact value first."""
    takes_part(comp, commerce, funds_amount=Decimal("100000000000"))
    takes_part(comp, finance, funds_amount=Decimal("999999999999.99"))
    receipt(project(commerce), DAY10, "0.02")  # ratio 2e-13
    receipt(project(finance), DAY10, "0.03")  # ratio 3e-14, more funds
    league = compute_league(comp, as_of=END)
    first, second = league.rows
    assert first.score == second.score  # the printed figures agree...
    assert first.exact_score > second.exact_score  # ...the exact ones do not
    assert [r.department_name for r in league.rows] == ["商务局", "财政局"]


def test_equal_scores_are_ranked_by_funds_amount_before_signed_projects(comp, commerce, finance):
    takes_part(comp, commerce, visit_batches=10)  # funds and signed are not scored
    takes_part(comp, finance, visit_batches=10)
    signed_project(commerce, DAY10)
    signed_project(commerce, DAY10)  # commerce: 2 signed, no funds
    receipt(project(finance), DAY10, "5")  # finance: 1 signed, 5 万元
    league = compute_league(comp, as_of=DAY10)
    assert league.rows[0].exact_score == league.rows[1].exact_score
    assert [r.department_name for r in league.rows] == ["财政局", "商务局"]
    assert [r.rank for r in league.rows] == [1, 2]


def test_equal_scores_and_funds_are_ranked_by_signed_projects(comp, commerce, finance):
    takes_part(comp, commerce, visit_batches=10)
    takes_part(comp, finance, visit_batches=10)
    signed_project(finance, DAY10)
    assert names_in_rank_order(comp, DAY10) == ["财政局", "商务局"]


def test_a_full_tie_is_broken_by_display_order_not_by_name(comp):
    # Created in this order, and 发改委 sorts before 财政局 by name: only the display order
    # puts 财政局 first.
    second = department("发改委", order=2)
    first = department("财政局", order=1)
    for dept in (second, first):
        takes_part(comp, dept, visit_batches=10)
    league = compute_league(comp, as_of=DAY10)
    assert [(r.department_name, r.rank) for r in league.rows] == [("财政局", 1), ("发改委", 2)]


def test_ranks_are_unique_even_for_identical_departments(comp):
    group = DepartmentGroup.objects.create(name="党群部门", order=1)
    for name in ("组织部", "宣传部", "统战部"):
        takes_part(comp, department(name, order=5, group=group), visit_batches=10)
    league = compute_league(comp, as_of=DAY10)
    assert [r.rank for r in league.rows] == [1, 2, 3]
    assert [r.group_rank for r in league.rows] == [1, 2, 3]


def test_group_ranks_follow_the_same_order_and_skip_departments_without_group(comp):
    economic = DepartmentGroup.objects.create(name="综合经济部门", order=1)
    party = DepartmentGroup.objects.create(name="党群部门", order=2)
    a = department("发改委", order=1, group=economic)
    b = department("财政局", order=2, group=economic)
    c = department("商务局", order=3, group=economic)
    d = department("组织部", order=4, group=party)
    e = department("税务局", order=5)  # no group
    for dept in (a, b, c, d, e):
        takes_part(comp, dept, visit_batches=10)
    visits = {e: 5, b: 4, d: 3}
    for dept, n in visits.items():
        for _ in range(n):
            visit(dept, DAY10)
    receipt(project(c), DAY10, "1")  # c ties a on score, more funds
    league = compute_league(comp, as_of=END)
    assert [(r.department_name, r.rank, r.group_rank) for r in league.rows] == [
        ("税务局", 1, None),
        ("财政局", 2, 1),
        ("组织部", 3, 1),
        ("商务局", 4, 2),
        ("发改委", 5, 3),
    ]


# --- traceability --------------------------------------------------------------------------


def test_every_figure_traces_back_to_its_records(comp, commerce):
    takes_part(comp, commerce, visit_batches=1)
    visit(commerce, date(2025, 3, 2), persons=2)
    visit(commerce, BEFORE, persons=9)
    signed = signed_project(commerce, date(2025, 3, 3))
    funded = project(commerce)
    receipt(funded, date(2025, 3, 4), "6")
    receipt(funded, date(2025, 3, 5), "4")
    receipt(project(commerce), BEFORE, "100")
    r = row(comp, commerce, DAY10)
    for metric in STAGE_METRICS:
        behind = counted_projects(comp, department_id=commerce.id, metric=metric, as_of=DAY10)
        assert behind.count() == r.actuals[metric], metric
    assert set(
        counted_projects(
            comp, department_id=commerce.id, metric=Metric.SIGNED_PROJECTS, as_of=DAY10
        )
    ) == {signed, funded}
    receipts = counted_receipts(comp, department_id=commerce.id, as_of=DAY10)
    assert sum(x.amount for x in receipts) == r.actuals[Metric.FUNDS_AMOUNT] == 10
    visits = counted_visits(comp, department_id=commerce.id, as_of=DAY10)
    assert visits.count() == r.actuals[Metric.VISIT_BATCHES] == 1
