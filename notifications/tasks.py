"""Celery tasks of notifications: thin, take IDs, queued after commit (services.notify)."""

import logging
import smtplib

from celery import shared_task
from django.utils import timezone

from notifications import mail

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=6)
def send_emails(self, notification_ids: list[int]) -> int:
    """E-mail these notifications to their recipients (notifications.mail).

    An unreachable or refusing SMTP server is retried later by a worker (30 s, 1, 2, 4 …
    minutes). In-process (no broker) it is not: the request that notified must not wait
    on it; the failure is logged and those e-mails are not sent.
    """
    try:
        return mail.send_notification_emails(notification_ids)
    except (smtplib.SMTPException, OSError) as exc:
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=min(1800, 30 * 2**self.request.retries)) from exc


@shared_task(acks_late=True)
def sweep_unsent_emails() -> int:
    """Send the e-mails whose task was lost (scheduled by celery beat, every 15 minutes)."""
    ids = mail.unsent_ids(now=timezone.now())
    return mail.send_notification_emails(ids) if ids else 0


def queue_emails(notification_ids: list[int]) -> bool:
    """Send the e-mail task; False (logged) when the broker cannot be reached: the
    notifications are stored and shown in the app all the same."""
    try:
        send_emails.delay(list(notification_ids))
    except Exception:  # kombu raises several types; the change that notified has committed
        log.warning("e-mails of notifications %s not queued", notification_ids, exc_info=True)
        return False
    return True
