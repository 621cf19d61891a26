"""Write an import plan: creates and updates in batches, each with its history rows.

New records go in by COPY on PostgreSQL (competition.ledger.insert). simple-history skips
bulk writes, so each batch's history rows are written after it by the database
(competition.ledger.history): one "+" or "~" row per record, with the importing user,
one timestamp and the change reason, as simple-history's bulk helpers would write them.
Imported milestones and receipts are verified by the import.
Bulk writes send no signals: the stored progress of the projects the import touched is
refreshed once, at the end (projects.progress).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from competition.ledger import history
from competition.ledger.insert import insert_records
from competition.ledger.plan import Plan, Update, chunked
from competition.ledger.reader import ProjectRow
from competition.models import Competition, MetricWeight, Quota
from departments.models import Department, DepartmentGroup
from projects.models import Milestone, Project, Receipt, ReviewStatus, Visit
from projects.progress import refresh_progress
from web.addresses import note_bulk_history

BATCH = 1000  # records per bulk statement: bounded memory, few round trips


class Apply:
    """Write a plan: creates and updates in batches, each with its history rows."""

    def __init__(self, plan: Plan, *, user, reason: str):
        self.plan = plan
        self.user = user
        self.reason = reason[:100]  # history_change_reason's length
        self.now = timezone.now()
        self.touched_projects: set[int] = set()  # whose records or loss the import changed

    def _history(self) -> dict[str, Any]:
        return {"user": self.user, "reason": self.reason, "when": self.now}

    def create(self, model, objects: Iterable) -> list:
        created = []
        batch: list = []
        for obj in objects:
            batch.append(obj)
            if len(batch) >= BATCH:
                created.extend(self._create_batch(model, batch))
                batch = []
        if batch:
            created.extend(self._create_batch(model, batch))
        return created

    def _create_batch(self, model, batch: list) -> list:
        ids = insert_records(model, batch)
        history.record_created(model, ids, **self._history())
        note_bulk_history()
        return ids

    def update(self, model, updates: list[Update], apply_change) -> None:
        """Load each record, let `apply_change(obj, changes)` set fields, save with history."""
        for part in chunked(updates, BATCH):
            objs = model.objects.in_bulk([u.pk for u in part])
            changed = []
            fields: set[str] = set()
            for u in part:
                obj = objs[u.pk]
                fields |= set(apply_change(obj, u.changes))
                if hasattr(obj, "updated_at"):
                    obj.updated_at = self.now  # bulk_update skips auto_now
                    fields.add("updated_at")
                changed.append(obj)
            self._update_batch(model, changed, sorted(fields))

    def _update_batch(self, model, objs: list, fields: list[str]) -> None:
        model.objects.bulk_update(objs, fields, batch_size=BATCH)
        history.record_changed(model, [obj.pk for obj in objs], **self._history())
        note_bulk_history()

    def verify(self, obj) -> list[str]:
        """Mark an imported record verified: the office's ledger is its evidence."""
        if not isinstance(obj, Visit):  # a visit counts for its department, not a project
            self.touched_projects.add(obj.project_id)
        obj.status = ReviewStatus.VERIFIED
        obj.reviewed_at = self.now
        obj.reviewed_by = self.user
        obj.return_reason = ""
        obj.verified_without_evidence_reason = ""
        return [
            "status",
            "reviewed_at",
            "reviewed_by",
            "return_reason",
            "verified_without_evidence_reason",
        ]

    def reviewed(self) -> dict[str, Any]:
        """A created record: verified by the import, and never a 补录 (`imported`: loaded
        history, not typed late; projects.lateness)."""
        return {
            "imported": True,
            "status": ReviewStatus.VERIFIED,
            "reviewed_at": self.now,
            "reviewed_by": self.user,
            "logged_by": self.user,
        }

    def run(self) -> None:
        plan = self.plan
        self._departments()
        self._competition()
        competition = plan.competition

        self.create(
            MetricWeight,
            (
                MetricWeight(competition=competition, metric=m, weight=w)
                for m, w in plan.new_weights
            ),
        )
        self.update(MetricWeight, plan.weight_updates, _set_fields)
        self.create(
            Quota,
            (
                Quota(competition=competition, department_id=plan.department_ids[name], **values)
                for name, values in plan.new_quotas
            ),
        )
        self.update(Quota, plan.quota_updates, _set_fields)

        self._projects()
        ids = plan.project_ids
        self.create(
            Milestone,
            (
                Milestone(project_id=ids[code], stage=stage, occurred_on=day, **self.reviewed())
                for code, stage, day in plan.new_milestones
            ),
        )
        self.update(
            Milestone,
            plan.milestone_updates,
            lambda obj, changes: [*_set_fields(obj, changes), *self.verify(obj)],
        )
        self.create(
            Receipt,
            (
                Receipt(
                    project_id=ids[r.code],
                    occurred_on=r.occurred_on,
                    amount=r.amount,
                    **self.reviewed(),
                )
                for r in plan.new_receipts
            ),
        )
        self.update(Receipt, plan.receipt_updates, lambda obj, changes: self.verify(obj))

        def visit(v) -> Visit:
            obj = Visit(
                occurred_on=v.occurred_on,
                department_id=plan.department_ids[v.department],
                investor_org=v.investor_org,
                persons=v.persons,
                host=v.host,
                purpose=v.purpose,
                project_id=ids[v.project_code] if v.project_code else None,
                **self.reviewed(),
            )
            obj.set_match_keys()  # bulk_create skips save()
            return obj

        self.create(Visit, (visit(v) for v in plan.new_visits))
        self.update(Visit, plan.visit_updates, lambda obj, changes: self.verify(obj))
        self.touched_projects |= {ids[code] for code, _, _ in plan.new_milestones}
        self.touched_projects |= {ids[r.code] for r in plan.new_receipts}
        self.touched_projects |= {u.pk for u in plan.project_updates}
        refresh_progress(self.touched_projects)

    def _departments(self) -> None:
        plan = self.plan
        if plan.new_groups:
            start = max(DepartmentGroup.objects.values_list("order", flat=True), default=0) + 1
            groups = DepartmentGroup.objects.bulk_create(
                [DepartmentGroup(name=n, order=start + i) for i, n in enumerate(plan.new_groups)]
            )
            plan.group_ids.update({g.name: g.pk for g in groups})
        created = self.create(
            Department,
            (
                Department(name=name, group_id=plan.group_ids.get(group), order=order, head=head)
                for name, group, order, head in plan.new_departments
            ),
        )
        plan.department_ids.update(
            zip((name for name, *_rest in plan.new_departments), created, strict=True)
        )

        def change(obj, changes):
            if "group" in changes:
                obj.group_id = plan.group_ids.get(changes["group"]) if changes["group"] else None
            if "order" in changes:
                obj.order = changes["order"]
            if "head" in changes:
                obj.head = changes["head"]
            return list(changes)

        self.update(Department, plan.department_updates, change)

    def _competition(self) -> None:
        plan = self.plan
        row = plan.ledger.competition
        if plan.competition is None:
            values = {k: v for k, v in plan.competition_changes.items() if v is not None}
            plan.competition = Competition(name=row.name, **values)
            (pk,) = self.create(Competition, [plan.competition])
            plan.competition = Competition.objects.get(pk=pk)
        elif plan.competition_changes:
            self.update(
                Competition, [Update(plan.competition.pk, plan.competition_changes)], _set_fields
            )
            plan.competition.refresh_from_db()
        plan.report.competition_id = plan.competition.pk

    def _projects(self) -> None:
        plan = self.plan
        department_ids = plan.department_ids

        def build(row: ProjectRow) -> Project:
            values = dict(row.values)
            department = values.pop("department")
            project = Project(code=row.code, department_id=department_ids[department], **values)
            project.set_match_keys()  # bulk_create skips save()
            return project

        created = self.create(Project, (build(row) for row in plan.new_projects))
        plan.project_ids.update(zip((row.code for row in plan.new_projects), created, strict=True))

        def change(obj, changes):
            changes = dict(changes)
            fields = []
            if "department" in changes:
                obj.department_id = department_ids[changes.pop("department")]
                fields.append("department")
            fields += _set_fields(obj, changes)
            if {"name", "investor"} & set(changes):
                fields += obj.set_match_keys()  # bulk_update skips save()
            return fields

        self.update(Project, plan.project_updates, change)


def _set_fields(obj, changes: dict[str, Any]) -> list[str]:
    for name, value in changes.items():
        setattr(obj, name, value)
    return list(changes)
