"""Generate a large competition into a throw-away database and measure pages and recomputes."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from bench.generate import Size, database_is_empty
from bench.run import Options, run

SKIPPABLE = ("pages", "recompute", "nightly", "import", "pdf", "pack")


class Command(BaseCommand):
    help = (
        "性能基准：在一个可丢弃的数据库中生成大规模竞赛数据（默认200个部门、2万个项目、"
        "10万条节点和到账、5万条接待），测量页面、重算、导入，并与同次运行的下限对比。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="规模倍数（默认1）")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--runs", type=int, default=5, help="每项测量次数，取中位数")
        parser.add_argument(
            "--linearity", action="store_true", help="在1倍、2倍、4倍记录数下测量重算"
        )
        parser.add_argument(
            "--skip", default="", help=f"跳过的测量，逗号分隔：{','.join(SKIPPABLE)}"
        )
        parser.add_argument(
            "--force", action="store_true", help="数据库已有数据时仍然运行（数据将被写入）"
        )

    def handle(self, *args, **o):
        skip = {s.strip() for s in o["skip"].split(",") if s.strip()}
        if unknown := skip - set(SKIPPABLE):
            raise CommandError(f"unknown --skip: {', '.join(sorted(unknown))}")
        if o["scale"] <= 0:
            raise CommandError("--scale must be positive")
        call_command("migrate", verbosity=0, interactive=False)
        if not database_is_empty() and not o["force"]:
            raise CommandError(
                "This database already holds data. The bench writes a large competition into "
                "it: point DATABASE_URL at a throw-away database (createdb bairi_bench_x), or "
                "pass --force."
            )
        self.stdout.write(f"Bench at {Size.at(o['scale'])}")
        run(
            Options(
                scale=o["scale"],
                seed=o["seed"],
                runs=max(1, o["runs"]),
                linearity=o["linearity"],
                skip=skip,
            ),
            out=self.stdout.write,
        )
