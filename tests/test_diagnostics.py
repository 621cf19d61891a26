"""三有三不: each flag raised and not raised, by the rules documented in
competition.scoring.diagnostics."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competition.models import Competition, MetricWeight, Quota
from competition.scoring import compute_league, diagnostics
from competition.scoring.diagnostics import (
    FEW_INDUSTRIAL,
    FEW_PROJECTS,
    NO_HIGH_TECH,
    NO_MAJOR,
    SLOW_PROGRESS,
    WEAK_ACTION,
    ProjectMix,
    diagnose,
    few_projects_flag,
    project_mix,
    slow_progress_flag,
    weak_action_flag,
)
from projects.models import Industry, Stage
from tests.conftest import make_milestone, make_project, make_visit

AS_OF = date(2026, 4, 9)  # day 40 of 100: f = 0.4


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime(2026, 4, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def competition(commerce, finance):
    competition = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 3, 1), end_date=date(2026, 6, 8)
    )
    # Pace on AS_OF: 商务局 4 batches (10 × 0.4), 财政局 2 (5 × 0.4).
    Quota.objects.create(
        competition=competition, department=commerce, visit_batches=10, signed_projects=2
    )
    Quota.objects.create(
        competition=competition, department=finance, visit_batches=5, signed_projects=2
    )
    return competition


def _diagnosis(competition, department, as_of=AS_OF):
    league = compute_league(competition, as_of=as_of)
    return next(d for d in diagnose(league=league) if d.department_id == department.id)


# --- 有行动，行动不力 ----------------------------------------------------------------------


@pytest.mark.django_db
def test_weak_action_when_visits_fall_behind_the_yellow_threshold(competition, commerce, finance):
    for day in (3, 10):  # 2 batches against a pace of 4: ratio 0.5 < 0.7
        make_visit(commerce, date(2026, 3, day))
    for day in (3, 4, 5):  # 3 against 2: ratio 1.5
        make_visit(finance, date(2026, 3, day))

    flag = _diagnosis(competition, commerce).weak_action
    assert flag is not None and flag.code == WEAK_ACTION
    assert flag.label == "有行动，行动不力"
    assert flag.figures == {
        "visit_batches": 2,
        "target": 10,
        "ratio": Decimal("0.5"),
        "threshold": Decimal("0.70"),
    }
    assert "接待客商2批次" in flag.detail and "50.0%" in flag.detail and "低于70%" in flag.detail
    assert _diagnosis(competition, finance).weak_action is None


@pytest.mark.django_db
def test_weak_action_at_the_threshold_is_not_raised(competition, commerce):
    # 14 batches of a pace of 20 (target 50 × 0.4): ratio exactly 0.70, not below it.
    Quota.objects.filter(department=commerce).update(visit_batches=50)
    for i in range(14):
        make_visit(commerce, date(2026, 3, 1 + i))
    assert _diagnosis(competition, commerce).weak_action is None


@pytest.mark.django_db
def test_weak_action_when_no_visits_at_all_even_with_a_zero_threshold(competition, commerce):
    competition.yellow_threshold = Decimal(0)
    competition.save()
    flag = _diagnosis(competition, commerce).weak_action
    assert flag is not None
    assert flag.figures["visit_batches"] == 0
    assert "未接待客商" in flag.detail


@pytest.mark.django_db
def test_weak_action_only_where_visit_batches_is_scored(competition, commerce, finance):
    # No target for 商务局, no weight for anyone: no pace to fall behind.
    Quota.objects.filter(department=commerce).update(visit_batches=0)
    assert _diagnosis(competition, commerce).weak_action is None
    assert _diagnosis(competition, finance).weak_action is not None
    MetricWeight.objects.create(competition=competition, metric="visit_batches", weight=0)
    assert _diagnosis(competition, finance).weak_action is None


@pytest.mark.django_db
def test_no_flag_before_the_window_starts(competition, commerce, finance):
    project = make_project(commerce, "P1", industry=Industry.SERVICES)
    make_milestone(project, Stage.INTENT, date(2026, 2, 1))
    found = _diagnosis(competition, commerce, as_of=date(2026, 2, 20))
    assert found.weak_action is None and found.slow_progress is None
    # The project mix is no window figure: 商务局's one project against 财政局's four
    # (median 2.5) is still too few before the window starts.
    for code in ("F1", "F2", "F3", "F4"):
        make_project(finance, code)
    found = _diagnosis(competition, commerce, as_of=date(2026, 2, 20))
    assert found.few_projects is not None


def test_weak_action_rule_as_a_function():
    kwargs = {"target": Decimal(10), "threshold": Decimal("0.7")}
    assert weak_action_flag(actual=Decimal(1), ratio=Decimal("0.69"), **kwargs) is not None
    assert weak_action_flag(actual=Decimal(1), ratio=Decimal("0.70"), **kwargs) is None
    assert weak_action_flag(actual=Decimal(0), ratio=None, **kwargs) is None


# --- 有进展，进展不快 ----------------------------------------------------------------------


@pytest.mark.django_db
def test_slow_progress_when_intents_but_nothing_signed_or_started(competition, commerce, finance):
    p1 = make_project(commerce, "P1")
    make_milestone(p1, Stage.INTENT, date(2026, 3, 5))
    p2 = make_project(commerce, "P2")
    make_milestone(p2, Stage.INTENT, date(2026, 3, 6))
    make_milestone(p2, Stage.SIGNED, date(2026, 4, 20))  # after AS_OF: not yet
    p3 = make_project(finance, "P3")
    make_milestone(p3, Stage.INTENT, date(2026, 3, 5))
    make_milestone(p3, Stage.SIGNED, date(2026, 3, 20))

    flag = _diagnosis(competition, commerce).slow_progress
    assert flag is not None and flag.code == SLOW_PROGRESS
    assert flag.label == "有进展，进展不快"
    assert flag.figures == {
        "intent_projects": 2,
        "signed_projects": 0,
        "groundbreaking_projects": 0,
        "signed_ratio": Decimal(0),
        "threshold": Decimal("0.70"),
    }
    # Signing is scored (target 2): the reason is measured against the timeline.
    assert "签订意向项目2个，正式签约0个（任务2个），时序进度完成率0.0%，低于70%" in flag.detail
    # 财政局 signed 1 of a pace of 0.8: ahead of the timeline.
    assert _diagnosis(competition, finance).slow_progress is None


@pytest.mark.django_db
def test_slow_progress_is_measured_against_the_timeline(competition, commerce):
    """One signing of a target of 10 is behind a pace of 4 (ratio 0.25 < 0.70)."""
    Quota.objects.filter(department=commerce).update(signed_projects=10)
    for code, signed in (("P1", True), ("P2", False)):
        project = make_project(commerce, code)
        make_milestone(project, Stage.INTENT, date(2026, 3, 5))
        if signed:
            make_milestone(project, Stage.SIGNED, date(2026, 3, 9))
    flag = _diagnosis(competition, commerce).slow_progress
    assert flag is not None and flag.figures["signed_projects"] == 1
    assert "正式签约1个（任务10个），时序进度完成率25.0%" in flag.detail
    # At the pace (4 of 10 by day 40) it is not slow.
    Quota.objects.filter(department=commerce).update(signed_projects=2)
    assert _diagnosis(competition, commerce).slow_progress is None


@pytest.mark.django_db
def test_groundbreaking_in_the_window_is_progress(competition, commerce):
    p1 = make_project(commerce, "P1")
    make_milestone(p1, Stage.INTENT, date(2026, 3, 5))
    # Signed before the window, breaks ground inside it: groundbreaking 1, signed 0.
    p2 = make_project(commerce, "P2")
    make_milestone(p2, Stage.SIGNED, date(2026, 1, 10))
    make_milestone(p2, Stage.GROUNDBREAKING, date(2026, 3, 15))
    assert _diagnosis(competition, commerce).slow_progress is None


@pytest.mark.django_db
def test_no_slow_progress_without_intents(competition, commerce):
    make_project(commerce, "P1")  # a lead only
    assert _diagnosis(competition, commerce).slow_progress is None


@pytest.mark.django_db
def test_pending_intents_do_not_count(competition, commerce):
    p1 = make_project(commerce, "P1")
    make_milestone(p1, Stage.INTENT, date(2026, 3, 5), status="pending")
    assert _diagnosis(competition, commerce).slow_progress is None


def test_slow_progress_rule_as_a_function():
    one, zero = Decimal(1), Decimal(0)
    # Signing not scored: none signed is slow.
    assert slow_progress_flag(intent=one, signed=zero, groundbreaking=zero) is not None
    assert slow_progress_flag(intent=one, signed=one, groundbreaking=zero) is None
    assert slow_progress_flag(intent=one, signed=zero, groundbreaking=one) is None
    assert slow_progress_flag(intent=zero, signed=zero, groundbreaking=zero) is None
    # Signing scored: behind the threshold is slow, at it is not.
    scored = {"intent": one, "signed": one, "groundbreaking": zero, "signed_target": Decimal(5)}
    threshold = Decimal("0.70")
    assert slow_progress_flag(**scored, signed_ratio=Decimal("0.69"), threshold=threshold)
    assert not slow_progress_flag(**scored, signed_ratio=Decimal("0.70"), threshold=threshold)


# --- 有项目，项目不多 ----------------------------------------------------------------------


def _codes(flag):
    return [r.code for r in flag.reasons]


def test_few_projects_reasons():
    median = Decimal(4)
    assert few_projects_flag(mix=ProjectMix(total=2, services=2), median=median) is None  # half
    assert few_projects_flag(mix=ProjectMix(), median=median) is None  # nothing to judge

    one = ProjectMix(total=1, major=0, industrial=0, services=1)
    flag = few_projects_flag(mix=one, median=median)
    assert flag.code == FEW_PROJECTS and flag.label == "有项目，项目不多"
    assert "在跟踪项目1个，不足各部门中位数（4个）的一半" in flag.detail
    assert _codes(flag) == [NO_MAJOR, FEW_INDUSTRIAL, NO_HIGH_TECH]
    assert [r.label for r in flag.reasons] == ["大项目少", "工业项目少", "高科技项目少"]

    def codes(**mix):
        return _codes(few_projects_flag(mix=ProjectMix(**mix), median=Decimal(10)))

    assert codes(total=1, industrial=1, high_tech=1) == [NO_MAJOR]
    assert codes(total=2, major=1, services=2, high_tech=1) == [FEW_INDUSTRIAL]
    # As many industrial as services projects is not "fewer".
    assert codes(total=2, major=1, industrial=1, services=1, high_tech=0) == [NO_HIGH_TECH]
    # Few but well mixed: flagged for the count, no sub-reason.
    assert codes(total=2, major=1, industrial=2, high_tech=1) == []


def test_the_median_counts_departments_without_projects_as_zero():
    mix = {1: ProjectMix(total=6), 2: ProjectMix(total=2)}
    assert diagnostics.median_projects(mix, department_ids=[1, 2, 3]) == Decimal(2)
    assert diagnostics.median_projects(mix, department_ids=[1, 2]) == Decimal(4)
    assert diagnostics.median_projects({}, department_ids=[]) == Decimal(0)


@pytest.mark.django_db
def test_project_mix_in_one_query(commerce, finance, settings):
    settings.MAJOR_PROJECT_MIN_INVESTMENT = Decimal(5000)
    make_project(commerce, "P1", industry=Industry.INDUSTRIAL, planned_investment=Decimal(5000))
    make_project(commerce, "P2", industry=Industry.SERVICES, planned_investment=Decimal(4999))
    make_project(commerce, "P3", industry=Industry.SERVICES, is_high_tech=True)
    make_project(commerce, "P4", industry=Industry.AGRICULTURE)
    make_project(
        commerce,
        "P5",
        industry=Industry.INDUSTRIAL,
        planned_investment=Decimal(9000),
        lost_on=date(2026, 4, 1),
        lost_reason="外地竞争",
    )
    make_project(
        commerce,
        "P6",
        industry=Industry.INDUSTRIAL,
        lost_on=date(2026, 4, 20),
        lost_reason="资金链断裂",
    )
    with CaptureQueriesContext(connection) as ctx:
        mix = project_mix(department_ids=[commerce.id, finance.id], as_of=AS_OF)
    assert len(ctx.captured_queries) == 1
    # P5 lost before AS_OF; P6 lost after it, so still counted on AS_OF.
    assert mix == {commerce.id: ProjectMix(total=5, major=1, industrial=2, services=2, high_tech=1)}


@pytest.mark.django_db
def test_few_projects_from_the_league(competition, commerce, finance, settings):
    """商务局 follows 1 project, 财政局 5: the median is 3, and 1 is less than half of it."""
    settings.MAJOR_PROJECT_MIN_INVESTMENT = Decimal(5000)
    make_project(commerce, "P1", industry=Industry.SERVICES, planned_investment=Decimal(800))
    for i in range(5):
        make_project(
            finance,
            f"F{i}",
            industry=Industry.INDUSTRIAL,
            planned_investment=Decimal(6000),
            is_high_tech=True,
        )
    flag = _diagnosis(competition, commerce).few_projects
    assert _codes(flag) == [NO_MAJOR, FEW_INDUSTRIAL, NO_HIGH_TECH]
    assert flag.figures == {
        "projects": 1,
        "median": Decimal(3),
        "major": 0,
        "industrial": 0,
        "services": 1,
        "high_tech": 0,
    }
    assert "在跟踪项目1个，不足各部门中位数（3个）的一半" in flag.detail
    assert "5000万元以上0个" in flag.detail
    assert _diagnosis(competition, finance).few_projects is None
    # Two projects of a median of 3.5 are more than half: no flag.
    make_project(commerce, "P2", industry=Industry.SERVICES)
    assert _diagnosis(competition, commerce).few_projects is None


# --- the whole list -----------------------------------------------------------------------


@pytest.mark.django_db
def test_diagnose_lists_every_department_in_rank_order(competition, commerce, finance):
    make_visit(finance, date(2026, 3, 3))
    make_visit(finance, date(2026, 3, 4))
    league = compute_league(competition, as_of=AS_OF)
    found = diagnose(league=league)
    assert [d.department_name for d in found] == [r.department_name for r in league.rows]
    assert [d.rank for d in found] == [1, 2]
    by_name = {d.department_name: d for d in found}
    assert by_name["财政局"].flagged is False and by_name["财政局"].flags == []
    assert [f.code for f in by_name["商务局"].flags] == [WEAK_ACTION]
    assert diagnostics.flag_counts(found) == {WEAK_ACTION: 1, SLOW_PROGRESS: 0, FEW_PROJECTS: 0}


@pytest.mark.django_db
def test_diagnose_uses_one_query_after_the_league(competition, commerce):
    league = compute_league(competition, as_of=AS_OF)
    with CaptureQueriesContext(connection) as ctx:
        diagnose(league=league)
    assert len(ctx.captured_queries) == 1  # the project mix


def test_reason_counts():
    def diagnosis(mix):
        flag = few_projects_flag(mix=mix, median=Decimal(10))
        return diagnostics.Diagnosis(
            department_id=1, department_name="甲", rank=1, mix=mix, flags=[flag] if flag else []
        )

    found = [
        diagnosis(ProjectMix(total=2, services=2)),  # all three
        diagnosis(ProjectMix(total=1, major=1, industrial=1)),  # no high-tech only
        diagnosis(ProjectMix(total=1, major=1, industrial=1, high_tech=1)),  # none
        diagnosis(ProjectMix(total=6, services=6)),  # not few: no flag, no reasons
    ]
    assert diagnostics.reason_counts(found) == {NO_MAJOR: 1, FEW_INDUSTRIAL: 1, NO_HIGH_TECH: 2}
