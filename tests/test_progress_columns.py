"""Each project's stored progress (stage_reached, last_milestone_on) stays what the records say.

After every way data entry, the office, the admin and the ledger import write records
or losses, the stored columns equal `with_computed_progress()` for every project. The
list pages filter and sort on the stored columns, at a cost that does not grow with rows.

"Today" is 2026-06-30 (Asia/Shanghai).
"""

import re
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import unescape
from io import BytesIO
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.template import RequestContext, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from departments.models import Department
from projects import services
from projects.filters import ProjectFilter
from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage
from projects.progress import FEW, refresh_all_progress, refresh_progress
from projects.tables import LeadTable, MyLeadTable, ProjectTable
from tests.conftest import make_milestone, make_project, make_receipt
from web.tables import configure

pytestmark = pytest.mark.django_db

PENDING, VERIFIED, RETURNED = ReviewStatus.PENDING, ReviewStatus.VERIFIED, ReviewStatus.RETURNED
TODAY = date(2026, 6, 30)


def d(month, day):
    return date(2026, month, day)


@pytest.fixture(autouse=True)
def _today(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def stored() -> dict[str, tuple]:
    return {p.code: (p.stage_reached, p.last_milestone_on) for p in Project.objects.all()}


def computed() -> dict[str, tuple]:
    return {
        p.code: (p.computed_stage_reached, p.computed_last_milestone_on)
        for p in Project.objects.with_computed_progress()
    }


def assert_in_step():
    assert stored() == computed()


def pdf():
    return SimpleUploadedFile("凭证.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


@pytest.fixture
def project(commerce):
    return make_project(commerce, code="SW-001", name="新能源电池项目")


# Each write path -----------------------------------------------------------------------
def test_records_logged_through_the_pages(client, liaison, project):
    client.force_login(liaison)
    client.post(
        reverse("projects:milestone_create", args=[project.pk]),
        {"stage": Stage.SIGNED, "occurred_on": "2026-03-01", "evidence": pdf()},
    )
    assert stored()["SW-001"] == (Stage.SIGNED, d(3, 1))
    client.post(
        reverse("projects:receipt_create", args=[project.pk]),
        {"occurred_on": "2026-04-01", "amount": "300", "evidence": pdf()},
    )
    assert stored()["SW-001"] == (Stage.FUNDED, d(4, 1))
    assert_in_step()


def test_a_lead_submitted_by_a_staff_member(staff_member, commerce):
    lead = services.submit_lead(
        Project(department=commerce, name="线索", source_channel="fair"),
        by=staff_member,
        today=TODAY,
    )
    assert stored()[lead.code] == (Stage.LEAD, TODAY)
    assert_in_step()


def test_verify_return_resubmit_and_edit(project, office, liaison):
    intent = make_milestone(project, Stage.INTENT, d(3, 1), status=PENDING)
    signed = make_milestone(project, Stage.SIGNED, d(4, 1), status=PENDING)
    assert stored()["SW-001"] == (Stage.SIGNED, d(4, 1))

    services.verify(signed, by=office)
    assert stored()["SW-001"] == (Stage.SIGNED, d(4, 1))
    services.return_record(signed, by=office, reason="凭证不清")  # verified → returned
    assert stored()["SW-001"] == (Stage.INTENT, d(3, 1))
    services.resubmit(signed, by=liaison)
    assert stored()["SW-001"] == (Stage.SIGNED, d(4, 1))
    services.return_records(milestone_ids=[intent.pk, signed.pk], by=office, reason="补材料")
    assert stored()["SW-001"] == (None, None)

    # An edit of a returned record resubmits it, at its new date.
    signed.refresh_from_db()
    signed.occurred_on = d(4, 5)
    services.save_record(signed, by=liaison, original_status=RETURNED, changed=["occurred_on"])
    assert stored()["SW-001"] == (Stage.SIGNED, d(4, 5))
    services.verify_records(milestone_ids=[signed.pk], by=office)
    assert_in_step()


def test_an_edit_through_the_page_moves_the_date(client, liaison, project):
    milestone = make_milestone(project, Stage.INTENT, d(3, 1), evidence="e/x.pdf")
    client.force_login(liaison)
    client.post(
        reverse("projects:milestone_edit", args=[milestone.pk]),
        {"stage": Stage.INTENT, "occurred_on": "2026-03-20"},
    )
    assert stored()["SW-001"] == (Stage.INTENT, d(3, 20))
    assert_in_step()


def test_delete_a_record_and_a_project(admin_client, project, commerce):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    receipt = make_receipt(project, d(4, 1))
    other = make_project(commerce, code="SW-002")
    make_milestone(other, Stage.INTENT, d(3, 1))

    response = admin_client.post(
        reverse("admin:projects_receipt_delete", args=[receipt.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert stored()["SW-001"] == (Stage.SIGNED, d(3, 1))
    services.delete_records([project.milestones.get()], by=None)
    assert stored()["SW-001"] == (None, None)
    services.delete_projects([other], by=None)  # its milestones go with it
    assert stored() == computed() == {"SW-001": (None, None)}


def test_mark_lost_and_take_back(project, liaison):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    Receipt.objects.create(
        project=project,
        occurred_on=d(4, 1),
        amount=Decimal("50"),
        status=RETURNED,
        return_reason="x",
    )
    services.mark_lost(project, by=liaison, lost_on=d(3, 15), reason="转投外省")
    assert stored()["SW-001"] == (Stage.SIGNED, d(3, 1))
    # A receipt after the loss never counts, even once accepted.
    Receipt.objects.update(status=PENDING)
    refresh_progress([project.pk])
    assert stored()["SW-001"] == (Stage.SIGNED, d(3, 1))
    # Taken back (the loss cleared and saved): the receipt counts again.
    project = Project.objects.get(pk=project.pk)
    project.lost_on, project.lost_reason = None, ""
    services.save_project(project, by=None)
    assert stored()["SW-001"] == (Stage.FUNDED, d(4, 1))
    assert_in_step()


def _admin_project_form(project, **changes) -> dict:
    """The POST data of the admin's project change page, without new inline rows."""
    data = {
        "code": project.code,
        "name": project.name,
        "investor": project.investor,
        "department": project.department_id,
        "responsible_person": "",
        "industry": project.industry,
        "planned_investment": "",
        "registered_capital": "",
        "zone": "",
        "origin_region": "",
        "source_channel": "",
        "submitted_by": "",
        "lost_on": "",
        "lost_reason": "",
    }
    for prefix in ("milestones", "receipts", "visits"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(changes)
    return data


def test_the_admin_setting_and_clearing_a_loss(admin_client, project):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    Receipt.objects.create(
        project=project,
        occurred_on=d(4, 1),
        amount=Decimal("50"),
        status=RETURNED,
        return_reason="x",
    )
    url = reverse("admin:projects_project_change", args=[project.pk])
    response = admin_client.post(
        url, _admin_project_form(project, lost_on="2026-03-10", lost_reason="转投外省")
    )
    assert response.status_code == 302
    # The office then accepts the returned receipt by its own update: after the loss, it
    # does not count.
    Receipt.objects.update(status=VERIFIED)
    refresh_progress([project.pk])
    assert stored()["SW-001"] == (Stage.SIGNED, d(3, 1))
    response = admin_client.post(url, _admin_project_form(project))  # taken back
    assert response.status_code == 302
    assert stored()["SW-001"] == (Stage.FUNDED, d(4, 1))
    assert_in_step()


def test_the_edit_form_keeps_the_progress(client, office, project):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    client.force_login(office)
    url = reverse("projects:edit", args=[project.pk])
    page = client.get(url).content.decode()
    loaded_at = re.search(r'name="loaded_at" value="([^"]+)"', page).group(1)
    data = {
        "loaded_at": loaded_at,
        "name": "新名称",
        "code": project.code,
        "investor": project.investor,
        "department": project.department_id,
        "responsible_person": "王明",
        "industry": project.industry,
    }
    assert client.post(url, data).status_code == 302
    assert stored()["SW-001"] == (Stage.SIGNED, d(3, 1))


def test_saving_an_instance_loaded_before_a_record_changed_keeps_the_fresh_progress(project):
    stale = Project.objects.get(pk=project.pk)
    make_milestone(project, Stage.INTENT, d(3, 1))
    stale.name = "改名"
    stale.save()
    assert stored()["SW-001"] == (Stage.INTENT, d(3, 1))
    assert Project.objects.get(pk=project.pk).name == "改名"


def test_admin_saves(admin_client, project, commerce):
    url = reverse("admin:projects_milestone_add")
    response = admin_client.post(
        url,
        {
            "project": project.pk,
            "stage": Stage.INTENT,
            "status": "pending",
            "occurred_on": "2026-03-01",
        },
    )
    assert response.status_code == 302
    assert stored()["SW-001"] == (Stage.INTENT, d(3, 1))

    # Moved to another project in the admin: both projects change.
    other = make_project(commerce, code="SW-002")
    milestone = Milestone.objects.get()
    response = admin_client.post(
        reverse("admin:projects_milestone_change", args=[milestone.pk]),
        {
            "project": other.pk,
            "stage": Stage.INTENT,
            "status": "pending",
            "occurred_on": "2026-03-01",
            "return_reason": "",
        },
    )
    assert response.status_code == 302
    assert stored() == {"SW-001": (None, None), "SW-002": (Stage.INTENT, d(3, 1))}
    assert_in_step()


def test_ledger_import(commerce):
    from competition.ledger.importer import import_ledger
    from tests.fixtures.ledger import make_workbook, sample_sheets, set_cell

    # One stored project with a pending milestone the ledger does not list.
    p1 = make_project(commerce, code="P001", name="新能源电池")
    make_milestone(p1, Stage.LEAD, d(2, 20), status=PENDING)
    sheets = sample_sheets()
    report = import_ledger(BytesIO(make_workbook(sheets)))
    assert report.ok and report.written, [str(e) for e in report.errors]
    assert Project.objects.count() == 4
    assert stored() == {
        "P001": (Stage.GROUNDBREAKING, d(4, 10)),
        "P002": (Stage.INTENT, d(3, 15)),
        "P003": (Stage.FUNDED, d(4, 2)),
        "P004": (None, None),  # listed without any stage date
    }
    assert_in_step()

    set_cell(sheets, "项目", 3, "意向日期", date(2026, 3, 16))  # P002
    with CaptureQueriesContext(connection) as captured:
        assert import_ledger(BytesIO(make_workbook(sheets))).ok
    assert stored()["P002"] == (Stage.INTENT, d(3, 16))
    # One refresh for the whole import, not one per row.
    updates = [q for q in captured.captured_queries if 'UPDATE "projects_project"' in q["sql"]]
    assert len([q for q in updates if "stage_reached" in q["sql"]]) == 1
    assert_in_step()


def test_refresh_all_repairs_what_a_bulk_write_left_stale(project, commerce):
    make_milestone(project, Stage.SIGNED, d(3, 1))
    Milestone.objects.filter(project=project).update(occurred_on=d(3, 5))  # no signals
    assert stored() != computed()
    assert refresh_all_progress() == 1
    assert stored() == computed() == {"SW-001": (Stage.SIGNED, d(3, 5))}


def test_a_refresh_of_many_projects_is_two_queries_on_postgresql_and_one_elsewhere(project):
    many = [project.pk, None, *range(10**6, 10**6 + FEW)]  # more than FEW ids
    with CaptureQueriesContext(connection) as captured:
        refresh_progress(many)
    sql = [q["sql"] for q in captured.captured_queries]
    if connection.features.has_select_for_update:
        # 1. lock the rows (FOR NO KEY UPDATE, in pk order), 2. the UPDATE.
        assert len(sql) == 2 and "FOR NO KEY UPDATE" in sql[0] and sql[1].startswith("UPDATE")
    else:
        assert len(sql) == 1 and sql[0].startswith("UPDATE")
    with CaptureQueriesContext(connection) as captured:
        refresh_progress([])
    assert not captured.captured_queries


def test_a_refresh_of_a_few_projects_reads_their_records_and_writes_what_moved(project):
    make_milestone(project, Stage.SIGNED, d(3, 5))
    Project.objects.filter(pk=project.pk).update(stage_reached=None, last_milestone_on=None)
    with CaptureQueriesContext(connection) as captured:
        assert refresh_progress([project.pk, project.pk, None]) == 1
    sql = [q["sql"] for q in captured.captured_queries]
    # The row (locked FOR NO KEY UPDATE where the database can), its milestones and
    # receipts, then the UPDATE of what moved.
    assert len(sql) == 4 and sql[3].startswith("UPDATE")
    assert ("FOR NO KEY UPDATE" in sql[0]) == connection.features.has_select_for_update
    project.refresh_from_db()
    assert (project.stage_reached, project.last_milestone_on) == (Stage.SIGNED, d(3, 5))
    with CaptureQueriesContext(connection) as captured:
        refresh_progress([project.pk])
    assert len(captured.captured_queries) == 3  # nothing moved: nothing written


# Two writers on one project at once ---------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_records_written_at_once_on_one_project(commerce):
    """A logs the groundbreaking and holds its transaction open; B logs a receipt.

    On PostgreSQL B's refresh waits for A's row lock, then reads A's committed
    milestone: without the lock its UPDATE would wait on the row all the same but compute
    from its older snapshot, storing "funds received". SQLite has one writer at a time,
    so there B starts once A has committed.
    """
    project = make_project(commerce, code="SW-001")
    make_milestone(project, Stage.SIGNED, d(3, 1))
    concurrent = connection.features.has_select_for_update
    a_written, a_done, b_saved = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def writer_a():
        try:
            with transaction.atomic():
                make_milestone(project, Stage.GROUNDBREAKING, d(5, 1), status=PENDING)
                a_written.set()
                if concurrent:
                    # B's save must be waiting on our row lock, not finished.
                    assert not b_saved.wait(timeout=1.0)
            a_done.set()
        except BaseException as e:  # reported by the main thread
            errors.append(e)
            a_written.set()
            a_done.set()
        finally:
            connection.close()

    def writer_b():
        try:
            a_written.wait(timeout=10)
            if not concurrent:
                a_done.wait(timeout=10)
            with transaction.atomic():
                receipt = Receipt(project_id=project.pk, occurred_on=d(4, 1), amount=Decimal("50"))
                services.save_record(receipt, by=None, original_status=None)
            b_saved.set()
        except BaseException as e:
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer_a), threading.Thread(target=writer_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert stored() == computed() == {"SW-001": (Stage.GROUNDBREAKING, d(5, 1))}


# Random sequences of writes ------------------------------------------------------------
DAYS = [d(2, 1), d(3, 1), d(3, 15), d(4, 1), d(5, 1), d(6, 1)]


def _apply(data, office, projects) -> None:
    """One random write, as data entry, the office or the admin would make it."""
    kind = data.draw(
        st.sampled_from(
            [
                "milestone",
                "receipt",
                "verify",
                "return",
                "resubmit",
                "edit",
                "delete",
                "lose",
                "take_back",
                "move",
            ]
        )
    )
    project = data.draw(st.sampled_from(projects))
    records = list(Milestone.objects.all()) + list(Receipt.objects.all())
    record = data.draw(st.sampled_from(records)) if records else None
    day = data.draw(st.sampled_from(DAYS))
    try:
        if kind == "milestone":
            stage = data.draw(st.sampled_from([s for s in Stage if s != Stage.FUNDED]))
            status = data.draw(st.sampled_from([PENDING, VERIFIED]))
            milestone = Milestone(project=project, stage=stage, occurred_on=day, status=status)
            milestone.full_clean()
            services.save_record_as_office(milestone, by=office, changed=["status"])
        elif kind == "receipt":
            receipt = Receipt(project=project, occurred_on=day, amount=Decimal("10"))
            receipt.full_clean()
            services.save_record(receipt, by=office, original_status=None)
        elif record is None:
            return
        elif kind == "verify":
            # These records carry no evidence: the policy wants a reason (issue 20).
            services.verify(record, by=office, without_evidence_reason="原件现场核验")
        elif kind == "return":
            services.return_record(record, by=office, reason="退回")
        elif kind == "resubmit":
            services.resubmit(record, by=office)
        elif kind == "edit":
            original = record.status
            record.occurred_on = day
            record.full_clean()
            services.save_record(
                record, by=office, original_status=original, changed=["occurred_on"]
            )
        elif kind == "delete":
            services.delete_records([record], by=office)
        elif kind == "lose":
            services.mark_lost(project, by=office, lost_on=day, reason="流失")
        elif kind == "take_back":
            project = Project.objects.get(pk=project.pk)
            project.lost_on, project.lost_reason = None, ""
            services.save_project(project, by=office)
        elif kind == "move":
            record.project = project
            record.full_clean()
            services.save_record_as_office(record, by=office, changed=["project"])
    except (ValidationError, services.Conflict):
        pass  # refused, as the page would refuse it: nothing written


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_random_sequences_of_writes_keep_the_columns_in_step(data, commerce, office):
    with transaction.atomic():
        projects = [make_project(commerce, code=f"R{i}") for i in range(3)]
        for _ in range(data.draw(st.integers(min_value=1, max_value=12))):
            _apply(data, office, projects)
            assert_in_step()
        transaction.set_rollback(True)  # the next example starts empty


# The list pages read the stored columns -----------------------------------------------
def test_list_filtered_by_stage_and_sorted_by_it(client, office, commerce):
    lead = make_project(commerce, code="A-LEAD")
    make_milestone(lead, Stage.LEAD, d(2, 1))
    signed = make_project(commerce, code="B-SIGNED")
    make_milestone(signed, Stage.SIGNED, d(3, 1))
    signed_pending = make_project(commerce, code="C-SIGNED")
    make_milestone(signed_pending, Stage.SIGNED, d(3, 2), status=PENDING)
    funded = make_project(commerce, code="D-FUNDED")
    make_milestone(funded, Stage.SIGNED, d(3, 1))
    make_receipt(funded, d(4, 1))
    returned = make_project(commerce, code="E-NONE")
    make_milestone(returned, Stage.SIGNED, d(3, 1), status=RETURNED, return_reason="x")
    client.force_login(office)

    def codes(query):
        html = client.get(reverse("projects:list"), query).content.decode()
        return re.findall(r">([A-E]-[A-Z]+)</a>", html)

    assert codes({"stage": Stage.SIGNED}) == ["B-SIGNED", "C-SIGNED"]
    assert codes({"stage": Stage.FUNDED}) == ["D-FUNDED"]
    assert codes({"stage": Stage.LEAD, "lost": "false"}) == ["A-LEAD"]
    latest_first = [c for c in codes({"sort": "-last_milestone_on"}) if c != "E-NONE"]
    assert latest_first == ["D-FUNDED", "C-SIGNED", "B-SIGNED", "A-LEAD"]
    html = client.get(reverse("projects:list"), {"stage": Stage.SIGNED}).content.decode()
    assert "正式签约" in html and "2026-03-02" in html


def test_list_sorted_by_stage_puts_the_stages_in_order(client, office, commerce):
    stages = [("X1", Stage.SIGNED), ("X2", Stage.LEAD), ("X3", Stage.GROUNDBREAKING)]
    for code, stage in stages:
        make_milestone(make_project(commerce, code=code), stage, d(3, 1))
    make_project(commerce, code="X4")  # nothing recorded
    client.force_login(office)

    def codes(sort):
        html = client.get(reverse("projects:list"), {"sort": sort}).content.decode()
        return [c for c in re.findall(r">(X\d)</a>", html) if c != "X4"]

    assert codes("-stage_reached") == ["X3", "X1", "X2"]
    assert codes("stage_reached") == ["X2", "X1", "X3"]


def _list_queries(client, url) -> int:
    """Queries of the page drawn anew (its drawn part not on the pages cache)."""
    client.get(url)  # warm caches (content types, translations) outside the count
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_query_count_is_the_same_for_3_and_30_projects(client, office, commerce):
    # session, user joined to person and liaison departments; every department's records
    # version and the groups (the drawn part's key, projects.listing); department and
    # group choices, twice (the filter form's key and its drawing); count; page of projects
    # with department and submitter; the header's unread notifications count.
    def add(n, start):
        for i in range(start, start + n):
            p = make_project(commerce, code=f"Q{i:03d}", planned_investment=i)
            make_milestone(p, Stage.SIGNED, d(3, 1) + timedelta(days=i % 20))
            if i % 2:
                make_receipt(p, d(4, 1))

    client.force_login(office)
    urls = [
        reverse("projects:list"),
        reverse("projects:list") + "?stage=2&industry=other&sort=-planned_investment&page=1",
        reverse("projects:list") + "?sort=stage_reached",
        reverse("projects:list") + "?last_min=2026-03-01&sort=-last_milestone_on",
    ]
    add(3, 0)
    few = [_list_queries(client, url) for url in urls]
    add(27, 3)
    assert [_list_queries(client, url) for url in urls] == few == [11] * 4


# The list tables show each value as users read it -------------------------------------
def _render(table, request, per_page=25) -> str:
    configure(request, table, per_page=per_page)
    return Template("{% load django_tables2 %}{% render_table table %}").render(
        RequestContext(request, {"table": table})
    )


def test_list_tables_show_labels_dates_flags_links_and_escaped_text(
    rf, office, commerce, staff_member
):
    lead = services.submit_lead(
        Project(department=commerce, name="线索<b>", source_channel="fair", is_high_tech=True),
        by=staff_member,
        today=TODAY,
    )
    make_milestone(lead, Stage.INTENT, TODAY)
    lost = make_project(commerce, code="P-LOST", lost_on=d(5, 1), lost_reason="x")
    request = rf.get("/projects/")
    request.user = office
    projects = Project.objects.with_flags().select_related("department", "submitted_by__person")
    for table_class in (ProjectTable, LeadTable, MyLeadTable):
        html = _render(table_class(projects), request)
        assert "线索&lt;b&gt;" in html and "<b>" not in html
        assert "签订意向" in html  # the stage reached by its label
        assert ">2026-05-01<" in html  # a date as YYYY-MM-DD
    html = _render(ProjectTable(projects), request)
    assert f'<a href="{reverse("projects:detail", args=[lost.pk])}">P-LOST</a>' in html
    assert '<span class="true">是</span>' in html and '<span class="false">否</span>' in html
    assert "没有符合条件的项目。" in _render(ProjectTable(Project.objects.none()), request)


def test_page_and_sort_links_keep_the_rest_of_the_query(client, office, commerce):
    """Three pages of 25: every page link keeps the filter and the sort, and the sorted
    column's header turns the order round."""
    for i in range(58):
        make_project(commerce, code=f"P{i:03d}", zone="城区", planned_investment=i)
    make_project(commerce, code="ELSEWHERE", zone="港区", planned_investment=100)
    client.force_login(office)
    query = {"page": "2", "sort": "-planned_investment", "zone": "城区"}
    html = client.get(reverse("projects:list"), query).content.decode()
    codes = re.findall(r">(P\d{3})</a>", html)
    assert codes == [f"P{i:03d}" for i in range(32, 7, -1)]  # the second page, largest first
    nav = re.search(r'<ul class="pagination.*?</ul>', html, re.S).group(0)
    pages = set()
    for href in re.findall(r'href="\?([^"]*)"', nav):
        params = parse_qs(unescape(href))
        assert params["zone"] == ["城区"] and params["sort"] == ["-planned_investment"]
        pages.update(params["page"])
    assert {"1", "3"} <= pages
    thead = re.search(r"<thead.*</thead>", html, re.S).group(0)
    assert "sort=planned_investment" in unescape(thead)  # ascending next


def test_each_table_speaks_its_requests_language(rf, office, commerce):
    """With the English catalogue that scripts/test compiles, 是 is Yes."""
    make_project(commerce, code="YN", is_high_tech=True)
    for language in ("en", "zh-hans", "en"):
        with translation.override(language):
            yes, no = translation.gettext("是"), translation.gettext("否")
            request = rf.get("/projects/")
            request.user = office
            html = _render(ProjectTable(Project.objects.with_flags()), request)
        assert f'<span class="true">{yes}</span>' in html
        assert f'<span class="false">{no}</span>' in html


def test_filter_form_offers_the_users_departments(rf, liaison, commerce, finance, groups):
    """A liaison of two departments chooses among those two (one department: no select,
    tests/test_projects_queries.py)."""
    liaison.person.liaison_for.add(finance)
    other = Department.objects.create(name="科技局", group=groups["party"], order=3)
    request = rf.get("/projects/", {"department": commerce.pk})
    request.user = liaison
    html = str(ProjectFilter(request.GET, queryset=Project.objects.all(), request=request).form)
    assert f'<option value="{commerce.pk}" selected>商务局</option>' in html
    assert f'<option value="{finance.pk}">财政局</option>' in html
    assert other.name not in html
