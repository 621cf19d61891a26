"""Side effects are explicit: every write goes through a service that announces it.

Each service of projects.services and departments.services (and the admin, which saves
through them) sends departments.changes.records_changed once its transaction commits,
naming exactly the departments and dates whose figures may move, and refreshes the
stored progress of the projects it touched. No model signal does it behind their back.

"Today" is 2026-06-30 (Asia/Shanghai).
"""

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from departments import services as department_services
from departments.changes import records_changed
from departments.models import Department, DepartmentGroup
from projects import services
from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage, Visit
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

pytestmark = pytest.mark.django_db

PENDING, VERIFIED = ReviewStatus.PENDING, ReviewStatus.VERIFIED
TODAY = date(2026, 6, 30)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def d(month, day):
    return date(2026, month, day)


@pytest.fixture
def announced(django_capture_on_commit_callbacks):
    """Run a write and return what it announced: [(department ids, dates or None)].

    The dates are returned sorted (their order says nothing); the announcement goes out
    only once the transaction commits, so the test runs the commit callbacks.
    """

    def run(write):
        heard = []

        def listen(sender, *, department_ids, dates, **kwargs):
            heard.append((set(department_ids), None if dates is None else sorted(dates)))

        records_changed.connect(listen)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                write()
        finally:
            records_changed.disconnect(listen)
        return heard

    return run


@pytest.fixture
def project(commerce):
    return make_project(commerce, code="SW-001")


def progress(project) -> tuple:
    project = Project.objects.get(pk=project.pk)
    return project.stage_reached, project.last_milestone_on


# Records: log, edit, review, delete -------------------------------------------------------
def test_logging_a_record_announces_its_department_and_date(announced, project, liaison, commerce):
    milestone = Milestone(project=project, stage=Stage.SIGNED, occurred_on=d(3, 1))
    heard = announced(lambda: services.save_record(milestone, by=liaison, original_status=None))
    assert heard == [({commerce.pk}, [d(3, 1)])]
    assert progress(project) == (Stage.SIGNED, d(3, 1))


def test_an_edit_announces_the_date_it_left_and_the_new_one(announced, project, liaison, commerce):
    receipt = make_receipt(project, d(4, 1), status=PENDING)
    receipt.occurred_on = d(3, 20)
    heard = announced(
        lambda: services.save_record(
            receipt, by=liaison, original_status=PENDING, changed=["occurred_on"]
        )
    )
    assert heard == [({commerce.pk}, [d(3, 20), d(4, 1)])]
    assert progress(project) == (Stage.FUNDED, d(3, 20))


def test_moving_a_record_to_another_departments_project_names_both(
    announced, project, office, commerce, finance
):
    milestone = make_milestone(project, Stage.INTENT, d(3, 1))
    other = make_project(finance, code="CZ-001")
    milestone.project, milestone.occurred_on = other, d(3, 5)
    heard = announced(
        lambda: services.save_record_as_office(milestone, by=office, changed=["project"])
    )
    assert heard == [({commerce.pk, finance.pk}, [d(3, 1), d(3, 5)])]
    assert progress(project) == (None, None)
    assert progress(other) == (Stage.INTENT, d(3, 5))


def test_review_transitions_announce_the_records_that_moved(
    announced, project, office, liaison, commerce, finance
):
    intent = make_milestone(project, Stage.INTENT, d(3, 1), status=PENDING)
    other = make_project(finance, code="CZ-001")
    receipt = make_receipt(other, d(4, 2), status=PENDING)
    already = make_milestone(other, Stage.SIGNED, d(3, 9), status=VERIFIED)

    heard = announced(
        lambda: services.verify_records(
            milestone_ids=[intent.pk, already.pk], receipt_ids=[receipt.pk], by=office
        )
    )
    # The verified milestone did not move: its date is not announced.
    assert heard == [({commerce.pk, finance.pk}, [d(3, 1), d(4, 2)])]

    heard = announced(lambda: services.return_record(receipt, by=office, reason="凭证不清"))
    assert heard == [({finance.pk}, [d(4, 2)])]
    assert progress(other) == (Stage.SIGNED, d(3, 9))

    receipt.refresh_from_db()
    heard = announced(lambda: services.resubmit(receipt, by=liaison))
    assert heard == [({finance.pk}, [d(4, 2)])]
    assert progress(other) == (Stage.FUNDED, d(4, 2))


