from django.core.management.base import BaseCommand, CommandError

from competition.ledger.importer import import_ledger


class Command(BaseCommand):
    help = "导入台账（.xlsx）：创建或更新一个竞赛及其部门、任务、项目、到账和接待记录。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="台账文件 .xlsx")
        parser.add_argument(
            "--dry-run", action="store_true", help="只检查并报告将做的改动，不写入数据库"
        )

    def handle(self, *args, file, dry_run=False, **options):
        report = import_ledger(file, user=None, dry_run=dry_run)
        for issue in report.warnings:
            self.stderr.write(self.style.WARNING(f"警告：{issue}"))
        if report.errors:
            for issue in report.errors:
                self.stderr.write(self.style.ERROR(f"错误：{issue}"))
            raise CommandError(
                f"台账有 {len(report.errors)} 处错误，未导入任何数据。请改正后重新导入。"
            )
        title = f"竞赛“{report.competition}”"
        if dry_run:
            self.stdout.write(f"{title}：检查通过（试运行，未写入）。将做的改动：")
        else:
            self.stdout.write(self.style.SUCCESS(f"{title}：导入完成。"))
        for line in report.summary_lines():
            self.stdout.write(f"  {line}")
        if report.written and report.changed:
            self.stdout.write("  排名快照已安排重新计算。")
