"""A project's (or a visit's) change history for its page: who, when, before → after.

The creation of a record typed in late is marked 补录 (projects.lateness).

Reads simple_history's rows of the project, its milestones and its receipts (deleted ones
too) in three queries, then names the users and departments they mention in two more;
the diffs are computed here, pairing each row with the previous row of the same record.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import Department
from projects.lateness import is_late_entry
from projects.models import Milestone, Project, Receipt, Stage, Visit
from projects.tables import person_name

# Bookkeeping the user never typed; the history row itself says when and who.
SKIPPED = {"id", "project", "created_at", "updated_at", "reviewed_at"}
# Shown as the evidence's name, not as a change of its own (see _evidence).
SKIPPED_NAMES = {"evidence_name"}
ACTIONS = {"+": gettext_lazy("创建"), "~": gettext_lazy("修改"), "-": gettext_lazy("删除")}


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    when: datetime
    who: str
    subject: str
    action: str
    reason: str
    created: bool
    changes: list[Change] = field(default_factory=list)
    late: bool = False  # the creation of a record typed in late (补录, projects.lateness)


def _rows(model, **lookup):
    return list(
        model.history.filter(**lookup)
        .select_related("history_user__person")
        .order_by("history_date", "history_id")
    )


def _subject(model, row) -> str:
    if model is Project:
        return _("项目信息")
    if model is Visit:
        return _("客商接待：%(d)s %(org)s %(n)s人") % {
            "d": row.occurred_on,
            "org": row.investor_org,
            "n": row.persons,
        }
    if model is Milestone:
        return _("阶段节点：%(stage)s") % {"stage": Stage(row.stage).label}
    return _("资金到账：%(d)s %(a)s万元") % {"d": row.occurred_on, "a": row.amount}


def _display(f: models.Field, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.BooleanField):
        return _("是") if value else _("否")
    if f.is_relation:
        return names.get(f.related_model, {}).get(value, f"#{value}")
    if isinstance(f, models.FileField):
        return _("文件 %(name)s") % {"name": str(value).rsplit("/", 1)[-1]}
    if isinstance(f, models.DateTimeField):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _evidence(row) -> str:
    """A history row's evidence file as the uploader named it (older rows, from before
    evidence_name was kept, by the last part of the stored name)."""
    if not row.evidence:
        return "—"
    name = getattr(row, "evidence_name", "") or str(row.evidence).rsplit("/", 1)[-1]
    return _("文件 %(name)s") % {"name": name}


def _names(batches) -> dict:
    """Display names of the departments and users the history rows refer to (one query each)."""
    user_model = get_user_model()
    wanted: dict = {Department: set(), user_model: set()}
    for model, rows in batches:
        for f in model.history.model.tracked_fields:
            if f.is_relation and f.related_model in wanted:
                wanted[f.related_model].update(
                    v for r in rows if (v := getattr(r, f.attname)) is not None
                )
    names: dict = {
        Department: dict(
            Department.objects.filter(pk__in=wanted[Department]).values_list("pk", "name")
        )
    }
    users = user_model.objects.filter(pk__in=wanted[user_model]).select_related("person")
    names[user_model] = {u.pk: person_name(u) for u in users}
    return names


def project_history(project: Project) -> list[Entry]:
    """Every recorded change of `project` and of its milestones and receipts, newest first."""
    return _entries(
        [
            (Project, _rows(Project, id=project.pk)),
            (Milestone, _rows(Milestone, project_id=project.pk)),
            (Receipt, _rows(Receipt, project_id=project.pk)),
        ]
    )


def visit_history(visit: Visit) -> list[Entry]:
    """Every recorded change of `visit` (its review too), newest first."""
    return _entries([(Visit, _rows(Visit, id=visit.pk))])


def _late(model, row) -> bool:
    """Whether a history row is the creation of a record typed in late (补录)."""
    if model is Project or row.history_type != "+":
        return False
    if getattr(row, "imported", False):
        return False
    return is_late_entry(occurred_on=row.occurred_on, created_at=row.created_at)


def _entries(batches) -> list[Entry]:
    names = _names(batches)
    entries: list[Entry] = []
    for model, rows in batches:
        skipped = SKIPPED | SKIPPED_NAMES
        tracked = [f for f in model.history.model.tracked_fields if f.name not in skipped]
        previous: dict = {}
        for row in rows:
            before = previous.get(row.id)
            changes = []
            if row.history_type != "-":
                for f in tracked:
                    new = getattr(row, f.attname)
                    old = getattr(before, f.attname) if before is not None else None
                    if new != old and not (before is None and new in (None, "", False)):
                        if f.name == "evidence":
                            shown = (_evidence(before) if before else "—", _evidence(row))
                        else:
                            shown = (_display(f, old, names), _display(f, new, names))
                        changes.append(Change(str(f.verbose_name), *shown))
            previous[row.id] = row
            if row.history_type == "~" and not changes and not row.history_change_reason:
                continue  # a save that changed nothing the user cares about
            entries.append(
                Entry(
                    when=row.history_date,
                    who=person_name(row.history_user) or _("系统"),
                    subject=_subject(model, row),
                    action=str(ACTIONS[row.history_type]),
                    reason=row.history_change_reason or "",
                    created=row.history_type == "+",
                    changes=changes,
                    late=_late(model, row),
                )
            )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries
