"""Sending the e-mail of notifications (run by notifications.tasks, never in a request).

Each row is e-mailed at most once: it is claimed by a compare-and-set on `emailed_at`
before it is sent, and released again if the SMTP server refuses it, so that the task's
retry sends what is left. Whether to send is decided again here, at sending time: the
user may have removed the address or turned e-mails off since the row was written.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import timezone

from notifications import emails
from notifications.models import Notification
from web.redirects import is_local_path

log = logging.getLogger(__name__)


def absolute_link(url: str) -> str:
    """The notification's page as a full address for an e-mail ("" without SITE_URL)."""
    if not settings.SITE_URL or not is_local_path(url):
        return ""
    return settings.SITE_URL.rstrip("/") + url


def recipient_name(user) -> str:
    try:
        return user.person.name or user.get_username()
    except ObjectDoesNotExist:
        return user.get_username()


def wants_email(user) -> bool:
    try:
        enabled = user.notification_preference.email_enabled
    except ObjectDoesNotExist:
        enabled = True
    return bool(user.is_active and user.email and enabled)


def message_for(notification: Notification) -> EmailMessage:
    user = notification.recipient
    subject, body = emails.render(
        "notification",
        {
            "name": recipient_name(user),
            "title": notification.title,
            "body": notification.body,
            "kind": notification.get_kind_display(),
            "link": absolute_link(notification.url),
        },
    )
    return EmailMessage(subject=subject, body=body, to=[user.email])


def send_notification_emails(notification_ids: Iterable[int]) -> int:
    """E-mail each of these notifications not yet e-mailed to its recipient, if they still
    want it. Returns how many were sent. SMTP errors propagate (the task retries)."""
    rows = (
        Notification.objects.filter(pk__in=list(notification_ids), emailed_at__isnull=True)
        .select_related("recipient__person", "recipient__notification_preference")
        .order_by("pk")
    )
    rows = [row for row in rows if wants_email(row.recipient)]
    if not rows:
        return 0  # no SMTP connection for nothing
    sent = 0
    with get_connection() as connection:
        for row in rows:
            claimed = Notification.objects.filter(pk=row.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            )
            if not claimed:
                continue  # another delivery of the task sent it
            try:
                message = message_for(row)
                message.connection = connection
                message.send()
            except smtplib.SMTPRecipientsRefused:
                # The address itself is refused: sending again would fail again. The row
                # stays claimed, so neither a retry nor the sweep tries it any more.
                log.warning("notification %s: address refused by the SMTP server", row.pk)
                continue
            except Exception:
                Notification.objects.filter(pk=row.pk).update(emailed_at=None)
                log.warning("notification %s not e-mailed", row.pk, exc_info=True)
                raise
            sent += 1
    return sent


# E-mails whose task was lost (the broker unreachable when the change committed, or a
# worker gone for good) are sent by the sweep, a beat schedule (notifications 0004).
SWEEP_AFTER = timedelta(minutes=10)  # leave the queued task time to run first
SWEEP_WITHIN = timedelta(days=1)  # older news is not worth an e-mail any more


def unsent_ids(*, now: datetime) -> list[int]:
    """Notifications of the last day not e-mailed although their recipient wants e-mail."""
    return list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lt=now - SWEEP_AFTER,
            created_at__gte=now - SWEEP_WITHIN,
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .exclude(Q(recipient__notification_preference__email_enabled=False))
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
