"""Generate a large ledger, import it into the current database, print time and memory."""

import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.core.management.base import BaseCommand

from bench.ledger import write_bench_ledger
from competition.ledger.importer import import_ledger


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _cpu_seconds() -> float:
    """CPU time of this process: on a shared machine wall time also counts the others."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Command(BaseCommand):
    help = "生成大台账并导入当前数据库，输出耗时和内存峰值（默认200个部门、2万个项目、5万条接待）。"

    def add_arguments(self, parser):
        parser.add_argument("--departments", type=int, default=200)
        parser.add_argument("--projects", type=int, default=20000)
        parser.add_argument("--visits", type=int, default=50000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--name", default="台账性能测试竞赛", help="竞赛名称")
        parser.add_argument("--file", help="台账文件保存位置（默认临时文件，用后删除）")
        parser.add_argument("--reimport", action="store_true", help="再导入一次（应无改动）并计时")
        parser.add_argument(
            "--tracemalloc", action="store_true", help="用 tracemalloc 测 Python 堆峰值（较慢）"
        )

    def handle(self, *args, **o):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(o["file"] or Path(tmp) / "bench.xlsx")
            began = time.perf_counter()
            sizes = write_bench_ledger(
                path,
                name=o["name"],
                departments=o["departments"],
                projects=o["projects"],
                visits=o["visits"],
                seed=o["seed"],
            )
            self.stdout.write(
                f"生成台账：{sizes}，{path.stat().st_size / 1e6:.1f} MB，"
                f"{time.perf_counter() - began:.1f} 秒，maxrss {_maxrss_mb():.0f} MB"
            )
            runs = ["导入", "再次导入"] if o["reimport"] else ["导入"]
            for label in runs:
                if o["tracemalloc"]:
                    tracemalloc.start()
                began, cpu = time.perf_counter(), _cpu_seconds()
                report = import_ledger(str(path))
                elapsed, cpu = time.perf_counter() - began, _cpu_seconds() - cpu
                heap = ""
                if o["tracemalloc"]:
                    heap = f"，Python堆峰值 {tracemalloc.get_traced_memory()[1] / 1e6:.0f} MB"
                    tracemalloc.stop()
                if report.errors:
                    for issue in report.errors[:20]:
                        self.stderr.write(str(issue))
                    self.stderr.write(f"{label}失败：{len(report.errors)} 处错误")
                    return
                self.stdout.write(
                    f"{label}：{elapsed:.1f} 秒（CPU {cpu:.1f} 秒；有改动时含排名快照重算），"
                    f"进程内存峰值 maxrss {_maxrss_mb():.0f} MB{heap}"
                )
                for line in report.summary_lines():
                    self.stdout.write(f"  {line}")
