"""Importing a ledger (台账): creates, re-imports as no-ops, updates with history, dry runs."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from competition.ledger.importer import import_ledger
from competition.models import Competition, MetricWeight, Quota, Snapshot
from departments.models import Department, DepartmentGroup
from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage, Visit
from tests.conftest import make_milestone, make_open_records, make_project
from tests.fixtures.ledger import COMPETITION_NAME, make_workbook, sample_sheets, set_cell

HISTORICAL = [Competition, MetricWeight, Quota, Department, Project, Milestone, Receipt, Visit]


@pytest.fixture(autouse=True)
def _today():
    """Every ledger date in these tests lies in the past."""
    with time_machine.travel(datetime(2026, 7, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))):
        yield


def load(sheets, **kwargs):
    from io import BytesIO

    return import_ledger(BytesIO(make_workbook(sheets)), **kwargs)


def history_counts():
    return {m.__name__: m.history.count() for m in HISTORICAL}


def row_counts():
    return {m.__name__: m.objects.count() for m in [*HISTORICAL, DepartmentGroup]}


def test_import_creates_the_whole_competition(db):
    report = load(sample_sheets())

    assert report.ok, [str(e) for e in report.errors]
    competition = Competition.objects.get(name=COMPETITION_NAME)
    assert (competition.start_date, competition.end_date) == (date(2026, 3, 1), date(2026, 6, 8))
    assert competition.yellow_threshold == Decimal("0.70") and not competition.count_pending
    assert [q.department.name for q in Quota.objects.filter(competition=competition)] == [
        "商务局",
        "财政局",
        "团市委",
    ]
    commerce = Department.objects.get(name="商务局")
    assert commerce.group.name == "综合经济部门" and commerce.order == 1
    quota = Quota.objects.get(department=commerce)
    assert (quota.visit_batches, quota.funds_amount) == (10, Decimal("1000"))

    p1 = Project.objects.get(code="P001")
    assert (p1.department, p1.industry, p1.is_high_tech) == (commerce, "industrial", True)
    assert p1.planned_investment == Decimal("8000") and p1.source_channel == "investor_referral"
    assert dict(p1.milestones.values_list("stage", "occurred_on")) == {
        Stage.LEAD: date(2026, 2, 20),
        Stage.INTENT: date(2026, 3, 5),
        Stage.SIGNED: date(2026, 3, 20),
        Stage.GROUNDBREAKING: date(2026, 4, 10),
    }
    assert sorted(p1.receipts.values_list("amount", flat=True)) == [Decimal("250.5"), 600]
    assert Project.objects.get(code="P002").planned_investment == Decimal("3000.50")
    p3 = Project.objects.get(code="P003")
    assert (p3.lost_on, p3.lost_reason) == (date(2026, 5, 1), "投资方撤资")
    # Two identical visit rows are two receptions.
    assert Visit.objects.filter(investor_org="某物流公司").count() == 2
    assert Visit.objects.get(investor_org="某新能源公司").project == p1


def test_imported_records_are_verified_and_have_history(db, office):
    load(sample_sheets(), user=office)

    for model in (Milestone, Receipt):
        assert set(model.objects.values_list("status", flat=True)) == {ReviewStatus.VERIFIED}
        assert not model.objects.filter(reviewed_at__isnull=True).exists()
        assert set(model.objects.values_list("reviewed_by", flat=True)) == {office.pk}
    # One "+" history row per created record, by the uploading user, with the reason.
    for model in HISTORICAL:
        assert model.history.count() == model.objects.count(), model
    record = Project.history.get(code="P001")
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        office,
        "台账导入",
    )


def test_default_weights_are_not_stored(db):
    """A weight equal to the default changes nothing, so no row (and no history) is made."""
    sheets = sample_sheets()
    set_cell(sheets, "权重", 2, "权重", 12)  # 接待批次 12 instead of 10
    load(sheets)
    competition = Competition.objects.get()
    assert dict(competition.metric_weights.values_list("metric", "weight")) == {
        "visit_batches": Decimal("12")
    }


def test_reimport_is_a_no_op(db):
    sheets = sample_sheets()
    load(sheets)
    rows, history = row_counts(), history_counts()

    report = load(sheets)

    assert report.ok and not report.changed
    assert all(c.created == c.updated == 0 for c in report.counts.values())
    assert report.counts["接待"].unchanged == 4
    assert row_counts() == rows
    assert history_counts() == history


def test_changed_row_updates_the_record_with_history(db, office):
    sheets = sample_sheets()
    load(sheets)
    set_cell(sheets, "项目", 3, "投资方", "另一物流公司")
    set_cell(sheets, "项目", 3, "计划总投资", 4200)
    set_cell(sheets, "项目", 3, "意向日期", date(2026, 3, 16))
    set_cell(sheets, "任务", 2, "签约项目", 3)
    set_cell(sheets, "部门", 4, "分组", "社会事业部门")
    history = history_counts()

    report = load(sheets, user=office)

    assert report.ok
    assert report.counts["项目"].updated == 1 and report.counts["项目"].unchanged == 3
    p2 = Project.objects.get(code="P002")
    assert (p2.investor, p2.planned_investment) == ("另一物流公司", Decimal("4200"))
    latest = p2.history.first()
    assert (latest.history_type, latest.history_user) == ("~", office)
    old = latest.prev_record
    assert (old.investor, old.planned_investment) == ("某物流公司", Decimal("3000.50"))
    delta = latest.diff_against(old)
    assert set(delta.changed_fields) >= {"investor", "planned_investment"}

    intent = Milestone.objects.get(project=p2, stage=Stage.INTENT)
    assert intent.occurred_on == date(2026, 3, 16)
    assert intent.history.first().prev_record.occurred_on == date(2026, 3, 15)
    assert Quota.objects.get(department__name="商务局").signed_projects == 3
    assert Department.objects.get(name="团市委").group.name == "社会事业部门"
    after = history_counts()
    changed = {k for k in after if after[k] != history[k]}
    assert changed == {"Project", "Milestone", "Quota", "Department"}
    assert after["Project"] == history["Project"] + 1


def test_dry_run_writes_nothing(db):
    before = row_counts()
    report = load(sample_sheets(), dry_run=True)

    assert report.ok and not report.written
    assert report.counts["项目"].created == 4 and report.counts["接待"].created == 4
    assert row_counts() == before


def test_dry_run_of_changes_writes_nothing(db):
    sheets = sample_sheets()
    load(sheets)
    set_cell(sheets, "项目", 2, "项目名称", "改名")
    history = history_counts()

    report = load(sheets, dry_run=True)

    assert report.counts["项目"].updated == 1
    assert Project.objects.get(code="P001").name == "新能源电池"
    assert history_counts() == history


def test_records_missing_from_the_ledger_are_left_alone(db):
    """Import never deletes: rows dropped from the workbook stay, with a warning."""
    sheets = sample_sheets()
    load(sheets)
    del sheets["接待"][3]  # one of the two identical receptions
    del sheets["到账"][2]  # P001's second tranche
    set_cell(sheets, "项目", 3, "意向日期", None)  # P002's intent date

    report = load(sheets)

    assert report.ok and not report.changed
    assert Visit.objects.count() == 4 and Receipt.objects.count() == 3
    assert Milestone.objects.filter(project__code="P002", stage=Stage.INTENT).exists()
    warnings = " ".join(str(w) for w in report.warnings)
    assert "1条接待记录" in warnings and "1条到账记录" in warnings
    assert "1个阶段节点" in warnings


def test_pending_records_the_ledger_lists_become_verified(db, commerce):
    project = make_project(commerce, code="P001", name="新能源电池")
    make_open_records(project)

    report = load(sample_sheets())

    assert report.ok
    intent = Milestone.objects.get(project=project, stage=Stage.INTENT)
    assert intent.status == ReviewStatus.VERIFIED and intent.reviewed_at is not None
    assert intent.history.first().history_type == "~"
    assert Receipt.objects.filter(project=project).count() == 2  # matched, not duplicated
    assert set(Receipt.objects.values_list("status", flat=True)) == {ReviewStatus.VERIFIED}
    assert report.counts["阶段节点"].updated == 1 and report.counts["到账"].updated == 1


def test_stage_order_is_checked_against_stored_milestones(db, commerce):
    """A stored milestone the ledger leaves blank still takes part in the stage order."""
    project = make_project(commerce, code="P002")
    make_milestone(project, Stage.SIGNED, date(2026, 3, 10), status="pending")
    sheets = sample_sheets()  # P002: intent 2026-03-15, no signing date

    report = load(sheets)

    assert [(e.sheet, e.row, e.column) for e in report.errors] == [("项目", 3, "意向日期")]
    assert "不能早于" in report.errors[0].reason or "不能晚于" in report.errors[0].reason
    assert not Competition.objects.exists()


def test_layout_freedom(db):
    """Column order does not matter, extra columns are warned about, blank rows skipped,
    dates may be text, money may have decimals, optional sheets and columns may be absent."""
    sheets = sample_sheets()
    del sheets["权重"]
    projects = sheets["项目"]
    order = list(reversed(range(len(projects[0]))))
    sheets["项目"] = [[row[i] for i in order] + ["备注"] for row in projects]
    sheets["项目"][0][-1] = "备注列"
    sheets["到账"].insert(2, [None, None, None])
    sheets["到账"].append(["P003", "2026-04-20", "12.34"])
    sheets["部门"] = [["部门名称"], ["商务局"], ["财政局"], ["团市委"]]

    report = load(sheets)

    assert report.ok, [str(e) for e in report.errors]
    assert [(w.sheet, w.column) for w in report.warnings] == [("项目", "备注列")]
    assert Receipt.objects.filter(amount=Decimal("12.34"), occurred_on=date(2026, 4, 20)).exists()
    # Without an 排序 column, new departments take their place in the sheet.
    assert list(Department.objects.values_list("name", "order")) == [
        ("商务局", 1),
        ("财政局", 2),
        ("团市委", 3),
    ]
    assert not MetricWeight.objects.exists()


def test_absent_optional_column_leaves_stored_values_alone(db):
    sheets = sample_sheets()
    load(sheets)
    column = sheets["项目"][0].index("投资方")
    for row in sheets["项目"]:
        del row[column]

    report = load(sheets)

    assert report.ok and not report.changed
    assert Project.objects.get(code="P001").investor == "某新能源公司"


def test_snapshots_are_recomputed_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = load(sample_sheets())

    competition = Competition.objects.get()
    assert report.written
    # Today (1 July) is after the window (1 March to 8 June): a snapshot for every day of
    # the window, three departments each, and none after its end.
    snapshots = Snapshot.objects.filter(competition=competition)
    assert snapshots.filter(as_of=date(2026, 6, 8)).count() == 3
    assert snapshots.values("as_of").distinct().count() == 100
    assert not snapshots.filter(as_of__gt=date(2026, 6, 8)).exists()


def test_no_op_reimport_does_not_recompute(db, django_capture_on_commit_callbacks):
    load(sample_sheets())
    with django_capture_on_commit_callbacks() as callbacks:
        load(sample_sheets())
    assert callbacks == []


def test_the_department_sheet_carries_the_head_when_it_has_the_column(db, office):
    """主要负责人 is an optional column of 部门: read, updated with history, exported back."""
    from io import BytesIO

    from competition.ledger.writer import export_ledger
    from tests.fixtures.ledger import read_workbook

    sheets = sample_sheets()
    sheets["部门"] = [
        ["部门名称", "分组", "排序", "主要负责人"],
        ["商务局", "综合经济部门", 1, "王志强"],
        ["财政局", "综合经济部门", 2, None],
        ["团市委", "党群部门", 3, "李红"],
    ]
    assert load(sheets).ok
    heads = dict(Department.objects.values_list("name", "head"))
    assert heads == {"商务局": "王志强", "财政局": "", "团市委": "李红"}

    sheets["部门"][1][3] = "赵建国"  # a new head of 商务局
    report = load(sheets, user=office)
    assert report.ok and report.counts["部门"].updated == 1
    commerce = Department.objects.get(name="商务局")
    assert commerce.head == "赵建国"
    assert list(commerce.history.values_list("head", flat=True)[:2]) == ["赵建国", "王志强"]

    # A ledger without the column leaves the heads alone.
    assert load(sample_sheets()).ok
    assert Department.objects.get(name="商务局").head == "赵建国"

    # Exported, the column is there with each head.
    out = BytesIO()
    export_ledger(Competition.objects.get(name=COMPETITION_NAME), out)
    exported = read_workbook(out.getvalue())
    assert exported["部门"][0] == ("部门名称", "分组", "排序", "主要负责人")
    assert ("商务局", "综合经济部门", 1, "赵建国") in exported["部门"]
    assert ("财政局", "综合经济部门", 2, None) in exported["部门"]


def test_imported_visits_are_verified_and_never_late_entries(db, office):
    """Issue 20: visits are reviewed; the office's ledger is their evidence, as for
    milestones, and loading it is history, not 补录 (however long after the dates)."""
    from projects.lateness import late_entry_q

    load(sample_sheets(), user=office)

    visits = Visit.objects.all()
    assert set(visits.values_list("status", flat=True)) == {ReviewStatus.VERIFIED}
    assert set(visits.values_list("reviewed_by", flat=True)) == {office.pk}
    for model in (Milestone, Receipt, Visit):
        assert set(model.objects.values_list("imported", flat=True)) == {True}
        assert not model.objects.filter(late_entry_q()).exists()
        assert not any(record.is_late_entry for record in model.objects.all())


def test_pending_visits_the_ledger_lists_become_verified(db, commerce, finance):
    from tests.conftest import make_visit

    pending = make_visit(
        commerce, date(2026, 3, 10), persons=3, investor_org="某物流公司", status="pending"
    )
    returned = make_visit(
        finance,
        date(2026, 3, 12),
        persons=2,
        investor_org="某软件公司",
        host="李局长",
        purpose="洽谈",
        status="returned",
        return_reason="人数不符",
    )

    report = load(sample_sheets())

    assert report.ok
    assert report.counts["接待"].updated == 2 and report.counts["接待"].created == 2
    for visit in (pending, returned):
        visit.refresh_from_db()
        assert visit.status == ReviewStatus.VERIFIED and visit.return_reason == ""
        assert not visit.imported  # typed in by a person: its 补录 flag is its own
    assert Visit.objects.count() == 4  # matched, not duplicated
    assert load(sample_sheets()).counts["接待"].unchanged == 4
