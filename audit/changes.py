"""The audit log of counted records and settings: who changed what, when, from where.

The rows are simple_history's historical tables of the models in AUDITED (kept by their
own apps); this module adds the request's address (accounts.ChangeAddress), reads the
tables as one list (a UNION of the tables, filtered before the union, newest first) and
describes a page of it: before → after of every changed field, with names in place of
ids. A page costs the same queries whatever its rows: the union's count and slice, then
per model on the page its rows (each with the id of its previous row) and those previous
rows, then one query per kind of name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import CharField, F, IntegerField, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Model label -> how a row finds its department ("" when the model has none).
AUDITED: dict[str, str] = {
    "projects.Project": "department_id",
    "projects.Milestone": "project",
    "projects.Receipt": "project",
    "projects.Visit": "department_id",
    "projects.EvidencePolicy": "",
    "competition.Quota": "department_id",
    "competition.MetricWeight": "",
    "competition.Competition": "",
    "departments.Department": "id",
    "departments.Person": "department_id",
    "competition.YellowCard": "department_id",
    "competition.Rectification": "card",
}
AUDITED_LABELS = frozenset(AUDITED)

ACTIONS = {"+": gettext_lazy("新增"), "~": gettext_lazy("修改"), "-": gettext_lazy("删除")}
# Bookkeeping nobody typed: the history row itself says who and when.
SKIPPED = {"id", "created_at", "updated_at"}


def audited_model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def history_model(label: str) -> type[models.Model]:
    return audited_model(label).history.model


def model_choices() -> list[tuple[str, str]]:
    return [(label, str(audited_model(label)._meta.verbose_name)) for label in AUDITED]


# Addresses of history rows written during a request --------------------------------------
_recorded: ContextVar[set | None] = ContextVar("audit_recorded", default=None)


def start_request() -> object:
    """Begin collecting the history rows a request writes (see RequestAddressMiddleware)."""
    return _recorded.set(set())


def end_request(token) -> None:
    _recorded.reset(token)


def note_recorded(label: str, history_id: int) -> None:
    recorded = _recorded.get()
    if recorded is not None:
        recorded.add((label, history_id))


def record_bulk_addresses(*, user_id: int, since: datetime, address: str) -> int:
    """Give the request's address to the history rows `user_id` wrote since `since` without
    a signal (simple_history's bulk_history_create sends none: reviews, losses, imports).

    Returns how many rows got an address. One query per audited model, one insert.
    """
    from accounts.models import ChangeAddress

    recorded = _recorded.get() or set()
    missing = []
    for label in AUDITED:
        ids = (
            history_model(label)
            .objects.filter(history_user_id=user_id, history_date__gte=since)
            .values_list("history_id", flat=True)
        )
        missing += [(label, pk) for pk in ids if (label, pk) not in recorded]
    if missing:
        ChangeAddress.objects.bulk_create(
            [ChangeAddress(model=label, history_id=pk, address=address) for label, pk in missing],
            ignore_conflicts=True,  # a row recorded by a concurrent request of the same user
        )
    return len(missing)


# The list --------------------------------------------------------------------------------
def _department_expression(label: str):
    how = AUDITED[label]
    if how == "project":
        project = apps.get_model("projects", "Project")
        return Subquery(
            project.objects.filter(pk=OuterRef("project_id")).values("department_id")[:1],
            output_field=IntegerField(),
        )
    if how == "card":  # a 整改 report: the department of its yellow card
        card = apps.get_model("competition", "YellowCard")
        return Subquery(
            card.objects.filter(pk=OuterRef("card_id")).values("department_id")[:1],
            output_field=IntegerField(),
        )
    if how:
        return F(how)
    return Value(None, output_field=IntegerField())


def change_rows(
    *,
    labels: list[str] | None = None,
    user_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    department_id: int | None = None,
):
    """Every history row of the audited models matching the filters, newest first.

    Values: audit_label, history_id, history_date, history_user_id, history_type,
    audit_department_id. Dates are local calendar days, both inclusive.
    """
    chosen = [label for label in AUDITED if not labels or label in labels]
    if department_id is not None:
        chosen = [label for label in chosen if AUDITED[label]]
    if not chosen:
        chosen, empty = ["projects.Project"], True
    else:
        empty = False
    parts = []
    for label in chosen:
        qs = history_model(label).objects.all()
        if empty:
            qs = qs.none()
        if user_id is not None:
            qs = qs.filter(history_user_id=user_id)
        if date_from is not None:
            qs = qs.filter(history_date__gte=_start_of(date_from))
        if date_to is not None:
            qs = qs.filter(history_date__lt=_start_of(date_to + timedelta(days=1)))
        # Prefixed names: the historical models have fields called "department".
        qs = qs.annotate(
            audit_label=Value(label, output_field=CharField()),
            audit_department_id=_department_expression(label),
        )
        if department_id is not None:
            qs = qs.filter(audit_department_id=department_id)
        parts.append(
            qs.order_by().values(
                "audit_label",
                "history_id",
                "history_date",
                "history_user_id",
                "history_type",
                "audit_department_id",
            )
        )
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return combined.order_by("-history_date", "-history_id")


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# Describing a page -----------------------------------------------------------------------
@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    """One history row as the audit page shows it."""

    when: datetime
    who: str
    address: str
    kind: str  # the model's verbose name
    subject: str
    department: str
    action: str
    reason: str
    changes: list[Change] = field(default_factory=list)

    @property
    def changes_text(self) -> str:
        return "；".join(f"{c.label}：{c.before} → {c.after}" for c in self.changes)


def _person_name(user) -> str:
    if user is None:
        return _("系统")
    try:
        return f"{user.person.name}（{user.get_username()}）"
    except Exception:  # no Person: a bare admin account
        return user.get_username()


def _fields(label: str) -> list[models.Field]:
    hist = history_model(label)
    return [
        f
        for f in hist.tracked_fields
        if f.name not in SKIPPED and f.editable and not f.many_to_many
    ]


class _Names:
    """Display names of the users, departments, projects and competitions rows mention."""

    def __init__(self):
        self.wanted: dict[type, set] = defaultdict(set)
        self.names: dict[type, dict] = {}

    def want(self, model, value) -> None:
        if value is not None:
            self.wanted[model].add(value)

    def load(self) -> None:
        user_model = get_user_model()
        for model, ids in self.wanted.items():
            if model is user_model:
                users = user_model.objects.filter(pk__in=ids).select_related("person")
                self.names[model] = {u.pk: _person_name(u) for u in users}
            elif model._meta.label == "projects.Project":
                self.names[model] = {
                    pk: code
                    for pk, code in model.objects.filter(pk__in=ids).values_list("pk", "code")
                }
            else:
                self.names[model] = {o.pk: str(o) for o in model.objects.filter(pk__in=ids)}

    def get(self, model, value) -> str:
        if value is None:
            return "—"
        return self.names.get(model, {}).get(value, f"#{value}")


def _display(f: models.Field, value, names: _Names) -> str:
    if value is None or value == "":
        return "—"
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.BooleanField):
        return _("是") if value else _("否")
    if f.is_relation:
        return names.get(f.related_model, value)
    if isinstance(f, models.FileField):
        return _("文件 %(name)s") % {"name": str(value).rsplit("/", 1)[-1]}
    if isinstance(f, models.DateTimeField):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _subject(label: str, row, names: _Names) -> str:
    project = apps.get_model("projects", "Project")
    if label == "projects.Project":
        return f"{row.code} {row.name}"
    if label == "projects.Milestone":
        return f"{names.get(project, row.project_id)} {row.get_stage_display()}"
    if label == "projects.Receipt":
        return f"{names.get(project, row.project_id)} {row.occurred_on} {_display_amount(row)}"
    if label == "projects.Visit":
        return f"{row.occurred_on} {row.investor_org}"
    competition = apps.get_model("competition", "Competition")
    department = apps.get_model("departments", "Department")
    if label == "competition.Quota":
        who = names.get(department, row.department_id)
        return f"{names.get(competition, row.competition_id)} · {who}"
    if label == "competition.MetricWeight":
        return f"{names.get(competition, row.competition_id)} · {row.get_metric_display()}"
    return str(getattr(row, "name", "")) or f"#{row.id}"


def _display_amount(row) -> str:
    return _("%(a)s万元") % {"a": f"{Decimal(row.amount).normalize():f}"}


def _m2m_values(label: str, history_ids: list[int]) -> dict[models.Field, dict[int, set]]:
    """For models with m2m history (Person.liaison_for): field -> history_id -> related ids."""
    hist = history_model(label)
    values: dict[models.Field, dict[int, set]] = {}
    for m2m_field in getattr(hist, "_history_m2m_fields", []):
        through = hist._meta.get_field(f"{hist._meta.model_name}_{m2m_field.name}").related_model
        target = m2m_field.related_model._meta.model_name
        by_row: dict[int, set] = defaultdict(set)
        for history_id, related in through.objects.filter(history_id__in=history_ids).values_list(
            "history_id", f"{target}_id"
        ):
            by_row[history_id].add(related)
        values[m2m_field] = by_row
    return values


def describe(rows: list[dict]) -> list[Entry]:
    """The entries of `rows` (values from `change_rows`), in the same order."""
    from accounts.models import ChangeAddress

    by_label: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_label[row["audit_label"]].append(row["history_id"])
    history: dict[tuple[str, int], models.Model] = {}
    previous: dict[tuple[str, int], models.Model] = {}
    m2m: dict[str, dict] = {}
    for label, ids in by_label.items():
        hist = history_model(label)
        earlier = (
            hist.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
            .order_by("-history_id")
            .values("history_id")[:1]
        )
        current = list(hist.objects.filter(history_id__in=ids).annotate(prev_id=Subquery(earlier)))
        prev_ids = [r.prev_id for r in current if r.prev_id]
        prevs = {r.history_id: r for r in hist.objects.filter(history_id__in=prev_ids)}
        for r in current:
            history[label, r.history_id] = r
            if r.prev_id:
                previous[label, r.history_id] = prevs.get(r.prev_id)
        if getattr(hist, "_history_m2m_fields", None):
            m2m[label] = _m2m_values(label, ids + prev_ids)

    addresses = {}
    if rows:
        wanted = {(row["audit_label"], row["history_id"]) for row in rows}
        for model_label, history_id, address in ChangeAddress.objects.filter(
            history_id__in={pk for _label, pk in wanted}
        ).values_list("model", "history_id", "address"):
            if (model_label, history_id) in wanted:
                addresses[model_label, history_id] = address

    names = _Names()
    user_model = get_user_model()
    department_model = apps.get_model("departments", "Department")
    for row in rows:
        key = (row["audit_label"], row["history_id"])
        names.want(user_model, row["history_user_id"])
        names.want(department_model, row["audit_department_id"])
        for r in (history.get(key), previous.get(key)):
            if r is None:
                continue
            for f in _fields(row["audit_label"]):
                if f.is_relation:
                    names.want(f.related_model, getattr(r, f.attname))
    for by_field in m2m.values():
        for m2m_field, by_row in by_field.items():
            target = m2m_field.related_model
            for related in by_row.values():
                for pk in related:
                    names.want(target, pk)
    names.load()

    entries = []
    for row in rows:
        label, key = row["audit_label"], (row["audit_label"], row["history_id"])
        new = history.get(key)
        if new is None:  # purged meanwhile
            continue
        old = previous.get(key)
        changes = []
        for f in _fields(label):
            after = getattr(new, f.attname)
            before = getattr(old, f.attname) if old is not None else None
            if row["history_type"] == "-":
                continue
            if after != before and not (old is None and after in (None, "", False)):
                changes.append(
                    Change(
                        str(f.verbose_name), _display(f, before, names), _display(f, after, names)
                    )
                )
        for m2m_field, by_row in m2m.get(label, {}).items():
            after_ids = by_row.get(new.history_id, set())
            before_ids = by_row.get(old.history_id, set()) if old is not None else set()
            if after_ids != before_ids and row["history_type"] != "-":
                target = m2m_field.related_model

                def show(ids, target=target):
                    return "、".join(sorted(names.get(target, pk) for pk in ids)) or "—"

                changes.append(
                    Change(str(m2m_field.verbose_name), show(before_ids), show(after_ids))
                )
        entries.append(
            Entry(
                when=new.history_date,
                who=names.get(user_model, row["history_user_id"])
                if row["history_user_id"]
                else _("系统"),
                address=addresses.get(key, ""),
                kind=str(audited_model(label)._meta.verbose_name),
                subject=_subject(label, new, names),
                department=names.get(department_model, row["audit_department_id"])
                if row["audit_department_id"]
                else "",
                action=str(ACTIONS[row["history_type"]]),
                reason=new.history_change_reason or "",
                changes=changes,
            )
        )
    return entries


def iter_entries(rows, *, chunk: int = 500) -> Iterator[Entry]:
    """Describe a whole (filtered) list in chunks, for exports."""
    start = 0
    while True:
        part = list(rows[start : start + chunk])
        if not part:
            return
        yield from describe(part)
        start += chunk
