"""Writing notifications: the one function every app calls (`notify`), who to tell, and
the reader's side (read marks, the e-mail preference).

    notify(recipients=liaisons_of([dept.pk]), kind=Kind.CARD_ISSUED, title="…", url="/…")

`url` must be a page of this site each recipient may open (the list links it only when
it is a local path); leave it empty when some recipient may not open it. E-mails are
queued after the caller's transaction commits, one task for the rows of one call, and
only for recipients with an e-mail address who have not turned e-mails off.

The header's unread count is kept on the shared cache per user (web.shared_values): every
function here that changes what a user has unread forgets their count after it commits.
Write notifications only through these functions.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from departments.models import Person
from notifications import tasks
from notifications.models import Notification, NotificationPreference
from web.shared_values import forget_on_commit, shared_value

Kind = Notification.Kind
# A change that forgets nothing (a fix in SQL) shows in the header within a minute.
UNREAD_SECONDS = 60


def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str,
    url: str = "",
    body: str = "",
    key: str = "",
) -> list[Notification]:
    """Store one notification per distinct active recipient (users or user ids).

    Call it inside the transaction of the change it reports: it is rolled back with it,
    and the e-mails are queued only once it commits. With a `key`, recipients who already
    have a notification with that key are skipped (an event told once per person).
    """
    ids = {getattr(r, "pk", r) for r in recipients if r is not None}
    users = get_user_model().objects.filter(pk__in=ids, is_active=True)
    if key:
        users = users.exclude(notifications__key=key)
    found = users.values_list("pk", "email", "notification_preference__email_enabled")
    wants_email = {pk: bool(email) and enabled is not False for pk, email, enabled in found}
    rows = [
        Notification(
            recipient_id=pk, kind=kind, title=title[:200], body=body, url=url[:500], key=key
        )
        for pk in sorted(wants_email)
    ]
    rows = Notification.objects.bulk_create(rows)
    _forget_unread(row.recipient_id for row in rows)
    to_email = [row.pk for row in rows if wants_email[row.recipient_id] and row.pk is not None]
    if to_email:
        transaction.on_commit(lambda: tasks.queue_emails(to_email))
    return rows


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


def leader_users() -> list[int]:
    """The user ids of the leaders (who read the bulletins)."""
    return list(Person.objects.filter(is_leader=True).values_list("user_id", flat=True))


# The reader's side -------------------------------------------------------------------------


def notifications_of(user):
    """The notifications `user` may see: their own, newest first."""
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    """The header's figure: kept on the shared cache, else one COUNT over the
    (recipient, read_at) index."""
    user_id = getattr(user, "pk", user)
    return shared_value(
        _unread_key(user_id),
        lambda: Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count(),
        seconds=UNREAD_SECONDS,
    )


def mark_read(notification: Notification) -> bool:
    """Mark one notification read; False when it already was (compare-and-set)."""
    updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    # Even when it already was: a count kept before a change that forgot nothing goes too.
    _forget_unread([notification.recipient_id])
    return bool(updated)


def mark_all_read(user) -> int:
    """Mark every unread notification of `user` read; how many were."""
    updated = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    _forget_unread([getattr(user, "pk", user)])
    return updated


def delete_notifications(notifications) -> int:
    """Delete these notifications (a queryset; the demo's rebuild); how many were."""
    recipient_ids = set(notifications.order_by().values_list("recipient_id", flat=True).distinct())
    deleted, _by_model = notifications.delete()
    _forget_unread(recipient_ids)
    return deleted


def _unread_key(user_id: int) -> str:
    return f"unread:{user_id}"


def _forget_unread(user_ids: Iterable[int]) -> None:
    """Forget these users' unread counts once the change commits."""
    forget_on_commit(*(_unread_key(pk) for pk in sorted(set(user_ids))))


def email_enabled(user) -> bool:
    """Whether `user` wants e-mails (the default without a preference row). Reads only."""
    enabled = (
        NotificationPreference.objects.filter(user=user)
        .values_list("email_enabled", flat=True)
        .first()
    )
    return enabled is not False


def set_email_enabled(user, *, enabled: bool) -> bool:
    """Turn `user`'s e-mails on or off (a history row records who and when); False when
    nothing changed."""
    with transaction.atomic():
        preference, created = NotificationPreference.objects.select_for_update().get_or_create(
            user=user, defaults={"email_enabled": enabled}
        )
        if created:
            return not enabled  # the default is on: only "off" is a change
        if preference.email_enabled == enabled:
            return False
        preference.email_enabled = enabled
        preference.save()
        return True
