"""The bench prints the cached pages twice: warm, and with the cache cleared before each run."""

from bench.run import Options, run


def test_cached_pages_are_measured_warm_and_cold(db, time_machine):
    time_machine.move_to("2026-05-20 10:00 +08:00")
    lines: list[str] = []
    results = run(
        Options(scale=0.005, runs=2, skip={"recompute", "nightly", "import", "pdf"}),
        out=lines.append,
    )
    text = "\n".join(lines)
    for page in ("league table (leader)", "dashboard (leader)"):
        warm, cold = results[page], results[f"{page}, cold cache"]
        assert cold.floor_seconds == warm.floor_seconds and cold.ratio is not None
        # A miss reads the snapshot rows (and, on the dashboard, the records) a hit does not.
        assert cold.queries > warm.queries
        assert f"{page}, cold cache" in text
    assert "home (leader), cold cache" not in results


def test_targets_are_judged_on_the_pages_they_are_set_for(db, time_machine):
    time_machine.move_to("2026-05-20 10:00 +08:00")
    lines: list[str] = []
    run(
        Options(scale=0.005, runs=1, skip={"recompute", "nightly", "import", "pdf"}),
        out=lines.append,
    )

    def line(name: str) -> str:
        return next(text for text in lines if text.startswith(name + " "))

    for page in ("league table (leader)", "dashboard (leader)", "projects list page 1 (office)"):
        assert "[≤3× ≤15q: " in line(page)
    for page in ("home (leader)", "project detail (office)"):
        assert "[no target]" in line(page)
    assert "[no target: the worker warms" in line("league table (leader), cold cache")