def test_a_transition_that_moves_nothing_announces_nothing(announced, project, office):
    verified = make_milestone(project, Stage.INTENT, d(3, 1), status=VERIFIED)
    with pytest.raises(services.Conflict):
        announced(lambda: services.verify(verified, by=office))
    assert announced(lambda: services.verify_records(milestone_ids=[verified.pk], by=office)) == []


def test_deleting_records_announces_them(announced, project, office, commerce):
    signed = make_milestone(project, Stage.SIGNED, d(3, 1))
    receipt = make_receipt(project, d(4, 1))
    heard = announced(lambda: services.delete_records([receipt, signed], by=office))
    assert heard == [({commerce.pk}, [d(3, 1), d(4, 1)])]
    assert progress(project) == (None, None)


# Projects and leads --------------------------------------------------------------------
def test_a_lead_announces_its_lead_milestone(announced, staff_member, commerce):
    lead = Project(department=commerce, name="线索", source_channel="fair")
    heard = announced(lambda: services.submit_lead(lead, by=staff_member, today=TODAY))
    assert heard == [({commerce.pk}, [TODAY])]
    assert progress(lead) == (Stage.LEAD, TODAY)


def test_a_new_project_announces_nothing(announced, liaison, commerce):
    new = Project(department=commerce, name="新项目")
    assert announced(lambda: services.create_project(new, by=liaison, today=TODAY)) == []


def test_marking_a_project_lost_announces_the_loss_date(announced, project, liaison, commerce):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    make_receipt(project, d(3, 20), status=PENDING)
    heard = announced(
        lambda: services.mark_lost(project, by=liaison, lost_on=d(3, 25), reason="转投外省")
    )
    assert heard == [({commerce.pk}, [d(3, 25)])]


def test_a_project_edit_announces_what_scores_on(announced, project, office, commerce, finance):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    make_receipt(project, d(4, 1))

    project.name = "改名"
    assert announced(lambda: services.save_project(project, by=office)) == []

    project.lost_on, project.lost_reason = d(4, 1), "流失"
    assert announced(lambda: services.save_project(project, by=office)) == [
        ({commerce.pk}, [d(4, 1)])
    ]
    project.lost_on, project.lost_reason = None, ""  # taken back
    assert announced(lambda: services.save_project(project, by=office)) == [
        ({commerce.pk}, [d(4, 1)])
    ]
    # Another department: every date of both departments' figures may move.
    project.department = finance
    heard = announced(lambda: services.save_project(project, by=office))
    assert heard == [({commerce.pk, finance.pk}, None)]


def test_moving_a_project_on_its_edit_page_announces_both_departments(
    client, announced, project, office, commerce, finance
):
    client.force_login(office)
    url = reverse("projects:edit", args=[project.pk])
    page = client.get(url).content.decode()
    loaded_at = re.search(r'name="loaded_at" value="([^"]+)"', page).group(1)
    data = {
        "loaded_at": loaded_at,
        "name": project.name,
        "code": project.code,
        "investor": project.investor,
        "department": finance.pk,
        "industry": project.industry,
    }
    heard = announced(lambda: client.post(url, data))
    assert heard == [({commerce.pk, finance.pk}, None)]
    assert Project.objects.get(pk=project.pk).department == finance


