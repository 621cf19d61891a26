"""Celery tasks of the accounts app: thin, idempotent."""

from celery import shared_task

from accounts.retention import purge_audit


@shared_task(acks_late=True)
def purge_old_audit_rows() -> int:
    """Delete audit rows older than AUDIT_RETENTION_DAYS (scheduled nightly by beat)."""
    return purge_audit().total
