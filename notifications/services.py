"""Writing notifications: the one function every app calls (`notify`), and who to tell."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from departments.models import Person
from notifications.models import Notification

Kind = Notification.Kind


def notify(*, recipients: Iterable, kind: str, title: str, url: str = "") -> list[Notification]:
    """Store one notification per distinct active recipient (users or user ids).

    Call it inside the transaction of the change it reports: it is rolled back with it.
    """
    ids = {getattr(r, "pk", r) for r in recipients if r is not None}
    users = get_user_model().objects.filter(pk__in=ids, is_active=True)
    active = users.values_list("pk", flat=True)
    rows = [
        Notification(recipient_id=pk, kind=kind, title=title[:200], url=url[:500])
        for pk in sorted(active)
    ]
    return Notification.objects.bulk_create(rows)


def liaisons_of(department_ids: Iterable[int]) -> list[int]:
    """The user ids of the liaisons of these departments (who is told of their cards)."""
    return list(
        Person.objects.filter(liaison_for__in=list(department_ids))
        .values_list("user_id", flat=True)
        .distinct()
    )


def office_users() -> list[int]:
    """The user ids of the competition office (who is told of submitted 整改)."""
    return list(Person.objects.filter(is_office=True).values_list("user_id", flat=True))
