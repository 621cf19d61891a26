"""Celery tasks of the projects app: thin, idempotent."""

from celery import shared_task

from projects import services


@shared_task(acks_late=True)
def purge_old_submissions() -> int:
    """Delete create forms' one-time tokens past SUBMISSION_KEEP_DAYS (nightly, by beat)."""
    return services.purge_submissions()
