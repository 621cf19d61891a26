"""State changes without HTTP: review transitions, edits, lost projects, codes and leads.

"Today" is 2026-06-30 (Asia/Shanghai).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from projects import services
from projects.filters import lead_counts_by_channel, lead_counts_by_submitter
from projects.models import CodeCounter, Milestone, Project, Receipt, ReviewStatus, Stage
from tests.conftest import make_milestone, make_project, make_receipt

pytestmark = pytest.mark.django_db

PENDING, VERIFIED, RETURNED = ReviewStatus.PENDING, ReviewStatus.VERIFIED, ReviewStatus.RETURNED
TODAY = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def project(commerce):
    return make_project(commerce)


def d(month, day):
    return date(2026, month, day)


def latest_history(record):
    return type(record).history.filter(id=record.pk).order_by("-history_date", "-history_id")[0]


# The edit rule ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "changed", "expected"),
    [
        (VERIFIED, {"occurred_on"}, PENDING),
        (VERIFIED, {"amount"}, PENDING),
        (VERIFIED, {"stage"}, PENDING),
        (VERIFIED, {"evidence"}, PENDING),
        (VERIFIED, set(), VERIFIED),
        (RETURNED, set(), PENDING),  # saving a returned record resubmits it
        (RETURNED, {"occurred_on"}, PENDING),
        (PENDING, {"occurred_on", "amount"}, PENDING),
    ],
)
def test_status_after_edit(status, changed, expected):
    assert services.status_after_edit(status=status, changed=changed) == expected


def test_editing_a_verified_receipts_amount_sends_it_back_to_pending(project, liaison, office):
    receipt = make_receipt(project, d(3, 1), amount="100", status=PENDING)
    services.verify(receipt, by=office)
    receipt.refresh_from_db()
    receipt.amount = 120
    services.save_record(receipt, by=liaison, original_status=VERIFIED, changed=["amount"])
    receipt.refresh_from_db()
    assert (receipt.status, receipt.reviewed_by, receipt.reviewed_at) == (PENDING, None, None)
    entry = latest_history(receipt)
    assert (entry.history_user, entry.status) == (liaison, PENDING)
    assert "重新核实" in entry.history_change_reason


def test_editing_a_returned_milestone_resubmits_it_and_clears_the_reason(project, liaison, office):
    milestone = make_milestone(project, Stage.INTENT, d(3, 1), status=PENDING)
    services.return_record(milestone, by=office, reason="意向书缺盖章")
    milestone.refresh_from_db()
    milestone.occurred_on = d(3, 2)
    services.save_record(milestone, by=liaison, original_status=RETURNED, changed=["occurred_on"])
    milestone.refresh_from_db()
    assert (milestone.status, milestone.return_reason) == (PENDING, "")
    # The reason is not lost: history keeps the returned version.
    assert Milestone.history.filter(id=milestone.pk, return_reason="意向书缺盖章").exists()


def test_an_edit_is_refused_when_the_office_acted_meanwhile(project, liaison, office):
    milestone = make_milestone(project, Stage.INTENT, d(3, 1), status=PENDING)
    stale = Milestone.objects.get(pk=milestone.pk)
    services.verify(milestone, by=office)
    stale.occurred_on = d(3, 5)
    with pytest.raises(services.Conflict):
        services.save_record(stale, by=liaison, original_status=PENDING, changed=["occurred_on"])
    milestone.refresh_from_db()
    assert (milestone.status, milestone.occurred_on) == (VERIFIED, d(3, 1))


def test_a_new_record_is_pending_and_logged_by_its_author(project, liaison):
    milestone = Milestone(project=project, stage=Stage.INTENT, occurred_on=d(3, 1), status=VERIFIED)
    services.save_record(milestone, by=liaison, original_status=None)
    milestone.refresh_from_db()
    assert (milestone.status, milestone.logged_by) == (PENDING, liaison)
    assert latest_history(milestone).history_user == liaison


# Review transitions -------------------------------------------------------------------
def test_verify_records_who_and_when_and_writes_history(project, office):
    milestone = make_milestone(project, Stage.SIGNED, d(3, 1), status=PENDING)
    services.verify(milestone, by=office)
    milestone.refresh_from_db()
    assert (milestone.status, milestone.reviewed_by) == (VERIFIED, office)
    assert milestone.reviewed_at is not None
    entry = latest_history(milestone)
    assert (entry.history_type, entry.history_user, entry.status) == ("~", office, VERIFIED)
    assert entry.history_change_reason == "核实通过"


def test_verifying_twice_is_a_conflict_not_a_second_change(project, office):
    receipt = make_receipt(project, d(3, 1), status=PENDING)
    services.verify(receipt, by=office)
    with pytest.raises(services.Conflict):
        services.verify(receipt, by=office)
    assert Receipt.history.filter(id=receipt.pk, status=VERIFIED).count() == 1


def test_verify_compares_with_the_database_not_the_stale_instance(project, office):
    """Two office users: the first returns the record, the second's page still shows pending."""
    milestone = make_milestone(project, Stage.INTENT, d(3, 1), status=PENDING)
    seen_by_second = Milestone.objects.get(pk=milestone.pk)
    services.return_record(milestone, by=office, reason="日期有误")
    with pytest.raises(services.Conflict):
        services.verify(seen_by_second, by=office)
    milestone.refresh_from_db()
    assert milestone.status == RETURNED


