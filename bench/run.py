"""The whole bench: generate, measure every figure against its floor, print a table."""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.core.cache import cache
from django.db import connection
from django.urls import NoReverseMatch, reverse

from bench.generate import BenchData, Size, add_records, generate
from bench.measure import (
    Figure,
    Pages,
    bench_settings,
    count_queries,
    measure_nightly,
    measure_recompute,
    raw_aggregate,
    timed,
)
from competition.models import Competition
from competition.pagecache import clear_recent
from projects.models import Project

# Targets of the brief (PostgreSQL, default size, this 2-core machine).
PAGE_MAX_RATIO = 3.0
PAGE_MAX_QUERIES = 15
RECOMPUTE_MAX_SECONDS = 2.0
RECOMPUTE_MAX_RATIO = 5.0


@dataclass
class Options:
    scale: float = 1.0
    seed: int = 1
    runs: int = 5
    linearity: bool = False
    skip: set[str] = field(default_factory=set)  # "pages", "recompute", "nightly", "import", "pdf"


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.1f} ms"


def format_figure(f: Figure, *, target: str = "") -> str:
    queries = "" if f.queries is None else f"{f.queries:>4} q"
    floor = f"{f.floor_name} {_ms(f.floor_seconds)}" if f.floor_seconds else ""
    ratio = f"{f.ratio:5.1f}×" if f.ratio is not None else ""
    parts = [f"{f.name:<46}", f"{_ms(f.seconds):>12}", f"{queries:>6}", f"{floor:<34}", ratio]
    line = "  ".join(parts)
    if target:
        line += f"   [{target}]"
    if f.note:
        line += f"   {f.note}"
    return line


def page_verdict(f: Figure) -> str:
    ok = (f.ratio or 0) <= PAGE_MAX_RATIO and (f.queries or 0) <= PAGE_MAX_QUERIES
    return f"≤{PAGE_MAX_RATIO:g}× ≤{PAGE_MAX_QUERIES}q: {'ok' if ok else 'MISSED'}"


def recompute_verdict(f: Figure) -> str:
    ok = f.seconds <= RECOMPUTE_MAX_SECONDS and (f.ratio or 0) <= RECOMPUTE_MAX_RATIO
    return f"≤{RECOMPUTE_MAX_SECONDS:g} s ≤{RECOMPUTE_MAX_RATIO:g}×: {'ok' if ok else 'MISSED'}"


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# Pages whose rendered parts are cached on the snapshot's version (competition.pagecache):
# measured warm, as every page, and cold, with the cache cleared before each run.
CACHED_PAGES = ("league table (leader)", "dashboard (leader)")
# The pages the targets are set for (≤ 3× the minimal view, ≤ 15 queries); the others are
# printed against the same floor.
TARGET_PAGES = (
    *CACHED_PAGES,
    "projects list page 1 (office)",
    "projects list filtered+sorted p.2 (office)",
)


def measure_cold(pages: Pages, name: str, username: str, url: str, *, floor: float) -> Figure:
    """`url` with the cache cleared before each run (the clearing itself is not timed).

    The snapshot is stored already: this is a cache miss, not the first view of a date
    (that one also recomputes, see the recompute figure).
    """
    pages.get(username, url)  # warm-up, as for the other pages: session, templates
    times = []
    for _ in range(pages.runs):
        _empty_caches()
        began = time.perf_counter()
        pages.get(username, url)
        times.append(time.perf_counter() - began)
    _empty_caches()
    queries = count_queries(lambda: pages.get(username, url))
    return Figure(name, statistics.median(times), queries, floor, "minimal view")


def _empty_caches() -> None:
    """The shared cache and this process's recent parts: a miss everywhere."""
    cache.clear()
    clear_recent()


def measure_pages(data: BenchData, *, runs: int, out) -> list[Figure]:
    """League, dashboard, home, projects list (plain and filtered), one project's detail.

    The league table and the dashboard are printed twice: warm (what a reader gets, the
    target's figure) and with a cold cache (what the cache saves).
    """
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
        ]
        for name, user, url in checks:
            figure = pages.measure(name, user, url, floor=floor.seconds)
            figures.append(figure)
            verdict = page_verdict(figure) if name in TARGET_PAGES else "no target"
            out(format_figure(figure, target=verdict))
            if name in CACHED_PAGES:
                cold = measure_cold(pages, f"{name}, cold cache", user, url, floor=floor.seconds)
                figures.append(cold)
                out(format_figure(cold, target="no target: the worker warms after a recompute"))
    return figures


def measure_import(scale: float, *, seed: int, out) -> Figure | None:
    """The ledger bench's workbook at this scale, imported into this database."""
    try:
        from competition.management.commands.ledger_bench import write_bench_ledger

        from competition.ledger.importer import import_ledger
    except ImportError as e:  # pragma: no cover - the ledger is part of the tree today
        out(f"bulk import: skipped ({e})")
        return None
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
    """Render one bulletin PDF (content, HTML, WeasyPrint) if the reports package can."""
    try:
        from competition.reports.html import render_report_html
        from competition.reports.pdf import html_to_pdf
        from competition.reports.service import render_report, request_report
    except ImportError:
        out("bulletin PDF: skipped — competition/reports has no PDF builder in this tree yet")
        return None
    competition = Competition.objects.get(pk=data.competition_id)
    report = request_report(competition, kind="bulletin", as_of=data.today, queue=False)
    began = time.perf_counter()
    pdf = render_report(report)
    seconds = time.perf_counter() - began
    # The floor: WeasyPrint alone, laying out the same HTML.
    html = render_report_html(report)
    floor = timed(lambda: html_to_pdf(html))
    return Figure(
        "bulletin PDF (render_report)",
        seconds,
        floor_seconds=floor,
        floor_name="WeasyPrint on its HTML",
        note=f"{len(pdf) / 1e6:.1f} MB",
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
        out(format_figure(figure, target=recompute_verdict(figure)))
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
