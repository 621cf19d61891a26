"""The bench at a tiny scale on the test database: it generates valid data and measures."""

import os
import time
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from bench import generate as gen
from bench.measure import raw_aggregate
from bench.run import Options, format_figure, run
from competition.models import Competition, Quota, Snapshot
from competition.scoring import compute_league
from projects.models import Milestone, Project, Receipt, Stage, Visit

TODAY = date(2026, 5, 20)


@pytest.fixture
def bench_data(db):
    return gen.generate(scale=0.005, seed=3, today=TODAY)


def test_generate_makes_the_requested_size(bench_data):
    size = gen.Size.at(0.005)
    quotas = Quota.objects.filter(competition_id=bench_data.competition_id)
    assert quotas.count() == size.departments
    assert Project.objects.count() == size.projects
    assert Milestone.objects.count() + Receipt.objects.count() == size.records
    assert Visit.objects.count() == size.visits
    assert bench_data.counts["projects"] == size.projects
    competition = Competition.objects.get(pk=bench_data.competition_id)
    assert (competition.start_date, competition.end_date) == (date(2026, 2, 10), TODAY)


def test_generated_records_obey_the_stage_order(bench_data):
    """Stage dates never go backwards, nothing after a loss, nothing in the future."""
    dates: dict[int, dict[int, date]] = {}
    for m in Milestone.objects.all():
        dates.setdefault(m.project_id, {})[m.stage] = m.occurred_on
    for r in Receipt.objects.all():
        first = dates.setdefault(r.project_id, {}).get(Stage.FUNDED)
        dates[r.project_id][Stage.FUNDED] = min(first or r.occurred_on, r.occurred_on)
    lost = dict(Project.objects.filter(lost_on__isnull=False).values_list("id", "lost_on"))
    for project_id, by_stage in dates.items():
        ordered = [by_stage[s] for s in sorted(by_stage)]
        assert ordered == sorted(ordered), (project_id, by_stage)
        assert max(ordered) <= TODAY
        if project_id in lost:
            assert max(ordered) <= lost[project_id]


def test_generated_data_is_marked_for_a_recompute_and_its_progress_stored(bench_data):
    """bulk_create announces nothing: the generator refreshes and marks explicitly."""
    competition = Competition.objects.get(pk=bench_data.competition_id)
    assert competition.stale_from == competition.start_date  # its recompute runs after commit
    progress = Project.objects.with_computed_progress().values_list(
        "stage_reached", "computed_stage_reached"
    )
    assert all(stored == computed for stored, computed in progress)
    assert any(stored is not None for stored, _ in progress)


def test_raw_aggregate_counts_every_department(bench_data):
    rows = raw_aggregate(start=date(2026, 2, 10), end=TODAY)
    assert {d for d, _ in rows} <= set(bench_data.department_ids)
    assert sum(n for _, n in rows) > 0


def test_linearity_grows_records_not_departments(bench_data):
    before = dict(bench_data.counts)
    gen.add_records(bench_data, projects=20, records=100, visits=10, seed=9)
    assert bench_data.counts["projects"] == before["projects"] + 20
    assert Project.objects.count() == before["projects"] + 20
    competition = Competition.objects.get(pk=bench_data.competition_id)
    assert len(compute_league(competition, as_of=TODAY).rows) == len(bench_data.department_ids)


def test_whole_bench_runs_at_tiny_scale(db, time_machine):
    time_machine.move_to("2026-05-20 10:00 +08:00")
    lines: list[str] = []
    results = run(
        Options(scale=0.005, runs=1, linearity=True, skip={"import", "nightly", "pack"}),
        out=lines.append,
    )
    assert results["recompute"].queries and results["recompute"].floor_seconds
    assert results["league table (leader)"].queries <= 20
    assert "µs/record" in results["linearity_4"].note
    assert Snapshot.objects.exists()
    text = "\n".join(lines)
    for name in ("minimal view", "league table", "projects list page 1", "project detail"):
        assert name in text
    assert "recompute one date at 4×" in text
    assert results["pdf"].floor_seconds and "WeasyPrint on its HTML" in text
    for page in ("league table (leader)", "dashboard (leader)", "home (leader)"):
        assert results[page].queries and results[page].floor_name == "minimal view"
    # Figures only: no targets, nothing passed or missed.
    assert not any(word in text for word in ("MISSED", "ok]", "no target", "≤"))


def test_nightly_and_import_at_tiny_scale(db, time_machine):
    time_machine.move_to("2026-05-20 10:00 +08:00")
    lines: list[str] = []
    results = run(Options(scale=0.002, runs=1, skip={"pages", "pdf", "pack"}), out=lines.append)
    assert results["nightly"].note.endswith("ms per date")
    assert "import" in results, lines
    # Beside openpyxl reading the same workbook, which an import cannot do without.
    assert results["import"].floor_seconds
    assert "openpyxl reading it" in "\n".join(lines)
    # The nightly recompute stored one snapshot per day of the window.
    competition = Competition.objects.filter(name__startswith="基准竞赛").get()
    days = Snapshot.objects.filter(competition=competition).values("as_of").distinct().count()
    assert days == gen.WINDOW_DAYS


def test_command_refuses_a_database_with_data(db, commerce):
    with pytest.raises(CommandError, match="already holds data"):
        call_command("bench", scale=0.002)


