"""The stage rule, written once (projects.rules), and the SQL that computes it for speed.

The pure functions are checked on the cases DOMAIN.md names; then, on random projects
(stages out of order, records after the loss, pending and returned ones), every place
that computes the rule in the database is held to them: the stored progress columns
(`progress_expressions`, and `refresh_progress` for a few projects, which reads the
records and calls the rule itself), scoring's stage dates (`stage_dates_by_project`) and the
league's one-statement figures (`project_figures`).
"""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competition.scoring.rule import (
    SCORED_STAGES,
    STAGE_METRIC,
    project_figures,
    stage_dates_by_project,
)
from departments.models import Department
from projects import rules
from projects.models import REPORTED_STATUSES, Milestone, Project, Receipt, ReviewStatus, Stage
from projects.progress import FEW, refresh_all_progress, refresh_progress

PENDING, VERIFIED, RETURNED = ReviewStatus.PENDING, ReviewStatus.VERIFIED, ReviewStatus.RETURNED
START = date(2026, 1, 1)


def day(offset: int) -> date:
    return START + timedelta(days=offset)


# The pure rule -------------------------------------------------------------------------
def test_a_stage_is_reached_on_the_earliest_record_of_it_or_a_later_stage():
    # Signed on day 5 with no intent recorded: intent (and lead) reached on day 5 too.
    assert rules.reached_dates({Stage.SIGNED: [day(5)]}) == {
        Stage.LEAD: day(5),
        Stage.INTENT: day(5),
        Stage.SIGNED: day(5),
    }
    # Groundbreaking recorded before the signing (out of order): it reaches signing first.
    assert rules.reached_dates(
        {Stage.INTENT: [day(1)], Stage.SIGNED: [day(9)], Stage.GROUNDBREAKING: [day(4)]}
    ) == {
        Stage.LEAD: day(1),
        Stage.INTENT: day(1),
        Stage.SIGNED: day(4),
        Stage.FUNDED: day(4),
        Stage.GROUNDBREAKING: day(4),
    }
    # Funds received on the first of several tranches.
    assert rules.reached_dates({Stage.FUNDED: [day(8), day(3), day(6)]})[Stage.FUNDED] == day(3)
    assert rules.reached_dates({}) == {}


def test_progress_is_the_highest_stage_and_the_latest_record():
    assert rules.progress({Stage.INTENT: [day(2)], Stage.FUNDED: [day(9), day(4)]}) == (
        Stage.FUNDED,
        day(9),
    )
    assert rules.progress({Stage.LEAD: [day(3)]}) == (Stage.LEAD, day(3))
    assert rules.progress({}) == (None, None)


def test_counted_records_leave_out_other_statuses_and_what_follows_the_loss():
    records = [
        (Stage.INTENT, day(1), VERIFIED),
        (Stage.SIGNED, day(3), PENDING),
        (Stage.SIGNED, day(2), RETURNED),
        (Stage.FUNDED, day(5), VERIFIED),  # the loss day itself still counts
        (Stage.GROUNDBREAKING, day(6), VERIFIED),
    ]
    assert rules.counted_dates(records, statuses=[VERIFIED], lost_on=day(5)) == {
        Stage.INTENT: [day(1)],
        Stage.FUNDED: [day(5)],
    }
    assert rules.counted_dates(records, statuses=REPORTED_STATUSES, lost_on=None, up_to=day(3)) == {
        Stage.INTENT: [day(1)],
        Stage.SIGNED: [day(3)],
    }
    assert rules.after_loss(day(6), lost_on=day(5))
    assert not rules.after_loss(day(5), lost_on=day(5))
    assert not rules.after_loss(day(9), lost_on=None)


def test_stage_order_over_recorded_dates():
    # The funded date is the first receipt's, not the later tranches'.
    recorded = rules.recorded_dates(
        {Stage.SIGNED: [day(2)], Stage.FUNDED: [day(7), day(4)], Stage.GROUNDBREAKING: [day(5)]}
    )
    assert recorded == {Stage.SIGNED: day(2), Stage.FUNDED: day(4), Stage.GROUNDBREAKING: day(5)}
    assert rules.first_backward_pair(recorded) is None
    # Same day is not backwards; each neighbour pair going backwards is named, in order.
    dates = {Stage.LEAD: day(3), Stage.INTENT: day(3), Stage.SIGNED: day(1), Stage.FUNDED: day(0)}
    backwards = [(Stage.INTENT, Stage.SIGNED), (Stage.SIGNED, Stage.FUNDED)]
    assert rules.backward_pairs(dates) == backwards
    assert rules.first_backward_pair(dates) == (Stage.INTENT, Stage.SIGNED)
    # Every tranche comes after the stages before funding, not only the first one.
    signed = {Stage.INTENT: day(1), Stage.SIGNED: day(4), Stage.GROUNDBREAKING: day(2)}
    assert rules.stages_after_tranche(signed, tranche=day(3)) == [Stage.SIGNED]
    assert rules.stages_after_tranche(signed, tranche=day(4)) == []


