"""python manage.py backup FILE: every app's data and every media file into one .tar.gz."""

from django.core.management.base import BaseCommand

from ops.backup import create_backup


class Command(BaseCommand):
    help = "Write a portable backup (dumpdata of all apps + media files) to FILE (.tar.gz)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the archive to write, e.g. bairi-2026-06-30.tar.gz")

    def handle(self, *args, file, **options):
        report = create_backup(file)
        self.stdout.write(
            f"backup written to {report.path}: {report.objects} objects, "
            f"{len(report.files)} media files"
        )
