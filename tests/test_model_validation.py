"""Model validation: every rule accepted and refused, with its Chinese message and field.

"Today" is fixed at 2026-06-30 (Asia/Shanghai) so the competition dates below are in the past.
"""

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from projects.models import Milestone, Project, Receipt, Stage, Visit
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)
TOMORROW = TODAY + timedelta(days=1)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime(2026, 6, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def d(month, day):
    return date(2026, month, day)


def refused(instance) -> dict[str, list[str]]:
    """full_clean() `instance`, expecting it to fail; return the messages by field."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


def accepted(instance):
    instance.full_clean()
    instance.save()
    return instance


def milestone(project, stage, on, status="verified", **fields):
    return Milestone(project=project, stage=stage, occurred_on=on, status=status, **fields)


def receipt(project, on, amount="100", status="verified", **fields):
    return Receipt(project=project, occurred_on=on, amount=Decimal(amount), status=status, **fields)


@pytest.fixture
def project(commerce):
    return make_project(commerce)


# Stage order: lead → intent → signed → funds received (first receipt) → groundbreaking.


def test_stage_dates_in_order_are_accepted(project):
    make_milestone(project, Stage.LEAD, d(3, 1))
    make_milestone(project, Stage.INTENT, d(3, 5))
    make_milestone(project, Stage.SIGNED, d(3, 5))  # same day as the intent: not backwards
    make_receipt(project, d(3, 15))
    make_milestone(project, Stage.GROUNDBREAKING, d(3, 20))
    assert project.milestones.count() == 4


def test_intent_after_signing_is_refused(project):
    make_milestone(project, Stage.SIGNED, d(3, 10))
    errors = refused(milestone(project, Stage.INTENT, d(3, 12)))
    assert errors == {
        "occurred_on": ["正式签约日期（2026-03-10）不能早于签订意向日期（2026-03-12）。"]
    }


def test_signing_before_lead_is_refused(project):
    make_milestone(project, Stage.LEAD, d(3, 10))
    errors = refused(milestone(project, Stage.SIGNED, d(3, 9)))
    assert errors == {
        "occurred_on": ["正式签约日期（2026-03-09）不能早于信息线索日期（2026-03-10）。"]
    }


def test_groundbreaking_before_signing_is_refused(project):
    make_milestone(project, Stage.SIGNED, d(3, 10))
    errors = refused(milestone(project, Stage.GROUNDBREAKING, d(3, 1)))
    assert errors == {
        "occurred_on": ["开工建设日期（2026-03-01）不能早于正式签约日期（2026-03-10）。"]
    }


def test_receipt_dated_before_signing_is_refused(project):
    make_milestone(project, Stage.SIGNED, d(3, 10))
    errors = refused(receipt(project, d(3, 5)))
    assert errors == {"occurred_on": ["到账日期（2026-03-05）不能早于正式签约日期（2026-03-10）。"]}


def test_receipt_on_the_signing_day_is_accepted(project):
    make_milestone(project, Stage.SIGNED, d(3, 10))
    accepted(receipt(project, d(3, 10)))


def test_later_tranche_dated_before_signing_is_refused(project):
    # Every tranche comes after signing, not just the first one.
    make_milestone(project, Stage.SIGNED, d(3, 10))
    make_receipt(project, d(3, 15))
    errors = refused(receipt(project, d(3, 9)))
    assert errors == {"occurred_on": ["到账日期（2026-03-09）不能早于正式签约日期（2026-03-10）。"]}


def test_first_receipt_after_groundbreaking_is_refused(project):
    make_milestone(project, Stage.SIGNED, d(3, 10))
    make_milestone(project, Stage.GROUNDBREAKING, d(3, 20))
    errors = refused(receipt(project, d(3, 25)))
    assert errors == {
        "occurred_on": ["开工建设日期（2026-03-20）不能早于资金到账日期（2026-03-25）。"]
    }


def test_later_tranche_after_groundbreaking_is_accepted(project):
    make_milestone(project, Stage.SIGNED, d(3, 10))
    make_receipt(project, d(3, 15))
    make_milestone(project, Stage.GROUNDBREAKING, d(3, 20))
    accepted(receipt(project, d(3, 25)))
    assert project.receipts.count() == 2


def test_groundbreaking_before_first_receipt_is_refused(project):
    make_receipt(project, d(3, 15))
    errors = refused(milestone(project, Stage.GROUNDBREAKING, d(3, 12)))
    assert errors == {
        "occurred_on": ["开工建设日期（2026-03-12）不能早于资金到账日期（2026-03-15）。"]
    }


def test_pending_records_take_part_in_the_order(project):
    make_milestone(project, Stage.SIGNED, d(3, 10), status="pending")
    errors = refused(milestone(project, Stage.INTENT, d(3, 12)))
    assert "occurred_on" in errors


def test_editing_a_milestone_replaces_its_stored_date(project):
    signed = make_milestone(project, Stage.SIGNED, d(3, 10))
    make_milestone(project, Stage.GROUNDBREAKING, d(3, 20))
    signed.occurred_on = d(3, 15)  # later than before, still before groundbreaking
    accepted(signed)
    signed.occurred_on = d(3, 25)
    assert refused(signed) == {
        "occurred_on": ["开工建设日期（2026-03-20）不能早于正式签约日期（2026-03-25）。"]
    }


def test_editing_the_first_receipt_replaces_its_stored_date(project):
    first = make_receipt(project, d(3, 15))
    make_milestone(project, Stage.GROUNDBREAKING, d(3, 20))
    first.occurred_on = d(3, 18)
    accepted(first)
    first.occurred_on = d(3, 21)
    assert "occurred_on" in refused(first)


def test_returned_milestone_is_ignored_for_the_order(project):
    make_milestone(project, Stage.SIGNED, d(3, 10), status="returned", return_reason="日期有误")
    accepted(milestone(project, Stage.GROUNDBREAKING, d(3, 5)))


def test_returned_receipt_is_ignored_for_the_order(project):
    make_milestone(project, Stage.SIGNED, d(3, 10))
    Receipt.objects.create(
        project=project, occurred_on=d(3, 25), amount=1, status="returned", return_reason="重复"
    )
    # The returned receipt would be the first one and come after groundbreaking.
    accepted(milestone(project, Stage.GROUNDBREAKING, d(3, 20)))


def test_returning_a_receipt_dated_before_signing_is_accepted(project):
    # Returning is how the office sends a wrong date back; the wrong date must not block it.
    make_milestone(project, Stage.SIGNED, d(3, 10))
    wrong = Receipt.objects.create(project=project, occurred_on=d(3, 5), amount=100)
    wrong.status, wrong.return_reason = "returned", "到账日期早于签约"
    accepted(wrong)


def test_returning_a_milestone_dated_after_the_loss_is_accepted(project):
    Milestone.objects.create(project=project, stage=Stage.SIGNED, occurred_on=d(4, 10))
    signed = project.milestones.get()
    Project.objects.filter(pk=project.pk).update(lost_on=d(4, 1), lost_reason="外迁")
    signed.project.refresh_from_db()
    signed.status, signed.return_reason = "returned", "流失后登记"
    accepted(signed)


def test_returning_the_first_receipt_may_not_leave_groundbreaking_before_funding(project):
    # Leaving the returned receipt out moves the funded date to the next tranche.
    first = make_receipt(project, d(3, 15))
    make_milestone(project, Stage.GROUNDBREAKING, d(3, 20))
    make_receipt(project, d(3, 25))
    first.status, first.return_reason = "returned", "凭证不符"
    assert refused(first) == {
        "occurred_on": ["开工建设日期（2026-03-20）不能早于资金到账日期（2026-03-25）。"]
    }


# Lost projects.


def test_milestone_after_the_loss_is_refused(project):
    make_milestone(project, Stage.INTENT, d(3, 1))
    project.lost_on, project.lost_reason = d(3, 15), "投资方资金链断裂"
    accepted(project)
    errors = refused(milestone(project, Stage.SIGNED, d(3, 20)))
    assert errors == {"occurred_on": ["项目已于2026-03-15流失，不能登记之后的节点。"]}
    accepted(milestone(project, Stage.SIGNED, d(3, 15)))  # on the day of the loss


def test_receipt_after_the_loss_is_refused(project):
    project.lost_on, project.lost_reason = d(3, 15), "外迁"
    accepted(project)
    assert refused(receipt(project, d(3, 16))) == {
        "occurred_on": ["项目已于2026-03-15流失，不能登记之后的节点。"]
    }


def test_lost_date_before_the_last_stage_is_refused(project):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    make_receipt(project, d(3, 10))
    make_receipt(project, d(3, 20))
    project.lost_on, project.lost_reason = d(3, 12), "外迁"
    assert refused(project) == {
        "lost_on": ["流失日期不能早于项目最后一个节点的日期（2026-03-20）。"]
    }
    project.lost_on = d(3, 20)
    accepted(project)


def test_lost_date_ignores_returned_records(project):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    make_milestone(project, Stage.GROUNDBREAKING, d(3, 20), status="returned", return_reason="假")
    project.lost_on, project.lost_reason = d(3, 5), "外迁"
    accepted(project)


def test_lost_date_without_reason_is_refused(project):
    project.lost_on, project.lost_reason = d(3, 1), "  "
    assert refused(project) == {"lost_reason": ["标记流失时必须填写流失原因。"]}


def test_lost_reason_without_date_is_refused(project):
    project.lost_reason = "外迁"
    assert refused(project) == {"lost_on": ["填写了流失原因时必须填写流失日期。"]}


def test_lost_date_and_reason_together_are_accepted(project):
    project.lost_on, project.lost_reason = d(3, 1), "外迁"
    accepted(project)
    assert Project.objects.get(pk=project.pk).is_lost


# No future dates.


@pytest.mark.parametrize("on", [TODAY, TOMORROW], ids=["today", "tomorrow"])
def test_no_future_dates(commerce, project, on):
    candidates = {
        "milestone": (milestone(project, Stage.LEAD, on), "occurred_on"),
        "receipt": (receipt(project, on), "occurred_on"),
        "visit": (
            Visit(department=commerce, occurred_on=on, investor_org="客商", persons=2),
            "occurred_on",
        ),
        "lost": (
            Project(code="P2", name="项目", department=commerce, lost_on=on, lost_reason="外迁"),
            "lost_on",
        ),
    }
    for name, (instance, field) in candidates.items():
        if on == TODAY:
            instance.full_clean()
        else:
            assert refused(instance) == {field: ["日期不能晚于今天。"]}, name


# Amounts and persons.


@pytest.mark.parametrize("amount", ["0", "-1", "-0.01"])
def test_receipt_amount_not_positive_is_refused(project, amount):
    assert refused(receipt(project, d(3, 1), amount=amount)) == {"amount": ["金额必须大于0。"]}


def test_smallest_receipt_amount_is_accepted(project):
    assert accepted(receipt(project, d(3, 1), amount="0.01")).amount == Decimal("0.01")


def test_visit_of_no_persons_is_refused(commerce):
    visit = Visit(department=commerce, occurred_on=d(3, 1), investor_org="客商", persons=0)
    assert refused(visit) == {"persons": ["人数至少为1。"]}


def test_visit_of_one_person_is_accepted(commerce):
    assert make_visit(commerce, d(3, 1), persons=1).persons == 1


# One milestone per stage; no "funds received" milestone.


def test_second_milestone_of_a_stage_is_refused(project):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    assert refused(milestone(project, Stage.SIGNED, d(3, 2))) == {
        NON_FIELD_ERRORS: ["该项目已有此阶段的节点，每个阶段只能有一个。"]
    }


def test_constraint_is_checked_by_validate_constraints(project):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    with pytest.raises(ValidationError) as excinfo:
        milestone(project, Stage.SIGNED, d(3, 1)).validate_constraints()
    assert excinfo.value.messages == ["该项目已有此阶段的节点，每个阶段只能有一个。"]


def test_same_stage_on_another_project_is_accepted(commerce, project):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    make_milestone(make_project(commerce, code="P002"), Stage.SIGNED, d(3, 1))


def test_funds_received_milestone_is_refused(project):
    errors = refused(milestone(project, Stage.FUNDED, d(3, 1)))
    assert "资金到账阶段请登记到账记录。" in errors["stage"]


# Returned records need a reason.


@pytest.mark.parametrize("kind", ["milestone", "receipt"])
def test_returned_without_reason_is_refused(project, kind):
    record = (
        milestone(project, Stage.LEAD, d(3, 1))
        if kind == "milestone"
        else receipt(project, d(3, 1))
    )
    record.status = "returned"
    record.return_reason = " "
    assert refused(record) == {"return_reason": ["退回时必须填写原因。"]}
    record.return_reason = "佐证材料不清晰"
    accepted(record)


# Competitions and weights.


def test_competition_ending_before_it_starts_is_refused():
    from competition.models import Competition

    competition = Competition(name="百日竞赛", start_date=d(7, 1), end_date=d(6, 30))
    assert refused(competition) == {"end_date": ["结束日期不能早于开始日期。"]}
    competition.end_date = d(7, 1)  # a one-day window
    accepted(competition)
    assert competition.days == 1


def test_negative_weight_is_refused():
    from competition.models import Competition, MetricWeight

    competition = Competition.objects.create(name="百日竞赛", start_date=d(5, 1), end_date=d(8, 8))
    weight = MetricWeight(competition=competition, metric="visit_batches", weight=Decimal("-1"))
    assert refused(weight) == {"weight": ["权重不能为负数。"]}
    weight.weight = Decimal(0)  # zero: reported, not scored
    accepted(weight)


# Derived flags: the properties and the with_flags() annotation always agree.


def flags(project) -> tuple[tuple[bool, bool], tuple[bool, bool]]:
    """((is_major, is_reward_eligible), (major, reward_eligible)) of `project`."""
    project.save()
    annotated = Project.objects.with_flags().get(pk=project.pk)
    return (project.is_major, project.is_reward_eligible), (
        annotated.major,
        annotated.reward_eligible,
    )


def assert_flags(project, *, major, reward_eligible):
    properties, annotated = flags(project)
    assert properties == (major, reward_eligible)
    assert annotated == (major, reward_eligible)
    assert Project.objects.major().filter(pk=project.pk).exists() == major
    assert Project.objects.reward_eligible().filter(pk=project.pk).exists() == reward_eligible


@pytest.mark.parametrize(
    ("investment", "major"),
    [("5000", True), ("4999.99", False), ("80000", True), ("0", False), (None, False)],
)
def test_major_project_threshold(commerce, investment, major):
    project = Project(
        code="P1",
        name="项目",
        department=commerce,
        planned_investment=None if investment is None else Decimal(investment),
    )
    assert_flags(project, major=major, reward_eligible=False)


def test_major_project_threshold_comes_from_settings(commerce, settings):
    settings.MAJOR_PROJECT_MIN_INVESTMENT = Decimal("10000")
    project = Project(code="P1", name="项目", department=commerce, planned_investment=Decimal(5000))
    assert_flags(project, major=False, reward_eligible=False)
    settings.MAJOR_PROJECT_MIN_INVESTMENT = Decimal("4999.99")
    project.planned_investment = Decimal("4999.99")
    assert_flags(project, major=True, reward_eligible=False)


_codes = itertools.count(1)


def reward_candidate(commerce, **overrides) -> Project:
    """A project that meets every condition of the long-term reward exactly at the thresholds."""
    fields = {
        "industry": "industrial",
        "zone": "经济开发区",
        "planned_investment": Decimal("5000"),
        "registered_capital": Decimal("2024"),
    }
    fields.update(overrides)
    return Project(code=f"R{next(_codes)}", name="项目", department=commerce, **fields)


def test_reward_eligible_at_the_thresholds(commerce, settings):
    settings.REWARD_ZONES = ["经济开发区", "港经济区"]
    assert_flags(reward_candidate(commerce), major=True, reward_eligible=True)
    assert_flags(reward_candidate(commerce, zone="港经济区"), major=True, reward_eligible=True)


@pytest.mark.parametrize(
    "failing",
    [
        {"industry": "services"},
        {"industry": "agriculture"},
        {"zone": "老城区"},
        {"zone": ""},
        {"planned_investment": Decimal("4999.99")},
        {"planned_investment": None},
        {"registered_capital": Decimal("2023.99")},
        {"registered_capital": None},
    ],
    ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()),
)
def test_reward_needs_every_condition(commerce, settings, failing):
    settings.REWARD_ZONES = ["经济开发区", "港经济区"]
    project = reward_candidate(commerce, **failing)
    major = "planned_investment" not in failing
    assert_flags(project, major=major, reward_eligible=False)


def test_reward_thresholds_and_zones_come_from_settings(commerce, settings):
    settings.REWARD_ZONES = ["高新区"]
    settings.REWARD_MIN_INVESTMENT = Decimal("3000")
    settings.REWARD_MIN_REGISTERED_CAPITAL = Decimal("1000")
    assert_flags(reward_candidate(commerce), major=True, reward_eligible=False)  # zone
    project = reward_candidate(
        commerce,
        zone="高新区",
        planned_investment=Decimal("3000"),
        registered_capital=Decimal("1000"),
    )
    assert_flags(project, major=False, reward_eligible=True)
    project.registered_capital = Decimal("999.99")
    assert_flags(project, major=False, reward_eligible=False)


def test_no_reward_zones_means_no_reward(commerce, settings):
    settings.REWARD_ZONES = []
    assert_flags(reward_candidate(commerce), major=True, reward_eligible=False)
