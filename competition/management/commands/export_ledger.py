from django.core.management.base import BaseCommand

from competition.ledger.writer import export_ledger
from competition.management.commands._args import competition_named


class Command(BaseCommand):
    help = "把一个竞赛导出为台账（.xlsx），格式与 import_ledger 读入的相同。"

    def add_arguments(self, parser):
        parser.add_argument("competition", help="竞赛名称")
        parser.add_argument("file", help="输出文件 .xlsx")

    def handle(self, *args, competition, file, **options):
        comp = competition_named(competition)
        export_ledger(comp, file)
        self.stdout.write(self.style.SUCCESS(f"已导出竞赛“{comp.name}”到 {file}。"))
