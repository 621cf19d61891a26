"""Issue 20: visits reviewed like milestones and receipts, the evidence policy, 补录.

Personas: a liaison of 商务局 (`liaison`), a liaison of 财政局 (`other_liaison`), the office.
"Today" is 2026-06-30 in 大丰 (Asia/Shanghai).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from competition.scoring import compute_league
from notifications.models import Notification
from projects import services
from projects.lateness import late_counts
from projects.models import EvidencePolicy, Milestone, ReviewStatus, Stage, Visit
from tests.conftest import make_competition, make_milestone, make_project, make_visit

pytestmark = pytest.mark.django_db

PENDING, VERIFIED, RETURNED = ReviewStatus.PENDING, ReviewStatus.VERIFIED, ReviewStatus.RETURNED
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=TZ), tick=False)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(response) -> str:
    return response.content.decode()


def typed_on(record, day: date) -> None:
    """Pretend `record` was typed in on `day`."""
    type(record).objects.filter(pk=record.pk).update(
        created_at=datetime(day.year, day.month, day.day, 10, tzinfo=TZ)
    )


def visit_form(department, **fields) -> dict:
    data = {
        "department": department.pk,
        "occurred_on": "2026-06-20",
        "investor_org": "苏州某电子公司",
        "persons": 3,
        "host": "",
        "purpose": "考察",
        "project": "",
    }
    return data | fields


def visits_counted(competition, department, as_of=date(2026, 6, 30)):
    league = compute_league(competition, as_of=as_of)
    actuals = next(r for r in league.rows if r.department_id == department.pk).actuals
    return actuals["visit_batches"], actuals["visitors"]


# Visits reviewed ---------------------------------------------------------------------------
def test_a_logged_visit_counts_only_once_the_office_verifies_it(liaison, office, commerce):
    competition = make_competition(commerce)  # 2026-03-01..2026-06-08
    data = visit_form(commerce, occurred_on="2026-06-05")
    response = login(liaison).post(reverse("projects:visit_create"), data)
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.status, visit.logged_by) == (PENDING, liaison)
    assert visits_counted(competition, commerce) == (0, 0)

    response = login(office).post(reverse("projects:verify", args=["visit", visit.pk]))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.reviewed_by) == (VERIFIED, office)
    assert visits_counted(competition, commerce) == (1, 3)


def test_pending_visits_count_when_the_competition_counts_pending(commerce):
    competition = make_competition(commerce)
    competition.count_pending = True
    competition.save()
    make_visit(commerce, date(2026, 6, 1), persons=2, status=PENDING)
    make_visit(commerce, date(2026, 6, 2), persons=5, status=RETURNED, return_reason="人数不符")
    assert visits_counted(competition, commerce) == (1, 2)


def test_a_returned_visit_notifies_its_liaison_and_an_edit_resubmits_it(liaison, office, commerce):
    visit = make_visit(commerce, date(2026, 6, 20), status=PENDING, logged_by=liaison)
    response = login(office).post(
        reverse("projects:return", args=["visit", visit.pk]), {"reason": "人数与接待单不符"}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.return_reason) == (RETURNED, "人数与接待单不符")
    note = Notification.objects.get()
    assert note.recipient == liaison and note.kind == Notification.Kind.RECORD_RETURNED
    assert note.url == reverse("projects:visit_edit", args=[visit.pk])
    assert "人数与接待单不符" in note.title

    as_liaison = login(liaison)
    assert "人数与接待单不符" in page(as_liaison.get(reverse("projects:returned")))
    url = reverse("projects:visit_edit", args=[visit.pk])
    response = as_liaison.post(url, visit_form(commerce, persons=2))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.persons, visit.return_reason) == (PENDING, 2, "")
    # History: who, when, before and after, on the visit's own page.
    html = page(as_liaison.get(reverse("projects:visit_detail", args=[visit.pk])))
    assert "修改后重新提交" in html and "退回：人数与接待单不符" in html
    assert "<del>3</del> → <ins>2</ins>" in html


def test_editing_a_verified_visits_persons_sends_it_back_to_pending(liaison, commerce):
    visit = make_visit(commerce, date(2026, 6, 20), persons=3, logged_by=liaison)
    url = reverse("projects:visit_edit", args=[visit.pk])
    login(liaison).post(url, visit_form(commerce, purpose="再次考察"))
    visit.refresh_from_db()
    assert visit.status == VERIFIED  # what the office checked did not change
    login(liaison).post(url, visit_form(commerce, persons=4))
    visit.refresh_from_db()
    assert visit.status == PENDING


def test_returning_a_milestone_notifies_the_liaison_who_logged_it(liaison, office, commerce):
    project = make_project(commerce)
    milestone = make_milestone(project, Stage.SIGNED, date(2026, 6, 1), status=PENDING)
    Milestone.objects.filter(pk=milestone.pk).update(logged_by=liaison)
    milestone.refresh_from_db()
    services.return_record(milestone, by=office, reason="合同未盖章")
    note = Notification.objects.get()
    assert note.recipient == liaison
    assert note.url == reverse("projects:milestone_edit", args=[milestone.pk])


def test_the_queue_lists_pending_visits_and_bulk_verifies_them(office, commerce, finance):
    mine = make_visit(commerce, date(2026, 6, 20), status=PENDING, investor_org="甲公司")
    other = make_visit(finance, date(2026, 6, 21), status=PENDING, investor_org="乙公司")
    as_office = login(office)
    html = page(as_office.get(reverse("projects:queue")))
    assert "甲公司" in html and "乙公司" in html
    filtered = page(as_office.get(reverse("projects:queue"), {"department": commerce.pk}))
    assert "甲公司" in filtered and "乙公司" not in filtered
    as_office.post(reverse("projects:queue_bulk"), {"action": "verify", "visit": [mine.pk]})
    assert Visit.objects.get(pk=mine.pk).status == VERIFIED
    assert Visit.objects.get(pk=other.pk).status == PENDING


# The evidence policy -------------------------------------------------------------------------
def test_verifying_without_required_evidence_needs_a_reason_kept_in_history(office, commerce):
    project = make_project(commerce)
    signed = make_milestone(project, Stage.SIGNED, date(2026, 6, 1), status=PENDING, evidence="")
    as_office = login(office)
    html = page(as_office.get(reverse("projects:queue")))
    assert "缺少佐证：合同" in html
    assert page(as_office.get(reverse("projects:detail", args=[project.pk]))).count(
        "缺少佐证：合同"
    )

    url = reverse("projects:verify", args=["milestone", signed.pk])
    response = as_office.post(url, follow=True)
    assert "缺少佐证材料（合同）" in page(response)
    signed.refresh_from_db()
    assert signed.status == PENDING

    field = f"milestone-{signed.pk}-without_evidence_reason"
    as_office.post(url, {field: "合同原件已在竞赛办现场核验"})
    signed.refresh_from_db()
    assert signed.status == VERIFIED
    assert signed.verified_without_evidence_reason == "合同原件已在竞赛办现场核验"
    history = page(as_office.get(reverse("projects:detail", args=[project.pk])))
    assert "合同原件已在竞赛办现场核验" in history


def test_bulk_verify_refuses_records_missing_required_evidence_and_names_them(office, commerce):
    project = make_project(commerce)
    lacking = make_milestone(project, Stage.SIGNED, date(2026, 6, 1), status=PENDING, evidence="")
    fine = make_milestone(project, Stage.INTENT, date(2026, 5, 1), status=PENDING, evidence="")
    response = login(office).post(
        reverse("projects:queue_bulk"),
        {"action": "verify", "milestone": [lacking.pk, fine.pk]},
        follow=True,
    )
    html = page(response)
    assert "缺少佐证材料，未核实" in html and str(lacking) in html and "（合同）" in html
    assert "已核实 1 条记录" in html
    assert Milestone.objects.get(pk=lacking.pk).status == PENDING
    assert Milestone.objects.get(pk=fine.pk).status == VERIFIED  # 意向书 only recommended


def test_the_service_refuses_to_verify_without_evidence_or_reason(office, commerce):
    project = make_project(commerce)
    signed = make_milestone(project, Stage.SIGNED, date(2026, 6, 1), status=PENDING, evidence="")
    with pytest.raises(services.MissingEvidence):
        services.verify_records(milestone_ids=[signed.pk], by=office)
    assert Milestone.objects.get(pk=signed.pk).status == PENDING


def test_the_office_edits_the_policy_and_its_history_keeps_who(office, commerce):
    as_office = login(office)
    url = reverse("projects:evidence_policy")
    assert "开工照片" in page(as_office.get(url))
    rows = services.policy_rows()
    data = {"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": len(rows)}
    for i, row in enumerate(rows):
        data |= {f"form-{i}-id": row.pk, f"form-{i}-document": row.document}
        if row.required or row.kind == "visit":
            data[f"form-{i}-required"] = "on"
    assert as_office.post(url, data).status_code == 302
    visit_policy = EvidencePolicy.objects.get(kind="visit")
    assert visit_policy.required
    assert visit_policy.history.latest().history_user == office
    # A visit without its 接待单 is now refused on the form.
    response = as_office.post(reverse("projects:visit_create"), visit_form(commerce))
    assert "请上传佐证材料：接待单或照片" in page(response)


# 补录 (late entry) -----------------------------------------------------------------------------
def test_late_entries_are_marked_on_lists_and_in_history(liaison, office, commerce):
    project = make_project(commerce)
    late = make_milestone(project, Stage.SIGNED, date(2026, 6, 1), status=PENDING)
    typed_on(late, date(2026, 6, 20))
    Milestone.history.filter(id=late.pk).update(history_date=datetime(2026, 6, 20, tzinfo=TZ))
    on_time = make_visit(commerce, date(2026, 6, 25), status=PENDING, investor_org="准时公司")
    typed_on(on_time, date(2026, 6, 26))
    late_visit = make_visit(commerce, date(2026, 6, 1), status=PENDING, investor_org="补录公司")
    typed_on(late_visit, date(2026, 6, 30))
    Visit.history.filter(id=late_visit.pk).update(history_date=datetime(2026, 6, 30, tzinfo=TZ))

    as_office = login(office)
    queue = page(as_office.get(reverse("projects:queue")))
    assert queue.count('class="badge badge-late"') == 2
    visits = page(login(liaison).get(reverse("projects:visit_list")))
    assert visits.count('class="badge badge-late"') == 1
    detail = page(as_office.get(reverse("projects:detail", args=[project.pk])))
    assert detail.count('class="badge badge-late"') == 2  # the record and its creation
    history = page(as_office.get(reverse("projects:visit_detail", args=[late_visit.pk])))
    assert history.count('class="badge badge-late"') == 2
    export = as_office.get(reverse("projects:visit_list"), {"_export": "csv"})
    assert "补录" in export.content.decode("utf-8-sig")


def test_late_counts_per_department_by_the_day_it_happened(commerce, finance, settings):
    settings.LATE_ENTRY_DAYS = 7
    project = make_project(commerce)
    m = make_milestone(project, Stage.INTENT, date(2026, 6, 1))
    typed_on(m, date(2026, 6, 9))  # 8 days: late
    v = make_visit(commerce, date(2026, 6, 2))
    typed_on(v, date(2026, 6, 9))  # 7 days: on time
    w = make_visit(finance, date(2026, 5, 20))
    typed_on(w, date(2026, 6, 20))  # late, but happened before the window below
    imported = make_visit(finance, date(2026, 6, 3))
    typed_on(imported, date(2026, 6, 29))
    Visit.objects.filter(pk=imported.pk).update(imported=True)  # a ledger's: never late

    counts = late_counts([commerce.pk, finance.pk], date(2026, 6, 1), date(2026, 6, 30))
    assert counts == {commerce.pk: 1, finance.pk: 0}
    wider = late_counts([commerce.pk, finance.pk], date(2026, 5, 1), date(2026, 6, 30))
    assert wider == {commerce.pk: 1, finance.pk: 1}
    assert late_counts([], date(2026, 6, 1), date(2026, 6, 30)) == {}


def test_the_visit_list_filters_by_status_and_late_entry(liaison, commerce):
    on_time = make_visit(commerce, date(2026, 6, 25), status=PENDING, investor_org="准时公司")
    typed_on(on_time, date(2026, 6, 26))
    late = make_visit(commerce, date(2026, 6, 1), investor_org="补录公司")
    typed_on(late, date(2026, 6, 30))
    client = login(liaison)
    url = reverse("projects:visit_list")
    pending = page(client.get(url, {"status": "pending"}))
    assert "准时公司" in pending and "补录公司" not in pending
    lates = page(client.get(url, {"late": "true"}))
    assert "补录公司" in lates and "准时公司" not in lates
