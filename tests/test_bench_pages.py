"""The bench prints the cached pages twice: warm, and with the cache cleared before each run."""

from competition.bench.run import Options, run


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
