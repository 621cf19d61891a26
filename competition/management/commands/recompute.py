from django.core.management.base import BaseCommand
from django.utils import timezone

from competition.league.snapshots import recompute_snapshots
from competition.management.commands._args import competition_named, parse_date


class Command(BaseCommand):
    help = "重新计算竞赛某日的排名快照（默认今天）。"

    def add_arguments(self, parser):
        parser.add_argument("competition", help="竞赛名称")
        parser.add_argument("--as-of", dest="as_of", help="统计日期 YYYY-MM-DD，默认今天")

    def handle(self, *args, competition, as_of=None, **options):
        comp = competition_named(competition)
        day = parse_date(as_of) if as_of else timezone.localdate()
        league = recompute_snapshots(comp, as_of=day)
        self.stdout.write(f"{comp.name} {day}: 已计算 {len(league.rows)} 个部门。")
