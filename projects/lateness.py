"""补录 (late entry): a record typed in more than LATE_ENTRY_DAYS days after it happened.

The date that counts in the league is always the day the thing happened (`occurred_on`);
the day it was typed in (`created_at`, in the local time zone) only says whether the
department kept its records on time, which 红黑榜's 基础工作 part and the lists show.
The rule is one definition with two forms: `is_late_entry` for one record in Python and
`late_entry_q` for a queryset of milestones, receipts or visits.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import DateField, ExpressionWrapper, F, Q
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

    `prefix` reaches the record through a relation (e.g. "milestones__").
    """
    days = late_entry_days() if days is None else days
    deadline = ExpressionWrapper(
        F(f"{prefix}occurred_on") + timedelta(days=days), output_field=DateField()
    )
    return Q(**{f"{prefix}created_at__date__gt": deadline})
