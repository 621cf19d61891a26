"""The import's history rows, written by the database (competition.ledger.history), are
the rows simple-history's bulk helpers wrote before: the same workbook imported both ways
into the same data leaves the same history, field by field."""

from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import time_machine
from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from competition.ledger.apply import BATCH, Apply
from competition.ledger.importer import import_ledger
from competition.models import Competition, MetricWeight, Quota
from departments.models import Department, DepartmentGroup
from projects.models import Milestone, Project, Receipt, Visit
from tests.conftest import make_open_records, make_project, make_visit
from tests.fixtures.ledger import make_workbook, sample_sheets, set_cell

HISTORICAL = [Competition, MetricWeight, Quota, Department, Project, Milestone, Receipt, Visit]
# One instant for both imports (with microseconds, which a lossy path would drop).
NOW = datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))


# The writes as they were before competition.ledger.history: simple-history's helpers.
def _create_with_simple_history(self, model, batch):
    objs = bulk_create_with_history(
        batch,
        model,
        batch_size=BATCH,
        default_user=self.user,
        default_change_reason=self.reason,
        default_date=self.now,
    )
    return [obj.pk for obj in objs]


def _update_with_simple_history(self, model, objs, fields):
    bulk_update_with_history(
        objs,
        model,
        fields,
        batch_size=BATCH,
        default_user=self.user,
        default_change_reason=self.reason,
        default_date=self.now,
    )


@contextmanager
def simple_history_writes(monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(Apply, "_create_batch", _create_with_simple_history)
        patch.setattr(Apply, "_update_batch", _update_with_simple_history)
        yield


def written_rows() -> dict[str, list[dict]]:
    """Every record and every history row, by table, comparable across two imports rolled
    back in turn.

    A record's id and the ids it refers to become their rank among their model's ids:
    ids of a rolled-back import are not reused on PostgreSQL. history_id is left out (the
    database numbers the rows) and the rows are sorted (the order of history_id is not).
    A department's records_version is a random token each import draws anew: left out.
    """
    ranks = {
        model: {
            pk: i
            for i, pk in enumerate(model._base_manager.order_by("pk").values_list("pk", flat=True))
        }
        for model in [*HISTORICAL, DepartmentGroup]
    }

    def rows(table_model, model) -> list[dict]:
        fields = [
            f
            for f in table_model._meta.concrete_fields
            if f.name not in ("history_id", "records_version")
        ]
        found = []
        for values in table_model._base_manager.values(*(f.attname for f in fields)):
            for f in fields:
                target = model if f.attname == model._meta.pk.attname else f.related_model
                if target in ranks and values[f.attname] is not None:
                    values[f.attname] = ranks[target][values[f.attname]]
            found.append(values)
        return sorted(found, key=repr)

    tables = {}
    for model in HISTORICAL:
        tables[model.__name__] = rows(model.history.model, model)
        tables[f"{model.__name__} (records)"] = rows(model, model)
    return tables


def import_rolled_back(sheets, *, user) -> dict[str, list[dict]]:
    """Import `sheets` at NOW, read every record and history row, and undo the import."""
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        report = import_ledger(BytesIO(make_workbook(sheets)), user=user)
        assert report.ok and report.written, [str(e) for e in report.errors]
        rows = written_rows()
        transaction.set_rollback(True)
    return rows


def assert_same_history(sheets, *, user, monkeypatch) -> dict[str, list[dict]]:
    """Import `sheets` the old way and the new way: the same records and history rows."""
    with simple_history_writes(monkeypatch):
        before = import_rolled_back(sheets, user=user)
    after = import_rolled_back(sheets, user=user)
    assert after.keys() == before.keys()
    for name, rows in before.items():
        assert len(after[name]) == len(rows), name
        for old, new in zip(rows, after[name], strict=True):
            assert new == old, name
    return after


def types_written(rows) -> dict[str, set[str]]:
    """The history types written at NOW, by model."""
    return {
        model.__name__: {
            r["history_type"] for r in rows[model.__name__] if r["history_date"] == NOW
        }
        for model in HISTORICAL
    }


def test_created_and_verified_records_have_the_history_simple_history_wrote(
    db, commerce, office, monkeypatch
):
    """A first import over records typed in by people: creates ("+") and verifies ("~")."""
    project = make_project(commerce, code="P001", name="新能源电池")
    make_open_records(project)
    make_visit(commerce, date(2026, 3, 10), persons=3, investor_org="某物流公司", status="pending")

    rows = assert_same_history(sample_sheets(), user=office, monkeypatch=monkeypatch)

    written = types_written(rows)
    assert written["Project"] == {"+", "~"} and written["Department"] == {"+"}
    assert written["Milestone"] == written["Receipt"] == written["Visit"] == {"+", "~"}
    assert written["Competition"] == written["Quota"] == {"+"}
    (p1,) = [r for r in rows["Project"] if r["code"] == "P001" and r["history_type"] == "~"]
    assert (p1["history_user_id"], p1["history_change_reason"]) == (office.pk, "台账导入")


def test_changed_records_have_the_history_simple_history_wrote(db, monkeypatch):
    """A re-import of a changed ledger by the command (no user): every kind of update."""
    sheets = sample_sheets()
    assert import_ledger(BytesIO(make_workbook(sheets))).ok
    set_cell(sheets, "竞赛", 2, "黄牌线", 0.75)
    set_cell(sheets, "权重", 2, "权重", 12)
    set_cell(sheets, "部门", 4, "分组", "社会事业部门")
    set_cell(sheets, "任务", 2, "签约项目", 3)
    set_cell(sheets, "项目", 3, "投资方", "另一物流公司")
    set_cell(sheets, "项目", 3, "计划总投资", 4200.25)
    set_cell(sheets, "项目", 3, "意向日期", date(2026, 3, 16))

    rows = assert_same_history(sheets, user=None, monkeypatch=monkeypatch)

    written = types_written(rows)
    for name in ("Competition", "Department", "Quota", "Project", "Milestone"):
        assert written[name] == {"~"}, name
    assert written["MetricWeight"] == {"+"}  # 12 is not the default: a new row
    (p2,) = [r for r in rows["Project"] if r["history_date"] == NOW]
    assert (p2["investor"], p2["planned_investment"]) == ("另一物流公司", Decimal("4200.25"))
    assert p2["history_user_id"] is None


def test_batches_past_the_first_have_the_history_simple_history_wrote(db, monkeypatch):
    """More projects than one batch (and four milestones each): every batch's rows."""
    size = BATCH + 1
    sheets = sample_sheets()
    template = sheets["项目"][1]  # P001, with four stage dates
    sheets["项目"][1:] = [[f"Q{i:05d}", *template[1:]] for i in range(size)]
    sheets["到账"][1:] = []
    sheets["接待"][1:] = [row[:-1] + [None] for row in sheets["接待"][1:]]

    rows = assert_same_history(sheets, user=None, monkeypatch=monkeypatch)

    assert len(rows["Project"]) == size and len(rows["Milestone"]) == 4 * size