def test_return_needs_a_reason_and_keeps_it(project, office):
    milestone = make_milestone(project, Stage.INTENT, d(3, 1), status=PENDING)
    with pytest.raises(ValidationError):
        services.return_record(milestone, by=office, reason="   ")
    services.return_record(milestone, by=office, reason="缺少意向书")
    milestone.refresh_from_db()
    assert (milestone.status, milestone.return_reason, milestone.reviewed_by) == (
        RETURNED,
        "缺少意向书",
        office,
    )
    assert latest_history(milestone).history_change_reason == "退回：缺少意向书"


def test_a_verified_record_can_be_returned(project, office):
    receipt = make_receipt(project, d(3, 1), status=VERIFIED)
    services.return_record(receipt, by=office, reason="到账凭证与金额不符")
    receipt.refresh_from_db()
    assert receipt.status == RETURNED


def test_bulk_verify_skips_records_already_handled(project, commerce, office):
    other = make_project(commerce, code="P002")
    m1 = make_milestone(project, Stage.INTENT, d(3, 1), status=PENDING)
    m2 = make_milestone(other, Stage.INTENT, d(3, 1), status=RETURNED, return_reason="x")
    r1 = make_receipt(project, d(3, 2), status=PENDING)
    done = services.verify_records(milestone_ids=[m1.pk, m2.pk], receipt_ids=[r1.pk], by=office)
    assert done == 2
    assert Milestone.objects.get(pk=m2.pk).status == RETURNED


def test_bulk_review_is_one_transaction(project, office, monkeypatch):
    milestone = make_milestone(project, Stage.INTENT, d(3, 1), status=PENDING)
    receipt = make_receipt(project, d(3, 2), status=PENDING)

    real_transition = services._transition

    def fail_on_receipts(model, *args, **kwargs):
        if model is Receipt:
            raise RuntimeError("disk full")
        return real_transition(model, *args, **kwargs)

    # The milestones are done, then the receipts fail: nothing stays.
    monkeypatch.setattr(services, "_transition", fail_on_receipts)
    with pytest.raises(RuntimeError):
        services.verify_records(milestone_ids=[milestone.pk], receipt_ids=[receipt.pk], by=office)
    assert Milestone.objects.get(pk=milestone.pk).status == PENDING
    assert Receipt.objects.get(pk=receipt.pk).status == PENDING
    assert not Milestone.history.filter(id=milestone.pk, status=VERIFIED).exists()


def test_bulk_return_needs_a_reason(project, office):
    milestone = make_milestone(project, Stage.INTENT, d(3, 1), status=PENDING)
    with pytest.raises(ValidationError):
        services.return_records(milestone_ids=[milestone.pk], by=office, reason="")


def test_resubmit_moves_returned_to_pending(project, liaison, office):
    milestone = make_milestone(project, Stage.INTENT, d(3, 1), status=PENDING)
    services.return_record(milestone, by=office, reason="补充材料")
    milestone.refresh_from_db()
    services.resubmit(milestone, by=liaison)
    milestone.refresh_from_db()
    assert (milestone.status, milestone.reviewed_by, milestone.return_reason) == (PENDING, None, "")
    assert latest_history(milestone).history_user == liaison
    with pytest.raises(services.Conflict):
        services.resubmit(milestone, by=liaison)


def test_resubmit_refuses_a_date_that_would_go_backwards(project, liaison):
    # A returned intent dated after the signing does not count, so it was allowed to stay;
    # sending it back unchanged would make the dates go backwards.
    make_milestone(project, Stage.SIGNED, d(3, 1))
    intent = make_milestone(
        project, Stage.INTENT, d(3, 10), status=RETURNED, return_reason="日期有误"
    )
    with pytest.raises(ValidationError) as excinfo:
        services.resubmit(intent, by=liaison)
    assert "不能早于" in str(excinfo.value)
    assert Milestone.objects.get(pk=intent.pk).status == RETURNED


