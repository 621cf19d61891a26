"""python manage.py restore FILE: load a backup into an empty database, then recompute."""

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` into an empty, migrated database (run migrate "
        "first); media files go back under their names; league snapshots are recomputed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the archive written by `manage.py backup`")

    def handle(self, *args, file, **options):
        try:
            report = restore_backup(file)
        except BackupError as e:
            raise CommandError(f"restore refused: {e}") from None
        self.stdout.write(
            f"restored {report.objects} objects and {len(report.files)} media files "
            f"from {report.path}; league snapshots recomputed"
        )
