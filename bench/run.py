"""The whole bench: generate, measure every figure beside its floor, print a table.

Figures only, no verdicts: the old "≤ 3× a bare view" targets are withdrawn.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.urls import NoReverseMatch, reverse

from bench.generate import BenchData, Size, add_records, generate
from bench.ledger import write_bench_ledger
from bench.measure import (
    Figure,
    Pages,
    bench_settings,
    measure_nightly,
    measure_recompute,
    raw_aggregate,
    timed,
)
from competition.ledger.importer import import_ledger
from competition.models import Competition
from projects.models import Project


@dataclass
class Options:
    scale: float = 1.0
    seed: int = 1
    runs: int = 5
    linearity: bool = False
    # "pages", "recompute", "nightly", "import", "pdf", "pack"
    skip: set[str] = field(default_factory=set)


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.1f} ms"


def format_figure(f: Figure) -> str:
    queries = "" if f.queries is None else f"{f.queries:>4} q"
    floor = f"{f.floor_name} {_ms(f.floor_seconds)}" if f.floor_seconds else ""
    ratio = f"{f.ratio:5.1f}×" if f.ratio is not None else ""
    parts = [f"{f.name:<46}", f"{_ms(f.seconds):>12}", f"{queries:>6}", f"{floor:<34}", ratio]
    line = "  ".join(parts)
    if f.note:
        line += f"   {f.note}"
    return line


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def measure_pages(data: BenchData, *, runs: int, out) -> list[Figure]:
    """League, dashboard, home, projects list (plain and filtered), one project's detail,
    each beside the minimal view measured in the same run."""
    competition = Competition.objects.get(pk=data.competition_id)
    today = data.today.isoformat()
    # The project with the most records: the detail page's worst case.
    busiest = (
        Project.objects.filter(department_id__in=data.department_ids)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    figures = []
    with bench_settings():
        pages = Pages(runs=runs)
        leader, office = data.leader_username, data.office_username
        liaison = data.liaison_usernames[0]
        floor = pages.floor(leader)
        out(format_figure(floor))
        out(format_figure(pages.render_floor(leader)))
        checks = [
            (
                "league table (leader)",
                leader,
                f"/league/?competition={competition.pk}&as_of={today}",
            ),
        ]
        if dashboard := _url("dashboard"):
            checks.append(("dashboard (leader)", leader, dashboard))
        else:
            out("dashboard: no /dashboard/ URL in this tree, skipped")
        checks += [
            ("home (leader)", leader, "/"),
            ("projects list page 1 (office)", office, "/projects/"),
            (
                "projects list filtered+sorted p.2 (office)",
                office,
                "/projects/?industry=industrial&stage=2&sort=-planned_investment&page=2",
            ),
            ("project detail (office)", office, f"/projects/{busiest}/"),
            # The load test's pages (README "Load test"): what liaisons open most.
            ("league table, today (leader)", leader, "/league/"),
            ("home (liaison)", liaison, "/"),
            ("visit form (liaison)", liaison, "/projects/visits/new/"),
            ("projects list page 1 (liaison)", liaison, "/projects/"),
            ("visits list page 1 (liaison)", liaison, "/projects/visits/"),
        ]
        for name, user, url in checks:
            figure = pages.measure(name, user, url, floor=floor.seconds)
            figures.append(figure)
            out(format_figure(figure))
    return figures


def measure_import(scale: float, *, seed: int, out) -> Figure | None:
    """The ledger bench's workbook at this scale, imported into this database."""
    size = Size.at(scale)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        sizes = write_bench_ledger(
            path,
            name=f"台账导入基准·{seed}·{time.time_ns()}",
            departments=size.departments,
            projects=size.projects,
            visits=size.visits,
            seed=seed,
        )
        floor = timed(lambda: _read_workbook(path))
        began = time.perf_counter()
        report = import_ledger(str(path))
        seconds = time.perf_counter() - began
    if report.errors:
        out(f"bulk import: {len(report.errors)} errors, first: {report.errors[0]}")
        return None
    rows = sizes["projects"] + sizes["visits"] + sizes.get("receipts", 0)
    return Figure(
        "bulk import (ledger_bench workbook)",
        seconds,
        floor_seconds=floor,
        floor_name="openpyxl reading it",
        note=f"{sizes}; {rows / seconds:,.0f} rows/s, snapshot recompute included",
    )