def test_resubmit_sees_a_stage_recorded_after_its_check(project, liaison, monkeypatch):
    """A returned intent of 10 March resubmitted while another user records the signing on
    1 March: the signing arrives between the resubmit's check and its lock (saved as the
    check runs here), and the check under the lock refuses the resubmit."""
    intent = make_milestone(
        project, Stage.INTENT, d(3, 10), status=RETURNED, return_reason="日期有误"
    )
    checked = services.check_stage_order

    def check_then_someone_saves(*args, **kwargs):
        checked(*args, **kwargs)
        if not Milestone.objects.filter(project=project, stage=Stage.SIGNED).exists():
            make_milestone(project, Stage.SIGNED, d(3, 1), status=PENDING)

    monkeypatch.setattr(services, "check_stage_order", check_then_someone_saves)
    with pytest.raises(ValidationError) as refused:
        services.resubmit(intent, by=liaison)

    assert "不能早于" in refused.value.message_dict["occurred_on"][0]
    assert Milestone.objects.get(pk=intent.pk).status == RETURNED


# Lost projects ------------------------------------------------------------------------
def test_mark_lost_keeps_date_reason_and_who(project, liaison):
    make_milestone(project, Stage.INTENT, d(3, 1))
    services.mark_lost(project, by=liaison, lost_on=d(4, 1), reason="投资方转投外省")
    project.refresh_from_db()
    assert (project.lost_on, project.lost_reason) == (d(4, 1), "投资方转投外省")
    entry = latest_history(project)
    assert (entry.history_user, entry.lost_on) == (liaison, d(4, 1))
    assert entry.history_change_reason.startswith("标记流失")


@pytest.mark.parametrize(
    ("lost_on", "reason", "field"),
    [
        (date(2026, 2, 1), "转投外省", "lost_on"),  # before the last stage
        (date(2026, 7, 1), "转投外省", "lost_on"),  # tomorrow
        (date(2026, 4, 1), "  ", "lost_reason"),
    ],
)
def test_mark_lost_refuses(project, liaison, lost_on, reason, field):
    make_receipt(project, d(3, 1), status=PENDING)
    with pytest.raises(ValidationError) as excinfo:
        services.mark_lost(project, by=liaison, lost_on=lost_on, reason=reason)
    assert field in excinfo.value.message_dict
    assert Project.objects.get(pk=project.pk).lost_on is None


def test_mark_lost_twice_is_a_conflict(project, liaison):
    services.mark_lost(project, by=liaison, lost_on=d(4, 1), reason="转投外省")
    with pytest.raises(services.Conflict):
        services.mark_lost(project, by=liaison, lost_on=d(4, 2), reason="又一次")
    assert Project.objects.get(pk=project.pk).lost_on == d(4, 1)


# Codes and leads ----------------------------------------------------------------------
def test_next_code_counts_within_the_year(commerce):
    assert services.next_code(year=2026) == "XM-2026-0001"
    assert services.next_code(year=2025) == "XM-2025-0001"
    make_project(commerce, code="XM-2026-0002")  # typed by hand: skipped
    make_project(commerce, code="XM-2026-note")
    assert services.next_code(year=2026) == "XM-2026-0003"
    CodeCounter.objects.filter(year=2026).update(last=9999)
    assert services.next_code(year=2026) == "XM-2026-10000"  # past four digits


def test_submit_lead_makes_a_project_with_a_lead_milestone(commerce, staff_member):
    lead = Project(department=commerce, name="电池项目", source_channel="classmate")
    services.submit_lead(lead, by=staff_member, today=TODAY)
    lead.refresh_from_db()
    assert (lead.code, lead.submitted_by, lead.source_channel) == (
        "XM-2026-0001",
        staff_member,
        "classmate",
    )
    milestone = lead.milestones.get()
    assert (milestone.stage, milestone.occurred_on, milestone.status, milestone.logged_by) == (
        Stage.LEAD,
        TODAY,
        PENDING,
        staff_member,
    )
    assert latest_history(lead).history_user == staff_member


def test_a_code_taken_by_a_concurrent_request_is_retried(commerce, staff_member, monkeypatch):
    make_project(commerce, code="XM-2026-0001")
    codes = iter(["XM-2026-0001", "XM-2026-0002"])  # the first one was just taken
    monkeypatch.setattr(services, "next_code", lambda *, year: next(codes))
    lead = services.submit_lead(
        Project(department=commerce, name="线索", source_channel="fair"),
        by=staff_member,
        today=TODAY,
    )
    assert lead.code == "XM-2026-0002"
    assert Project.objects.filter(code__startswith="XM-").count() == 2