def test_deleting_a_project_announces_the_dates_of_its_records(
    announced, project, office, commerce
):
    make_milestone(project, Stage.INTENT, d(3, 1))
    make_receipt(project, d(4, 1), status=PENDING)
    heard = announced(lambda: services.delete_projects([project], by=office))
    assert heard == [({commerce.pk}, [d(3, 1), d(4, 1)])]
    assert not Milestone.objects.exists()


# Visits ----------------------------------------------------------------------------------
def test_visits_announce_their_department_and_date(announced, liaison, office, commerce, finance):
    visit = Visit(department=commerce, occurred_on=d(3, 1), persons=3, investor_org="客商")
    assert announced(lambda: services.save_visit(visit, by=liaison)) == [({commerce.pk}, [d(3, 1)])]
    assert visit.logged_by == liaison

    visit.department, visit.occurred_on = finance, d(3, 7)
    assert announced(lambda: services.save_visit(visit, by=office)) == [
        ({commerce.pk, finance.pk}, [d(3, 1), d(3, 7)])
    ]
    assert announced(lambda: services.delete_visits([visit], by=office)) == [
        ({finance.pk}, [d(3, 7)])
    ]
    assert not Visit.objects.exists()


def test_logging_a_visit_on_its_page_announces_it(client, announced, liaison, commerce):
    client.force_login(liaison)
    data = {"department": commerce.pk, "occurred_on": "2026-03-02", "investor_org": "客商"}
    heard = announced(lambda: client.post(reverse("projects:visit_create"), {**data, "persons": 4}))
    assert heard == [({commerce.pk}, [d(3, 2)])]
    assert Visit.objects.get().logged_by == liaison


# The admin saves through the same services ------------------------------------------------
def test_the_admin_saving_a_milestone_refreshes_the_progress_and_announces(
    admin_client, announced, project, commerce
):
    form = {"project": project.pk, "stage": Stage.SIGNED, "status": "verified"}
    url = reverse("admin:projects_milestone_add")
    heard = announced(lambda: admin_client.post(url, {**form, "occurred_on": "2026-03-01"}))
    assert heard == [({commerce.pk}, [d(3, 1)])]
    milestone = Milestone.objects.get()
    assert progress(project) == (Stage.SIGNED, d(3, 1))
    assert milestone.reviewed_by.username == "admin"  # the status was set: who reviewed it

    change = reverse("admin:projects_milestone_change", args=[milestone.pk])
    heard = announced(
        lambda: admin_client.post(
            change, {**form, "occurred_on": "2026-03-04", "return_reason": ""}
        )
    )
    assert heard == [({commerce.pk}, [d(3, 1), d(3, 4)])]
    assert progress(project) == (Stage.SIGNED, d(3, 4))

    delete = reverse("admin:projects_milestone_delete", args=[milestone.pk])
    heard = announced(lambda: admin_client.post(delete, {"post": "yes"}))
    assert heard == [({commerce.pk}, [d(3, 4)])]
    assert progress(project) == (None, None)


def test_the_admin_deleting_selected_records_goes_through_the_service(
    admin_client, announced, project, commerce
):
    receipts = [make_receipt(project, d(4, 1)), make_receipt(project, d(4, 9))]
    selected = [r.pk for r in receipts]
    data = {"action": "delete_selected", "post": "yes", "_selected_action": selected}
    url = reverse("admin:projects_receipt_changelist")
    heard = announced(lambda: admin_client.post(url, data))
    assert heard == [({commerce.pk}, [d(4, 1), d(4, 9)])]
    assert not Receipt.objects.exists() and progress(project) == (None, None)


