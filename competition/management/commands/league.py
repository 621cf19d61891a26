import csv
import io
import unicodedata

from django.core.management.base import BaseCommand

from competition.league.rows import HEADERS, league_rows
from competition.management.commands._args import competition_named, parse_date
from competition.scoring import compute_league
from web.csvsafe import neutralise_row


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "按 LEDGER.md 的格式输出竞赛某日的排名表。"

    def add_arguments(self, parser):
        parser.add_argument("competition", help="竞赛名称")
        parser.add_argument("--as-of", dest="as_of", required=True, help="统计日期 YYYY-MM-DD")
        parser.add_argument("--format", dest="fmt", choices=["csv", "table"], default="table")

    def handle(self, *args, competition, as_of, fmt, **options):
        comp = competition_named(competition)
        league = compute_league(comp, as_of=parse_date(as_of))
        rows = league_rows(league.rows)
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(HEADERS)
            # A department or group named "=…" must not run as a formula in Excel or WPS.
            writer.writerows(neutralise_row(row) for row in rows)
            self.stdout.write(buffer.getvalue(), ending="")
            return
        widths = [max(_width(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
        for row in [HEADERS, *rows]:
            self.stdout.write("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)))