def test_format_figure_prints_time_queries_floor_and_ratio():
    from bench.measure import Figure

    line = format_figure(Figure("league", 0.03, 9, 0.01, "minimal view", note="200 rows"))
    assert "30.0 ms" in line and "9 q" in line and "minimal view 10.0 ms" in line
    assert "3.0×" in line and line.endswith("200 rows")


def test_loadtest_helpers():
    from bench import loadtest as lt

    assert lt.percentile([0.3, 0.1, 0.2, 0.4], 50) == 0.2
    assert lt.percentile([0.1] * 19 + [5.0], 95) == 0.1
    assert lt.percentile([], 95) == 0.0
    body = lt._multipart(
        {"stage": 1}, {"evidence": ("a.pdf", lt.EVIDENCE_PDF, "application/pdf")}, "B"
    )
    assert body.startswith(b'--B\r\nContent-Disposition: form-data; name="stage"\r\n\r\n1\r\n')
    assert b'filename="a.pdf"' in body and body.endswith(b"--B--\r\n")
    samples = [
        lt.Sample("leader GET league", 0.05, True),
        lt.Sample("liaison POST", 0.2, False, "500"),
    ]
    lines = lt.summarize(samples, seconds=2)
    assert lines[0].startswith("all requests: 2 in 2 s = 1.0 req/s")
    assert "errors 1" in lines[0] and "error: liaison POST: 500" in lines[-1]


def test_loadtest_prints_the_servers_tracebacks(tmp_path):
    from bench import loadtest as lt

    log = tmp_path / "gunicorn.log"
    log.write_text(
        "[INFO] booting\n"
        "ERROR django.request Internal Server Error: /projects/new/\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in f\n'
        "    g()\n"
        "IntegrityError: duplicate key value\n"
        "[INFO] next\n"
    )
    lines = lt.tracebacks(log)
    assert lines[0].endswith("Internal Server Error: /projects/new/")
    assert lines[-2] == "IntegrityError: duplicate key value" and "[INFO] next" not in lines
    assert lt.tracebacks(tmp_path / "missing.log") == []


def test_the_load_test_starts_its_processes_in_the_repository():
    from bench import loadtest as lt

    assert (lt.ROOT / "manage.py").is_file()
    assert (lt.ROOT / "config" / "gunicorn.py").is_file()


def test_the_solo_table_prints_each_page_beside_the_floor():
    from bench import loadtest as lt

    lines = lt.solo_lines(
        [("liaison", lt.FLOOR_PAGE, 80.0, 0), ("leader", "/league/", 60.0, 0), ("x", "/y/", 20, 2)]
    )
    assert "100%" in lines[1]
    assert "75%" in lines[2] and lines[2].endswith("ok")
    assert "25%  below half" in lines[3] and "errors 2" in lines[3]


def test_a_process_cpu_and_children_are_read_from_proc():
    import subprocess
    import sys

    from bench import loadtest as lt

    before = lt.cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    assert lt.cpu_seconds(os.getpid()) - before >= 0.2
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert lt.children(os.getpid()) == [child.pid]
    finally:
        child.kill()
        child.wait()


def test_two_servers_side_by_side_do_the_same_operations_in_turn(monkeypatch):
    """paired_cpu: each side's CPU over the requests it answered, after the warm-up; the
    order alternates so that neither side always goes first."""
    import random

    from bench import loadtest as lt

    spent = {1: 0.0, 2: 0.0}  # worker pid: CPU seconds
    order = []

    def operate(browser, *, tag, n, today, written, rng):
        side = 1 if tag.endswith("A") else 2
        order.append((n, side))
        answered = 2 if rng.random() < 0.6 else 6
        for _ in range(answered):
            browser.recorder.add(lt.Sample("liaison POST", 0.01, True))
        spent[side] += answered * (0.010 if side == 1 else 0.008)

    monkeypatch.setattr(lt, "liaison_operation", operate)
    monkeypatch.setattr(lt, "cpu_seconds", lambda pid: spent[pid])
    sides = [
        lt.Side(name, [lt.Browser(1, lt.Recorder())], pid, random.Random(1))
        for name, pid in (("A", 1), ("B", 2))
    ]
    lines = lt.paired_cpu(sides, today=date(2026, 1, 1), loops=10, warm_up=2)
    assert lines[0].startswith("  A: ") and "10.00 ms per request" in lines[0]
    assert "8.00 ms per request" in lines[1] and lines[2] == "  B / A: 80.0%"
    measured = [side for n, side in order if n >= 2]
    assert measured[:4] == [2, 1, 1, 2]  # B first on even loops, A first on odd ones
    answered = [len(side.browsers[0].recorder.samples) for side in sides]
    assert answered[0] == answered[1]  # the same seed: the same operations


def test_pair_options_are_checked():
    from django.core.management.base import CommandError

    from bench.management.commands.loadtest import Command

    assert Command._pairs(["DB_PREPARED_STATEMENTS=off", "X=a=b"]) == {
        "DB_PREPARED_STATEMENTS": "off",
        "X": "a=b",
    }
    for bad in (["novalue"], ["=x"], ["A B=1"]):
        with pytest.raises(CommandError, match="应写成 变量名=值"):
            Command._pairs(bad)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pair-loops", "0"], "应在 1 到 5000 之间"),
        (["--pair-loops", "5001"], "应在 1 到 5000 之间"),
        (["--b-env", "oops"], "应写成 变量名=值"),
        (["--b-repo", "/nonexistent"], "那里没有 manage.py"),
    ],
)
def test_pair_options_are_refused_before_anything_starts(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("loadtest", "--pair", *args)
