"""Plan an import: decide every create and update a ledger asks for, against the database.

Stored records are loaded by natural key in a few chunked queries (values only, not
model instances) and compared in memory. What needs stored data is checked here: the
stage order of each project as it would be stored (the ledger's dates over the kept
milestones and receipts) and the project codes visits name. Nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from competition.ledger import schema
from competition.ledger.reader import Issue, Ledger, ProjectRow, ReceiptRow, VisitRow
from competition.ledger.report import ImportReport
from competition.models import DEFAULT_WEIGHTS, Competition, Quota
from departments.models import Department, DepartmentGroup
from projects import rules
from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage, Visit

KEY_CHUNK = 900  # keys per IN (…) lookup, under SQLite's oldest parameter limit
# Which stored receipt an identical ledger row matches first.
STATUS_PREFERENCE = {ReviewStatus.VERIFIED: 0, ReviewStatus.PENDING: 1, ReviewStatus.RETURNED: 2}


def chunked(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(slots=True)
class Update:
    """An existing record (by pk) and the field values the ledger changes."""

    pk: int
    changes: dict[str, Any]


@dataclass(slots=True)
class _Source:
    """Where a stage date comes from: a ledger cell, or the database (sheet None)."""

    day: date
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    touched: bool = False  # created or changed by this import


def _fetch_values(queryset, lookup: str, keys: Iterable, *fields: str) -> Iterator[dict]:
    keys = list(keys)
    for part in chunked(keys, KEY_CHUNK):
        yield from queryset.filter(**{f"{lookup}__in": part}).values(*fields).order_by()


class Plan:
    """Every create and update the ledger asks for, decided against the database."""

    def __init__(self, ledger: Ledger, report: ImportReport):
        self.ledger = ledger
        self.report = report
        self.counts = report.counts
        self.new_groups: list[str] = []
        self.group_ids: dict[str, int] = {}
        self.department_ids: dict[str, int] = {}
        # name, group name, order, head (主要负责人)
        self.new_departments: list[tuple[str, str, int, str]] = []
        self.department_updates: list[Update] = []
        self.competition: Competition | None = None
        self.competition_changes: dict[str, Any] = {}
        self.new_weights: list[tuple[str, Decimal]] = []
        self.weight_updates: list[Update] = []
        self.new_quotas: list[tuple[str, dict[str, Any]]] = []  # department name, targets
        self.quota_updates: list[Update] = []
        self.project_ids: dict[str, int] = {}  # code -> pk, for every project involved
        self.new_projects: list[ProjectRow] = []
        self.project_updates: list[Update] = []
        self.new_milestones: list[tuple[str, int, date]] = []  # code, stage, date
        self.milestone_updates: list[Update] = []
        self.new_receipts: list[ReceiptRow] = []
        self.receipt_updates: list[Update] = []
        self.new_visits: list[VisitRow] = []
        self.visit_updates: list[Update] = []  # stored pending or returned visits to verify

    def error(self, sheet, row, column, reason) -> None:
        self.report.errors.append(Issue(sheet, row, column, reason))

    def warn(self, sheet, row, column, reason) -> None:
        self.report.warnings.append(Issue(sheet, row, column, reason))

    def build(self) -> None:
        if self.ledger.competition is None or not self.ledger.competition.name:
            return
        self._departments()
        self._competition()
        self._weights()
        self._quotas()
        stored = self._projects()
        self._stages(stored)
        self._visits()

    # -- departments and groups

    def _departments(self) -> None:
        rows = self.ledger.departments
        group_names = {r.values["group"] for r in rows if r.values.get("group")}
        for g in _fetch_values(DepartmentGroup.objects, "name", group_names, "id", "name"):
            self.group_ids[g["name"]] = g["id"]
        self.new_groups = sorted(group_names - set(self.group_ids), key=self._group_position)

        stored = {
            d["name"]: d
            for d in _fetch_values(
                Department.objects,
                "name",
                [r.name for r in rows],
                "id",
                "name",
                "order",
                "head",
                "group__name",
            )
        }
        counts = self.counts["部门"]
        for row in rows:
            group = row.values.get("group")
            current = stored.get(row.name)
            if current is None:
                order = row.values.get("order", row.position)
                self.new_departments.append(
                    (row.name, group or "", order, row.values.get("head", ""))
                )
                counts.created += 1
                continue
            self.department_ids[row.name] = current["id"]
            changes: dict[str, Any] = {}
            if "group" in row.values and (current["group__name"] or "") != group:
                changes["group"] = group
            if "order" in row.values and current["order"] != row.values["order"]:
                changes["order"] = row.values["order"]
            if "head" in row.values and current["head"] != row.values["head"]:
                changes["head"] = row.values["head"]
            if changes:
                self.department_updates.append(Update(current["id"], changes))
                counts.updated += 1
            else:
                counts.unchanged += 1

    def _group_position(self, name: str) -> int:
        for index, row in enumerate(self.ledger.departments):
            if row.values.get("group") == name:
                return index
        return 0

    # -- the competition, its weights and quotas

    def _competition(self) -> None:
        row = self.ledger.competition
        # Lock the row: two imports of one competition never interleave.
        self.competition = Competition.objects.select_for_update().filter(name=row.name).first()
        counts = self.counts["竞赛"]
        if self.competition is None:
            self.competition_changes = dict(row.values)
            counts.created += 1
            return
        self.report.competition_id = self.competition.pk
        self.competition_changes = {
            name: value
            for name, value in row.values.items()
            if value is not None and getattr(self.competition, name) != value
        }
        if self.competition_changes:
            counts.updated += 1
        else:
            counts.unchanged += 1

    def _weights(self) -> None:
        if self.ledger.weights is None:
            return
        stored = {}
        if self.competition is not None:
            stored = {w.metric: w for w in self.competition.metric_weights.all()}
        counts = self.counts["权重"]
        for row in self.ledger.weights:
            current = stored.get(row.metric)
            if current is None and row.weight == DEFAULT_WEIGHTS[row.metric]:
                # The default already applies: storing it would change nothing but history.
                counts.unchanged += 1
            elif current is None:
                self.new_weights.append((row.metric, row.weight))
                counts.created += 1
            elif current.weight != row.weight:
                self.weight_updates.append(Update(current.pk, {"weight": row.weight}))
                counts.updated += 1
            else:
                counts.unchanged += 1

    def _quotas(self) -> None:
        stored: dict[int, Quota] = {}
        if self.competition is not None:
            stored = {
                q.department_id: q
                for q in Quota.objects.filter(competition=self.competition).select_related(
                    "department"
                )
            }
        targets = {q.department: q.values for q in self.ledger.quotas}
        counts = self.counts["任务"]
        listed = set()
        for row in self.ledger.departments:
            values = targets.get(row.name, {})
            department_id = self.department_ids.get(row.name)
            current = stored.get(department_id) if department_id else None
            if current is None:
                self.new_quotas.append((row.name, values))
                counts.created += 1
                continue
            listed.add(department_id)
            changes = {m: v for m, v in values.items() if getattr(current, m) != v}
            if changes:
                self.quota_updates.append(Update(current.pk, changes))
                counts.updated += 1
            else:
                counts.unchanged += 1
        for department_id, quota in stored.items():
            if department_id not in listed:
                self.warn(
                    schema.DEPARTMENTS,
                    None,
                    None,
                    _("竞赛中的部门“%(d)s”不在台账的“部门”表中：导入不删除，它仍参加竞赛。")
                    % {"d": quota.department.name},
                )

    # -- projects

    def _projects(self) -> dict[str, dict]:
        """Plan project creates/updates; return the stored projects by code."""
        rows = self.ledger.projects
        fields = ["id", "code", "department__name", *self._project_fields()]
        stored = {
            p["code"]: p
            for p in _fetch_values(Project.objects, "code", [r.code for r in rows], *fields)
        }
        counts = self.counts["项目"]
        for row in rows:
            current = stored.get(row.code)
            if current is None:
                self.new_projects.append(row)
                counts.created += 1
                continue
            self.project_ids[row.code] = current["id"]
            changes = {}
            for name, value in row.values.items():
                stored_value = current["department__name" if name == "department" else name]
                if stored_value != value:
                    changes[name] = value
            if changes:
                self.project_updates.append(Update(current["id"], changes))
                counts.updated += 1
            else:
                counts.unchanged += 1
        return stored

    @staticmethod
    def _project_fields() -> list[str]:
        return [f for f in schema.PROJECT_FIELD_COLUMNS.values() if f != "department"]

    # -- milestones and receipts, then the stage order they make

    def _stages(self, stored_projects: dict[str, dict]) -> None:
        stored_ids = list(self.project_ids.values())
        milestones: dict[int, dict[int, dict]] = defaultdict(dict)
        for m in _fetch_values(
            Milestone.objects,
            "project_id",
            stored_ids,
            "id",
            "project_id",
            "stage",
            "occurred_on",
            "status",
        ):
            milestones[m["project_id"]][m["stage"]] = m
        receipts: dict[int, list[dict]] = defaultdict(list)
        for r in _fetch_values(
            Receipt.objects,
            "project_id",
            stored_ids,
            "id",
            "project_id",
            "occurred_on",
            "amount",
            "status",
        ):
            receipts[r["project_id"]].append(r)
        ledger_receipts: dict[str, list[ReceiptRow]] = defaultdict(list)
        for receipt in self.ledger.receipts:
            ledger_receipts[receipt.code].append(receipt)

        kept_milestones = kept_receipts = 0
        for row in self.ledger.projects:
            project_id = self.project_ids.get(row.code)
            dates = self._plan_milestones(row, milestones.get(project_id, {}))
            kept_milestones += sum(
                1
                for stage, m in milestones.get(project_id, {}).items()
                if stage in row.stages
                and row.stages[stage] is None
                and m["status"] != ReviewStatus.RETURNED
            )
            receipt_dates, kept = self._plan_receipts(
                row, ledger_receipts.get(row.code, []), receipts.get(project_id, [])
            )
            kept_receipts += kept
            if not row.has_errors:
                current = stored_projects.get(row.code, {})
                self._check_order(row, current, dates, receipt_dates)
        if kept_milestones:
            self.warn(
                schema.PROJECTS,
                None,
                None,
                _("%(n)d个阶段节点在台账中日期为空，但系统中已有记录：导入不删除，已保留。")
                % {"n": kept_milestones},
            )
        if kept_receipts:
            self.warn(
                schema.RECEIPTS,
                None,
                None,
                _("台账项目在系统中另有%(n)d条到账记录不在台账中：导入不删除，已保留。")
                % {"n": kept_receipts},
            )

    def _plan_milestones(self, row: ProjectRow, stored: dict[int, dict]) -> dict[int, _Source]:
        """Plan this project's milestones; return its stage dates after the import."""
        counts = self.counts["阶段节点"]
        dates: dict[int, _Source] = {}
        for stage, current in stored.items():
            if current["status"] != ReviewStatus.RETURNED:
                dates[stage] = _Source(current["occurred_on"])
        for stage, day in row.stages.items():
            if day is None:
                continue
            current = stored.get(stage)
            touched = True
            if current is None:
                self.new_milestones.append((row.code, stage, day))
                counts.created += 1
            elif current["occurred_on"] != day or current["status"] != ReviewStatus.VERIFIED:
                self.milestone_updates.append(Update(current["id"], {"occurred_on": day}))
                counts.updated += 1
            else:
                counts.unchanged += 1
                touched = False
            dates[stage] = _Source(day, schema.PROJECTS, row.row, schema.COLUMN_OF_STAGE[stage])
            dates[stage].touched = touched
        return dates

    def _plan_receipts(
        self, row: ProjectRow, listed: list[ReceiptRow], stored: list[dict]
    ) -> tuple[list[_Source], int]:
        """Match listed receipts to stored ones (a multiset); return dates after, and kept."""
        counts = self.counts["到账"]
        pool: dict[tuple, list[dict]] = defaultdict(list)
        for r in sorted(stored, key=lambda r: (STATUS_PREFERENCE[r["status"]], r["id"])):
            pool[(r["occurred_on"], r["amount"])].append(r)
        after: list[_Source] = []
        for receipt in listed:
            candidates = pool.get((receipt.occurred_on, receipt.amount))
            match = candidates.pop(0) if candidates else None
            touched = True
            if match is None:
                self.new_receipts.append(receipt)
                counts.created += 1
            elif match["status"] != ReviewStatus.VERIFIED:
                self.receipt_updates.append(Update(match["id"], {}))
                counts.updated += 1
            else:
                counts.unchanged += 1
                touched = False
            source = _Source(receipt.occurred_on, schema.RECEIPTS, receipt.row, "到账日期")
            source.touched = touched
            after.append(source)
        kept = [r for rs in pool.values() for r in rs if r["status"] != ReviewStatus.RETURNED]
        after.extend(_Source(r["occurred_on"]) for r in kept)
        return after, len(kept)

    def _check_order(
        self,
        row: ProjectRow,
        current: dict,
        dates: dict[int, _Source],
        receipts: list[_Source],
    ) -> None:
        """The stage-order rule of projects/rules.py, on the project as it would be stored.

        lead ≤ intent ≤ signed ≤ every receipt, first receipt ≤ groundbreaking; no node
        entered after the project was lost; the loss date not before its first node. Each
        problem is reported on the ledger cell responsible (the later one when both are).
        """

        def label(stage: int) -> str:
            return str(Stage(stage).label)

        def report(src: _Source, other: _Source, reason: str) -> None:
            target = src if src.sheet else other
            if target.sheet:  # both stored: an older problem this import does not cause
                self.error(target.sheet, target.row, target.column, reason)

        # Every backward pair of neighbours (projects.rules); receipts are checked one by
        # one below, so pairs ending at "funds received" are skipped.
        ordered = dict(dates)
        if receipts:
            ordered[Stage.FUNDED] = min(receipts, key=lambda s: (s.day, s.sheet is None))
        days = {stage: src.day for stage, src in ordered.items()}
        for previous, stage in rules.backward_pairs(days):
            if stage != Stage.FUNDED:
                earlier, later = ordered[previous], ordered[stage]
                report(
                    later,
                    earlier,
                    _("%(later)s日期（%(ld)s）不能早于%(earlier)s日期（%(ed)s）。")
                    % {
                        "later": label(stage),
                        "ld": later.day,
                        "earlier": label(previous),
                        "ed": earlier.day,
                    },
                )
        for stage, src in dates.items():
            if stage >= Stage.FUNDED:
                continue
            for receipt in receipts:
                if receipt.day < src.day:
                    report(
                        receipt,
                        src,
                        _("到账日期（%(d)s）不能早于%(stage)s日期（%(s)s）。")
                        % {"d": receipt.day, "stage": label(stage), "s": src.day},
                    )

        lost_on = row.values["lost_on"] if "lost_on" in row.values else current.get("lost_on")
        reason = (
            row.values["lost_reason"] if "lost_reason" in row.values else current.get("lost_reason")
        ) or ""
        if lost_on and not reason.strip():
            self.error(schema.PROJECTS, row.row, "流失原因", _("标记流失时必须填写流失原因。"))
        if reason.strip() and not lost_on:
            self.error(
                schema.PROJECTS, row.row, "流失日期", _("填写了流失原因时必须填写流失日期。")
            )
        if not lost_on:
            return
        nodes = [*dates.values(), *receipts]
        first = min((n.day for n in nodes), default=None)
        if first and lost_on < first:
            self.error(
                schema.PROJECTS,
                row.row,
                "流失日期",
                _("流失日期不能早于项目的第一个节点日期（%(d)s）。") % {"d": first},
            )
            return
        for node in nodes:
            if node.touched and node.day > lost_on:
                self.error(
                    node.sheet,
                    node.row,
                    node.column,
                    _("项目已于%(lost)s流失，不能登记之后的节点。") % {"lost": lost_on},
                )

    # -- visits

    def _visits(self) -> None:
        rows = self.ledger.visits
        listed_codes = {p.code for p in self.ledger.projects}
        outside = {r.project_code for r in rows if r.project_code} - listed_codes
        found = {
            p["code"]: p["id"]
            for p in _fetch_values(Project.objects, "code", outside, "id", "code")
        }
        self.project_ids.update(found)
        known = listed_codes | set(found)
        for row in rows:
            if row.project_code and row.project_code not in known:
                self.error(
                    schema.VISITS,
                    row.row,
                    "项目编号",
                    _("未知项目编号“%(c)s”：不在“项目”表中，系统中也没有。")
                    % {"c": row.project_code},
                )
        stored_departments = list(self.department_ids.values())
        # Stored visits by the ledger's natural key (the whole row), verified ones first,
        # as receipts are matched: a ledger row takes a verified visit if there is one.
        pool: dict[tuple, list[tuple[str, int]]] = defaultdict(list)
        for part in chunked(stored_departments, KEY_CHUNK):
            for *key, status, pk in (
                Visit.objects.filter(department_id__in=part)
                .order_by()
                .values_list(
                    "occurred_on",
                    "department__name",
                    "investor_org",
                    "persons",
                    "host",
                    "purpose",
                    "project__code",
                    "status",
                    "id",
                )
                .iterator(chunk_size=5000)
            ):
                # A stored visit without a project has None where the ledger has "".
                pool[(*key[:6], key[6] or "")].append((status, pk))
        for matches in pool.values():
            matches.sort(key=lambda m: (STATUS_PREFERENCE[m[0]], m[1]))
        counts = self.counts["接待"]
        for row in rows:
            matches = pool.get(row.key())
            match = matches.pop(0) if matches else None
            if match is None:
                self.new_visits.append(row)
                counts.created += 1
            elif match[0] != ReviewStatus.VERIFIED:
                # Records imported by the office count as verified (LEDGER.md).
                self.visit_updates.append(Update(match[1], {}))
                counts.updated += 1
            else:
                counts.unchanged += 1
        kept = sum(1 for ms in pool.values() for m in ms if m[0] != ReviewStatus.RETURNED)
        if kept:
            self.warn(
                schema.VISITS,
                None,
                None,
                _("台账部门在系统中另有%(n)d条接待记录不在台账中：导入不删除，已保留。")
                % {"n": kept},
            )