def _read_workbook(path: Path) -> int:
    """The floor of an import: every cell of the workbook read, nothing checked or stored."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for sheet in workbook.worksheets for _ in sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def measure_pdf(data: BenchData, *, out) -> Figure | None:
    """Render one bulletin PDF of the whole generated competition (content, HTML,
    WeasyPrint), beside WeasyPrint laying out the same HTML alone."""
    try:
        from competition.reports.html import render_report_html
        from competition.reports.pdf import html_to_pdf
        from competition.reports.service import render_report, request_report
    except ImportError:
        out("bulletin PDF: skipped — competition/reports has no PDF builder in this tree yet")
        return None
    competition = Competition.objects.get(pk=data.competition_id)
    report = request_report(competition, kind="bulletin", as_of=data.today)
    began = time.perf_counter()
    pdf = render_report(report)
    seconds = time.perf_counter() - began
    # The floor: WeasyPrint alone, laying out the same HTML.
    html = render_report_html(report)
    floor = timed(lambda: html_to_pdf(html))
    return Figure(
        f"bulletin PDF, {len(data.department_ids)} departments",
        seconds,
        floor_seconds=floor,
        floor_name="WeasyPrint on its HTML",
        note=f"{pdf_pages(pdf)} pages, {len(pdf) / 1e6:.1f} MB",
    )


def pdf_pages(pdf: bytes) -> int | None:
    """Pages of a PDF, by poppler's pdfinfo (scripts/test installs it); None without it."""
    try:
        done = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    found = re.search(rb"^Pages:\s+(\d+)", done.stdout, re.M)
    return int(found.group(1)) if found else None


# Run by a fresh process on the demo's database: render the briefing pack once and say
# how long it took and how much memory the process held at its peak. VmHWM, not
# ru_maxrss: the latter keeps the parent's peak across fork and exec.
_DEMO_PACK = """
import json, time
from django.utils import timezone
from competition.models import Competition
from competition.reports.service import render_report, request_report

def status(key):
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(key + ":"))
    return int(line.split()[1]) / 1024

import weasyprint  # imported beforehand, as in a worker after its first job (about 1 s)

before = status("VmRSS")
competition = Competition.objects.get()
report = request_report(competition, kind="pack", as_of=timezone.localdate())
began = time.perf_counter()
pdf = render_report(report)
seconds = time.perf_counter() - began
print(json.dumps({"seconds": seconds, "peak": status("VmHWM"), "before": before,
                  "pdf": pdf.hex()}))
"""


