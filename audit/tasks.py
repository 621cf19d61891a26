"""Celery tasks of the audit app: thin, idempotent."""

from celery import shared_task

from audit.retention import purge_audit


# The name it had in accounts/, which the beat schedule (accounts/migrations/0002) stores.
@shared_task(name="accounts.tasks.purge_old_audit_rows", acks_late=True)
def purge_old_audit_rows() -> int:
    """Delete audit rows older than AUDIT_RETENTION_DAYS (scheduled nightly by beat)."""
    return purge_audit().total
