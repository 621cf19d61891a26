"""Delete audit rows older than AUDIT_RETENTION_DAYS (never less than six months)."""

from django.core.management.base import BaseCommand

from audit.retention import purge_audit


class Command(BaseCommand):
    help = "Delete audit rows (history, security events) older than AUDIT_RETENTION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args, dry_run=False, **options):
        report = purge_audit(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"cutoff {report.cutoff.isoformat()}: {verb} {report.total} rows")
        for name, count in report.deleted.items():
            if count:
                self.stdout.write(f"  {name}: {count}")