def measure_demo_pack(*, out) -> Figure | None:
    """The demo's briefing pack (35 departments, the quick start's data), rendered by a
    fresh process on a database of its own, so that its peak memory is the render's: a
    worker renders one report at a time in a process like it. The demo is loaded with
    `manage.py loaddemo` (bench/ imports nothing from demo/)."""
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/demo.sqlite3",
            "VAR_DIR": tmp,
            "MEDIA_ROOT": f"{tmp}/media",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-demo-pack",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("CELERY_BROKER_URL", None)  # tasks in-process: nothing else to wait for

        def manage_py(*args: str) -> str:
            done = subprocess.run(
                [sys.executable, manage, *args], env=env, capture_output=True, text=True
            )
            if done.returncode:
                raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "")
            return done.stdout

        try:
            manage_py("migrate", "--noinput", "--verbosity", "0")
            manage_py("loaddemo")
            figures = json.loads(
                manage_py("shell", "--command", _DEMO_PACK).strip().splitlines()[-1]
            )
        except (RuntimeError, ValueError, IndexError) as exc:
            out(f"demo briefing pack: skipped — {exc}")
            return None
    pages = pdf_pages(bytes.fromhex(figures["pdf"]))
    return Figure(
        "demo briefing pack PDF (own process)",
        figures["seconds"],
        note=(
            f"{pages} pages; the process's peak RSS {figures['peak']:.0f} MB "
            f"({figures['peak'] - figures['before']:.0f} MB over its size before rendering; "
            "WeasyPrint imported beforehand)"
        ),
    )


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(options: Options, *, out=print) -> dict[str, Figure]:
    """Generate the data, measure everything, print each line through `out`."""
    vendor = connection.vendor
    size = Size.at(options.scale)
    out(f"Database: {vendor} ({connection.settings_dict['NAME']}); scale {options.scale:g}: {size}")
    began = time.perf_counter()
    data = generate(scale=options.scale, seed=options.seed)
    out(
        f"Generated {data.counts} in {time.perf_counter() - began:.1f} s "
        f"(maxrss {_maxrss_mb():.0f} MB)"
    )
    if vendor == "postgresql":
        # Statistics and the visibility map, as autovacuum makes them after a bulk insert
        # (PostgreSQL 13+ vacuums inserted tables): counts can scan an index only.
        # Inside a transaction (the bench's own tests) VACUUM cannot run.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute(command)
    competition = Competition.objects.get(pk=data.competition_id)
    results: dict[str, Figure] = {}
    out("")
    out(f"{'what':<46}  {'median':>12}  {'SQL':>6}  {'floor (same run)':<34}  ratio")

    if "recompute" not in options.skip:
        figure = measure_recompute(competition, as_of=data.today, runs=options.runs)
        results["recompute"] = figure
        out(format_figure(figure))
    if "pages" not in options.skip:
        for figure in measure_pages(data, runs=options.runs, out=out):
            results[figure.name] = figure
    if "nightly" not in options.skip:
        figure = measure_nightly(competition, today=data.today)
        results["nightly"] = figure
        out(format_figure(figure))
    if "import" not in options.skip and (
        figure := measure_import(options.scale, seed=options.seed, out=out)
    ):
        results["import"] = figure
        out(format_figure(figure))
    if "pdf" not in options.skip and (figure := measure_pdf(data, out=out)):
        results["pdf"] = figure
        out(format_figure(figure))
    if "pack" not in options.skip and (figure := measure_demo_pack(out=out)):
        results["pack"] = figure
        out(format_figure(figure))
    if options.linearity:
        results.update(measure_linearity(data, options, out=out))
    out(f"maxrss {_maxrss_mb():.0f} MB")
    return results


def measure_linearity(data: BenchData, options: Options, *, out) -> dict[str, Figure]:
    """Recompute of one date at 1×, 2× and 4× the records (same departments)."""
    competition = Competition.objects.get(pk=data.competition_id)
    size = Size.at(options.scale)
    results = {}
    out("")
    out("Linearity: recompute one date as the records grow (departments unchanged)")
    multiple = 1
    base_seconds = None
    for target in (1, 2, 4):
        if target > multiple:
            extra = target - multiple
            add_records(
                data,
                projects=size.projects * extra,
                records=size.records * extra,
                visits=size.visits * extra,
                seed=options.seed + target,
            )
            multiple = target
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
        figure = measure_recompute(competition, as_of=data.today, runs=options.runs)
        records = data.counts["milestones"] + data.counts["receipts"] + data.counts["visits"]
        base_seconds = base_seconds or figure.seconds
        figure.name = f"recompute one date at {target}×"
        figure.note = (
            f"{records:,} records; {figure.seconds / base_seconds:.2f}× the 1× time; "
            f"{figure.seconds / records * 1e6:.1f} µs/record"
        )
        results[f"linearity_{target}"] = figure
        out(format_figure(figure))
    raw_aggregate(start=competition.start_date, end=data.today)
    return results
