"""Keeping audit rows as long as required (AUDIT_RETENTION_DAYS, at least six months), and
no longer than that when asked to purge.

The purge deletes only rows older than the retention period: security events, change
addresses, django-axes' access logs, and history rows of the audited models, except a
record's newest history row, which is what the next change of it is compared with.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import ChangeAddress, SecurityEvent
from audit import changes as audit

MIN_RETENTION_DAYS = 184  # 等保 2.0: audit records kept at least six months


@dataclass
class PurgeReport:
    cutoff: datetime
    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def retention_cutoff(*, now: datetime | None = None) -> datetime:
    """Rows older than this may be purged; never less than six months ago."""
    days = max(settings.AUDIT_RETENTION_DAYS, MIN_RETENTION_DAYS)
    return (now or timezone.now()) - timedelta(days=days)


def purge_audit(*, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Delete the audit rows older than the retention period (see the module's docstring)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = retention_cutoff(now=now)
    report = PurgeReport(cutoff=cutoff)
    with transaction.atomic():
        for label in audit.AUDITED:
            hist = audit.history_model(label)
            newest = hist.objects.values("id").annotate(newest=Max("history_id")).values("newest")
            old = hist.objects.filter(history_date__lt=cutoff).exclude(history_id__in=newest)
            old_ids = list(old.values_list("history_id", flat=True))
            report.deleted[f"{label} history"] = len(old_ids)
            if not dry_run and old_ids:
                for start in range(0, len(old_ids), 900):
                    part = old_ids[start : start + 900]
                    hist.objects.filter(history_id__in=part).delete()
                    ChangeAddress.objects.filter(model=label, history_id__in=part).delete()
        others = {
            "accounts.SecurityEvent": SecurityEvent.objects.filter(occurred_at__lt=cutoff),
            "axes.AccessLog": AccessLog.objects.filter(attempt_time__lt=cutoff),
            "axes.AccessFailureLog": AccessFailureLog.objects.filter(attempt_time__lt=cutoff),
            "axes.AccessAttempt": AccessAttempt.objects.filter(attempt_time__lt=cutoff),
        }
        for name, queryset in others.items():
            report.deleted[name] = queryset.count() if dry_run else queryset.delete()[0]
    return report
