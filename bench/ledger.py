"""A valid ledger workbook of any size, for the ledger bench and the bench's import figure."""

import random
from datetime import timedelta

from django.utils import timezone

from competition.ledger import schema

GROUPS = ["综合经济部门", "党群部门", "社会事业部门", "垂直管理部门"]
INDUSTRIES = list(schema.INDUSTRY_LABELS.values())
CHANNELS = list(schema.SOURCE_CHANNEL_LABELS.values())


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