def test_code_retries_give_up_eventually(commerce, staff_member, monkeypatch):
    make_project(commerce, code="XM-2026-0001")
    monkeypatch.setattr(services, "next_code", lambda *, year: "XM-2026-0001")
    with pytest.raises(IntegrityError):
        services.submit_lead(
            Project(department=commerce, name="线索", source_channel="fair"),
            by=staff_member,
            today=TODAY,
        )
    assert not Milestone.objects.exists()


def test_create_project_keeps_a_typed_code_or_generates_one(commerce, liaison):
    typed = services.create_project(
        Project(department=commerce, name="甲", code="SW-001"), by=liaison, today=TODAY
    )
    generated = services.create_project(
        Project(department=commerce, name="乙"), by=liaison, today=TODAY
    )
    assert (typed.code, generated.code) == ("SW-001", "XM-2026-0001")


# Stage reached and lead counts -------------------------------------------------------
def test_stage_reached_is_the_highest_live_record(commerce):
    make_project(commerce, code="P0")  # nothing recorded
    lead = make_project(commerce, code="P1")
    make_milestone(lead, Stage.LEAD, d(1, 5), status=PENDING)
    funded = make_project(commerce, code="P2")
    make_milestone(funded, Stage.SIGNED, d(2, 1))
    make_receipt(funded, d(3, 1))
    late = make_receipt(funded, d(4, 1), status=PENDING)
    services.return_record(late, by=None, reason="凭证不清")
    built = make_project(commerce, code="P3")
    make_receipt(built, d(3, 1))
    make_milestone(built, Stage.GROUNDBREAKING, d(5, 1))
    returned = make_project(commerce, code="P4")
    make_milestone(returned, Stage.INTENT, d(2, 1))
    make_milestone(returned, Stage.SIGNED, d(3, 1), status=RETURNED, return_reason="x")
    expected = {
        "P0": (None, None),
        "P1": (Stage.LEAD, d(1, 5)),
        "P2": (Stage.FUNDED, d(3, 1)),
        "P3": (Stage.GROUNDBREAKING, d(5, 1)),
        "P4": (Stage.INTENT, d(2, 1)),
    }
    stored = {p.code: (p.stage_reached, p.last_milestone_on) for p in Project.objects.all()}
    computed = {
        p.code: (p.computed_stage_reached, p.computed_last_milestone_on)
        for p in Project.objects.with_computed_progress()
    }
    assert stored == computed == expected


def test_lead_counts_by_submitter_and_channel(
    commerce, finance, staff_member, liaison, django_assert_num_queries
):
    def lead(by, channel, department=commerce):
        return services.submit_lead(
            Project(department=department, name="线索", source_channel=channel), by=by, today=TODAY
        )

    first = lead(staff_member, "classmate")
    lead(staff_member, "classmate")
    lead(staff_member, "comrade", finance)
    lead(liaison, "door_knocking")
    make_milestone(first, Stage.INTENT, TODAY)
    leads = Project.objects.all()
    with django_assert_num_queries(1):
        by_submitter = lead_counts_by_submitter(leads)
    with django_assert_num_queries(1):
        by_channel = lead_counts_by_channel(leads)
    assert [(r["submitted_by__person__name"], r["leads"], r["advanced"]) for r in by_submitter] == [
        ("商务职工", 3, 1),
        ("商务联络员", 1, 0),
    ]
    assert [(r["label"], r["leads"]) for r in by_channel] == [
        ("老同学", 2),
        ("老战友", 1),  # ties in the order of the channel choices
        ("敲门招商", 1),
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_creators_get_distinct_codes_without_retrying(commerce, liaison, monkeypatch):
    """Eight requests create projects at the same instant with one attempt each: codes are
    handed out one at a time (services.next_code), so none of them clashes. (SQLite has
    one writer at a time: there the creators take turns.)"""
    import threading

    from django.db import connection

    monkeypatch.setattr(services, "CODE_ATTEMPTS", 1)
    creators = 8 if connection.vendor == "postgresql" else 1
    start = threading.Barrier(creators)
    errors, codes = [], []

    def create(i: int) -> None:
        try:
            start.wait(timeout=10)
            for j in range(3):
                project = services.create_project(
                    Project(department=commerce, name=f"并发{i}-{j}"), by=liaison, today=TODAY
                )
                codes.append(project.code)
        except BaseException as e:  # reported by the main thread
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(creators)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    prefix = services.CODE_PREFIX
    assert sorted(codes) == [f"{prefix}-2026-{n:04d}" for n in range(1, 3 * creators + 1)]
