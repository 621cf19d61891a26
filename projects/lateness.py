"""补录 (late entry): a record typed in more than LATE_ENTRY_DAYS days after it happened.

The date that counts in the league is always the day the thing happened (`occurred_on`);
the day it was typed in (`created_at`, in the local time zone) only says whether the
department kept its records on time, which 红黑榜's 基础工作 part and the lists show.
The rule is one definition with two forms: `is_late_entry` for one record in Python and
`late_entry_q` for a queryset of milestones, receipts or visits. `late_counts` gives
红黑榜's 基础工作 its figure per department.

Records the ledger import created (`imported`) are never 补录: an office loading its
台账 is history being loaded, not a department typing late. A record typed in on a form
(or in the admin) is judged by the day it was typed, whoever typed it.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count, DateField, ExpressionWrapper, F, Q
from django.utils import timezone


def late_entry_days() -> int:
    """The number of days after which typing a record in makes it a 补录 (a setting)."""
    return settings.LATE_ENTRY_DAYS


def entered_on(created_at: datetime) -> date:
    """The local calendar day a record was typed in."""
    return timezone.localtime(created_at).date()


def is_late_entry(
    *, occurred_on: date, created_at: datetime | None, days: int | None = None
) -> bool:
    """True when the record was typed in more than `days` days after `occurred_on`.

    A record not saved yet (no `created_at`) is typed in today.
    """
    days = late_entry_days() if days is None else days
    typed = entered_on(created_at) if created_at is not None else timezone.localdate()
    return (typed - occurred_on).days > days


def late_entry_q(*, days: int | None = None, prefix: str = "") -> Q:
    """A filter for late entries among records with `occurred_on` and `created_at`.

    `prefix` reaches the record through a relation (e.g. "milestones__"). Records the
    ledger import created are left out (see the module's docstring).
    """
    days = late_entry_days() if days is None else days
    deadline = ExpressionWrapper(
        F(f"{prefix}occurred_on") + timedelta(days=days), output_field=DateField()
    )
    return Q(**{f"{prefix}created_at__date__gt": deadline, f"{prefix}imported": False})


def late_counts(department_ids: Iterable[int], start: date, end: date) -> dict[int, int]:
    """补录 per department: its milestones, receipts and visits that happened in
    [start, end] (`occurred_on`, inclusive) and were typed in late, whatever their review
    status (a returned record was typed late all the same). Every department asked for
    is in the answer, 0 when it has none. Three aggregate queries.
    """
    ids = list(department_ids)
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    # By name: the models import this module (their `is_late_entry`).
    sources = (
        ("Milestone", "project__department_id"),
        ("Receipt", "project__department_id"),
        ("Visit", "department_id"),
    )
    for model, department in sources:
        manager = apps.get_model("projects", model).objects
        rows = (
            manager.filter(late_entry_q(), occurred_on__gte=start, occurred_on__lte=end)
            .filter(**{f"{department}__in": ids})
            .values_list(department)
            .annotate(n=Count("id"))
            .order_by()
        )
        for department_id, n in rows:
            counts[department_id] += n
    return counts
