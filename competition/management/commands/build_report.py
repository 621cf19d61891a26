import shutil
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from competition.management.commands._args import competition_named, parse_date
from competition.models import Report
from competition.reports import service


class Command(BaseCommand):
    help = (
        "生成简报或汇报会材料（与网页上“报告”相同的任务，在本进程中同步执行）。"
        "简报按竞赛编期号：同一统计日期已有的一期重新生成、沿用原期号，新的日期取下一期号；"
        "结果保存在报告列表中，并可另存到 --output 指定的文件。"
    )

    def add_arguments(self, parser):
        parser.add_argument("competition", help="竞赛名称")
        parser.add_argument(
            "--kind",
            choices=Report.Kind.values,
            required=True,
            help="bulletin：简报；pack：汇报会材料",
        )
        parser.add_argument("--as-of", dest="as_of", help="统计日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--output", help="另存 PDF 到此文件")

    def handle(self, *args, competition, kind, as_of, output, **options):
        comp = competition_named(competition)
        day = parse_date(as_of) if as_of else timezone.localdate()
        if day > timezone.localdate():
            raise CommandError("统计日期不能晚于今天。")
        started = time.perf_counter()
        try:
            report = service.build_now(comp, kind=kind, as_of=day)
        except service.ReportError as exc:
            raise CommandError(str(exc)) from None
        elapsed = time.perf_counter() - started
        label = f"第{report.issue_number}期简报" if report.issue_number else "汇报会材料"
        if report.status != Report.Status.DONE:
            raise CommandError(f"{comp.name} {label}生成失败：{report.error}")
        if output:
            with report.file.open("rb") as source, open(output, "wb") as target:
                shutil.copyfileobj(source, target)
        where = output or report.file.name
        done = f"已生成 {comp.name} {label}（统计日期 {day:%Y-%m-%d}，用时 {elapsed:.1f} 秒）"
        self.stdout.write(self.style.SUCCESS(f"{done}：{where}"))