def test_the_admin_project_inline_saves_records_through_the_services(
    admin_client, announced, project, commerce
):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    visit = make_visit(commerce, d(3, 2), project=project)
    data = {
        "code": project.code,
        "name": project.name,
        "investor": project.investor,
        "department": commerce.pk,
        "industry": project.industry,
        "lost_on": "",
        "lost_reason": "",
        "receipts-0-occurred_on": "2026-04-01",
        "receipts-0-amount": "300",
        "receipts-0-status": "pending",
        "receipts-0-return_reason": "",
        "visits-0-id": visit.pk,
        "visits-0-project": project.pk,
        "visits-0-occurred_on": "2026-03-02",
        "visits-0-department": commerce.pk,
        "visits-0-investor_org": "客商",
        "visits-0-persons": "3",
        "visits-0-DELETE": "on",
    }
    counts = {"milestones": (0, 0), "receipts": (1, 0), "visits": (1, 1)}
    for prefix, (total, initial) in counts.items():
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(total),
                f"{prefix}-INITIAL_FORMS": str(initial),
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    url = reverse("admin:projects_project_change", args=[project.pk])
    heard = announced(lambda: admin_client.post(url, data))
    assert sorted(heard) == [({commerce.pk}, [d(3, 2)]), ({commerce.pk}, [d(4, 1)])]
    assert progress(project) == (Stage.FUNDED, d(4, 1))
    assert Receipt.objects.get().logged_by.username == "admin"
    assert not Visit.objects.exists()


def test_the_department_admin_announces_a_rename_and_a_regrouping(
    admin_client, announced, commerce, groups
):
    url = reverse("admin:departments_department_change", args=[commerce.pk])
    data = {"name": "商务和投资促进局", "group": groups["party"].pk, "order": 1, "head": ""}
    heard = announced(lambda: admin_client.post(url, {**data, "is_active": "on"}))
    assert heard == [({commerce.pk}, None)]
    commerce.refresh_from_db()
    assert (commerce.name, commerce.group) == ("商务和投资促进局", groups["party"])


def test_the_group_admin_announces_the_departments_of_a_group(
    admin_client, announced, commerce, finance, groups
):
    group = groups["economic"]
    url = reverse("admin:departments_departmentgroup_change", args=[group.pk])
    data = {"name": "经济部门", "order": 1}
    data.update({"departments-TOTAL_FORMS": "2", "departments-INITIAL_FORMS": "2"})
    data.update({"departments-MIN_NUM_FORMS": "0", "departments-MAX_NUM_FORMS": "1000"})
    for i, department in enumerate([commerce, finance]):
        row = {"id": department.pk, "group": group.pk, "name": department.name, "head": ""}
        row.update({"order": 5 if department == finance else department.order, "is_active": "on"})
        data.update({f"departments-{i}-{key}": value for key, value in row.items()})
    heard = announced(lambda: admin_client.post(url, data))
    # The group's own save names its departments; the inline row changed names its own.
    assert heard == [({commerce.pk, finance.pk}, None), ({finance.pk}, None)]
    assert Department.objects.get(pk=finance.pk).order == 5


def test_department_services_announce_deletes(announced, groups):
    spare = Department.objects.create(name="空部门", group=groups["party"])
    other = Department.objects.create(name="另一个部门", group=groups["party"])
    assert announced(lambda: department_services.delete_groups([groups["party"]])) == [
        ({spare.pk, other.pk}, None)
    ]
    assert not DepartmentGroup.objects.filter(name="党群部门").exists()
    spare_pk = spare.pk  # delete() clears it
    assert announced(lambda: department_services.delete_departments([spare], by=None)) == [
        ({spare_pk}, None)
    ]
    assert not Department.objects.filter(pk=spare_pk).exists()


# Nothing behind the services' back ----------------------------------------------------------
def test_no_model_signal_receivers_in_projects_or_departments():
    pattern = re.compile(r"post_save|pre_save|post_delete|pre_delete|@receiver|models\.signals")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in ("projects", "departments")
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_a_save_outside_the_services_changes_nothing_else(announced, project):
    # What a bulk writer or a shell does: the row is written and nothing more happens,
    # which is why the bulk writers refresh and announce themselves.
    milestone = Milestone(project=project, stage=Stage.SIGNED, occurred_on=d(3, 1))
    assert announced(milestone.save) == []
    assert progress(project) == (None, None)