# The SQL against the pure rule ------------------------------------------------------------
OFFSETS = st.integers(-5, 12)
STATUSES = st.sampled_from([VERIFIED, PENDING, RETURNED])
PROJECTS = st.lists(
    st.fixed_dictionaries(
        {
            "department": st.integers(0, 1),
            "lost": st.none() | OFFSETS,
            # Any subset of milestone stages at any dates: out of order on purpose.
            "milestones": st.dictionaries(
                st.sampled_from([Stage.LEAD, Stage.INTENT, Stage.SIGNED, Stage.GROUNDBREAKING]),
                st.tuples(OFFSETS, STATUSES),
                max_size=4,
            ),
            "receipts": st.lists(st.tuples(OFFSETS, STATUSES, st.integers(1, 900)), max_size=3),
        }
    ),
    min_size=1,
    max_size=6,
)


@pytest.fixture
def departments(db):
    return [Department.objects.create(name=f"部门{i}", order=i) for i in range(2)]


def _write(departments, specs) -> list[tuple[Project, dict]]:
    """Straight into the tables (bulk_create: no validation), as a bad import could."""
    made = Project.objects.bulk_create(
        Project(
            code=f"R{i}",
            name=f"项目{i}",
            department=departments[spec["department"]],
            lost_on=None if spec["lost"] is None else day(spec["lost"]),
            lost_reason="" if spec["lost"] is None else "流失",
        )
        for i, spec in enumerate(specs)
    )
    Milestone.objects.bulk_create(
        Milestone(project=p, stage=stage, occurred_on=day(on), status=status)
        for p, spec in zip(made, specs, strict=True)
        for stage, (on, status) in spec["milestones"].items()
    )
    Receipt.objects.bulk_create(
        Receipt(project=p, occurred_on=day(on), status=status, amount=Decimal(amount))
        for p, spec in zip(made, specs, strict=True)
        for on, status, amount in spec["receipts"]
    )
    return list(zip(made, specs, strict=True))


def _records(spec) -> list[tuple[int, date, str]]:
    milestones = [(stage, day(on), status) for stage, (on, status) in spec["milestones"].items()]
    receipts = [(Stage.FUNDED, day(on), status) for on, status, _amount in spec["receipts"]]
    return milestones + receipts


def _counted(spec, statuses, up_to=None) -> dict[int, list[date]]:
    lost_on = None if spec["lost"] is None else day(spec["lost"])
    return rules.counted_dates(_records(spec), statuses=statuses, lost_on=lost_on, up_to=up_to)


def _pure_figures(written, statuses, start: date, end: date) -> Counter:
    """The league's stage and funds figures per department, project by project."""
    figures: Counter = Counter()
    for project, spec in written:
        counted = _counted(spec, statuses, up_to=end)
        for stage, reached_on in rules.reached_dates(counted).items():
            if stage in SCORED_STAGES and start <= reached_on <= end:
                figures[(project.department_id, STAGE_METRIC[stage])] += 1
        # Funds are counted tranche by tranche: the counted ones dated in the window.
        funds = sum(
            (
                Decimal(amount)
                for on, status, amount in spec["receipts"]
                if status in statuses
                and start <= day(on) <= end
                and not rules.after_loss(day(on), lost_on=project.lost_on)
            ),
            Decimal(0),
        )
        if funds:
            figures[(project.department_id, "funds_amount")] += funds
    return +figures


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(specs=PROJECTS, start=OFFSETS, length=st.integers(0, 10), pending=st.booleans())
def test_the_sql_computes_the_pure_rule(departments, specs, start, length, pending):
    statuses = [VERIFIED, PENDING] if pending else [VERIFIED]
    window_start, window_end = day(start), day(start + length)
    with transaction.atomic():
        written = _write(departments, specs)

        # Progress: stage reached and latest record, the stored columns and the annotation.
        refresh_all_progress()
        spec_of = {project.pk: spec for project, spec in written}
        for project in Project.objects.with_computed_progress(statuses=statuses):
            spec = spec_of[project.pk]
            reported = rules.progress(_counted(spec, REPORTED_STATUSES))
            assert (project.stage_reached, project.last_milestone_on) == reported
            expected = rules.progress(_counted(spec, statuses))
            assert (project.computed_stage_reached, project.computed_last_milestone_on) == expected

        # The same columns refreshed project by project (a form's save): from wrong values,
        # so that a refresh that wrote nothing would fail.
        assert len(spec_of) <= FEW
        Project.objects.update(stage_reached=Stage.LEAD, last_milestone_on=day(99))
        assert refresh_progress(spec_of) == len(spec_of)
        for project in Project.objects.all():
            reported = rules.progress(_counted(spec_of[project.pk], REPORTED_STATUSES))
            assert (project.stage_reached, project.last_milestone_on) == reported

        # Scoring's stage dates, project by project, up to the window's end.
        expected_dates = {}
        for project, spec in written:
            reached = rules.reached_dates(_counted(spec, statuses, up_to=window_end))
            scored = {s: d for s, d in reached.items() if s in SCORED_STAGES}
            if scored:
                expected_dates[project.pk] = (project.department_id, scored)
        assert stage_dates_by_project(statuses=statuses, up_to=window_end) == expected_dates

        # The league's figures in one statement.
        rows = project_figures(
            statuses=statuses,
            department_ids=[d.pk for d in departments],
            start=window_start,
            end=window_end,
        )
        figures = Counter({(dept, metric): value for dept, metric, _day, value in rows})
        assert figures == _pure_figures(written, statuses, window_start, window_end)
        transaction.set_rollback(True)  # the next example starts empty
