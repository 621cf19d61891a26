"""Generate a large ledger, import it into the current database, print time and memory."""

import random
import resource
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from competition.ledger import schema
from competition.ledger.importer import import_ledger

GROUPS = ["综合经济部门", "党群部门", "社会事业部门", "垂直管理部门"]
INDUSTRIES = list(schema.INDUSTRY_LABELS.values())
CHANNELS = list(schema.SOURCE_CHANNEL_LABELS.values())


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _cpu_seconds() -> float:
    """CPU time of this process: on a shared machine wall time also counts the others."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def write_bench_ledger(path, *, name, departments, projects, visits, seed=1) -> dict[str, int]:
    """Write a valid ledger of the given size to `path`; return the row count per sheet."""
    import openpyxl

    rng = random.Random(seed)
    end = timezone.localdate() - timedelta(days=1)
    start = end - timedelta(days=99)
    days = (end - start).days

    def day(after):
        return after + timedelta(days=rng.randint(0, max(0, (end - after).days) // 3))

    workbook = openpyxl.Workbook(write_only=True)
    sheets = {s.name: workbook.create_sheet(s.name) for s in schema.SHEETS}
    for s in schema.SHEETS:
        sheets[s.name].append(list(s.columns))
    sheets[schema.COMPETITION].append([name, start, end, 0.7, 1.5, schema.NO])
    for label in schema.METRIC_LABELS.values():
        sheets[schema.WEIGHTS].append([label, 10 if label != "接待人数" else 0])
    names = [f"基准部门{i:03d}" for i in range(1, departments + 1)]
    for i, dept in enumerate(names, start=1):
        sheets[schema.DEPARTMENTS].append([dept, GROUPS[i % len(GROUPS)], i])
        sheets[schema.QUOTAS].append([dept, 20, 60, 8, 4, 3, round(rng.uniform(500, 5000), 2), 2])
    counts = {"receipts": 0}
    for i in range(1, projects + 1):
        lead = start + timedelta(days=rng.randint(0, days))
        intent = signed = ground = None
        receipts = []
        if rng.random() < 0.6:
            intent = day(lead)
            if rng.random() < 0.5:
                signed = day(intent)
                if rng.random() < 0.5:
                    first = day(signed)
                    receipts = sorted(day(first) for _ in range(rng.randint(1, 3)))
                    receipts[0] = first
                    if rng.random() < 0.5:
                        ground = day(first)
        sheets[schema.PROJECTS].append(
            [
                f"BENCH-{i:06d}",
                f"基准项目{i}",
                rng.choice(names),
                f"投资方{i % 997}",
                f"责任人{i % 211}",
                rng.choice(INDUSTRIES),
                rng.choice([schema.YES, schema.NO]),
                round(rng.uniform(100, 20000), 2),
                round(rng.uniform(50, 5000), 2),
                rng.choice(["经济开发区", "港经济区", "城区"]),
                rng.choice(["上海", "苏南", "浙江"]),
                rng.choice(CHANNELS),
                lead,
                intent,
                signed,
                ground,
                None,
                None,
            ]
        )
        for when in receipts:
            sheets[schema.RECEIPTS].append(
                [f"BENCH-{i:06d}", when, round(rng.uniform(10, 3000), 2)]
            )
            counts["receipts"] += 1
    for i in range(1, visits + 1):
        code = f"BENCH-{rng.randint(1, projects):06d}" if projects and rng.random() < 0.3 else None
        sheets[schema.VISITS].append(
            [
                start + timedelta(days=rng.randint(0, days)),
                rng.choice(names),
                f"客商单位{i}",
                rng.randint(1, 8),
                f"领导{i % 37}",
                "考察洽谈",
                code,
            ]
        )
    workbook.save(path)
    return {"departments": departments, "projects": projects, "visits": visits, **counts}


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
