"""Timings and query counts, each beside the floor it is measured against in the same run.

Pages go through django.test.Client (the whole middleware stack, a real session) and are
compared with a minimal view that renders templates/base.html through the same stack
(`floor_view`, reachable only under the bench's own URLconf), and with that template
rendered alone. Recomputes are compared with one raw SQL aggregate over the same rows.

Time and queries are measured in separate runs: capturing queries makes every query
slower (Django records its SQL and duration). The ratio to the floor is printed as a
figure, not judged: there is no target to pass or miss.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.db import connection
from django.shortcuts import render
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from competition.league.recompute import run_recompute
from competition.league.snapshots import recompute_dates, recompute_snapshots
from competition.models import Competition, Snapshot
from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage, Visit
from web.access import public

FLOOR_URL = "/__bench__/floor/"


@public  # only under the bench's own URLconf, never served by the site
def floor_view(request):
    """The least a page of ours can cost: the base template, nothing else."""
    return render(request, "base.html", {})


@dataclass
class Figure:
    """One measured thing: median seconds, query count, and its floor in the same run."""

    name: str
    seconds: float
    queries: int | None = None
    floor_seconds: float | None = None
    floor_name: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.floor_seconds:
            return None
        return self.seconds / self.floor_seconds


def median_seconds(fn: Callable[[], object], *, runs: int) -> float:
    """Median wall time of `runs` calls of `fn` (after one warm-up call)."""
    fn()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def count_queries(fn: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


# Pages -------------------------------------------------------------------------------
def bench_settings():
    """The bench's URLconf (the app's plus the floor view) and a host the client may use.

    SSL redirects are off: the client speaks to the handler in-process, no proxy.
    """
    return override_settings(
        ROOT_URLCONF="bench.urls",
        ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
        SECURE_SSL_REDIRECT=False,
    )


class Pages:
    """Logged-in clients, one per user, that fetch pages and time them."""

    def __init__(self, *, runs: int):
        self.runs = runs
        self.clients: dict[str, Client] = {}

    def client(self, username: str) -> Client:
        if username not in self.clients:
            client = Client()
            client.force_login(User.objects.get(username=username))
            self.clients[username] = client
        return self.clients[username]

    def get(self, username: str, url: str):
        response = self.client(username).get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return response

    def measure(self, name: str, username: str, url: str, *, floor: float) -> Figure:
        seconds = median_seconds(lambda: self.get(username, url), runs=self.runs)
        queries = count_queries(lambda: self.get(username, url))
        return Figure(name, seconds, queries, floor, "minimal view")

    def floor(self, username: str) -> Figure:
        """The minimal view through the same client, middleware and session."""
        seconds = median_seconds(lambda: self.get(username, FLOOR_URL), runs=self.runs)
        queries = count_queries(lambda: self.get(username, FLOOR_URL))
        return Figure("minimal view (base.html, full stack)", seconds, queries)

    def render_floor(self, username: str) -> Figure:
        """base.html rendered alone for a RequestFactory request: no middleware at all."""
        user = User.objects.get(username=username)

        def render_alone():
            request = RequestFactory().get("/")
            request.user = user
            return render_to_string("base.html", {}, request=request)

        seconds = median_seconds(render_alone, runs=self.runs)
        return Figure("base.html rendered alone", seconds, count_queries(render_alone))


# Recompute ---------------------------------------------------------------------------
def raw_aggregate(*, start: date, end: date) -> list[tuple]:
    """The floor of a recompute: one GROUP BY over the same milestones, receipts, visits.

    The rows a recompute reads (milestones of a scored stage and receipts up to `end`,
    joined to their project; visits in the window), grouped once per department: no
    recompute can read them for less. (Leads are left out: no figure counts them.)
    """
    m, r, v, p = (x._meta.db_table for x in (Milestone, Receipt, Visit, Project))
    sql = f"""
        SELECT department_id, count(*) FROM (
            SELECT p.department_id FROM {m} x JOIN {p} p ON p.id = x.project_id
             WHERE x.status = %s AND x.stage >= %s AND x.occurred_on <= %s
            UNION ALL
            SELECT p.department_id FROM {r} x JOIN {p} p ON p.id = x.project_id
             WHERE x.status = %s AND x.occurred_on <= %s
            UNION ALL
            SELECT department_id FROM {v} WHERE occurred_on >= %s AND occurred_on <= %s
        ) t GROUP BY department_id
    """  # noqa: S608 (table names come from our models)
    verified = ReviewStatus.VERIFIED
    with connection.cursor() as cursor:
        cursor.execute(sql, [verified, Stage.INTENT, end, verified, end, start, end])
        return cursor.fetchall()


def measure_recompute(competition: Competition, *, as_of: date, runs: int) -> Figure:
    """A full recompute of one date (compute_league + store), against the raw aggregate.

    The two are timed in alternation, run by run, so that load from elsewhere on the
    machine weighs on both alike.
    """
    start = competition.start_date
    recompute_snapshots(competition, as_of=as_of)  # warm-up
    raw_aggregate(start=start, end=as_of)
    seconds, floor = [], []
    for _ in range(runs):
        seconds.append(timed(lambda: recompute_snapshots(competition, as_of=as_of)))
        floor.append(timed(lambda: raw_aggregate(start=start, end=as_of)))
    queries = count_queries(lambda: recompute_snapshots(competition, as_of=as_of))
    return Figure(
        "recompute one date (recompute_snapshots)",
        statistics.median(seconds),
        queries,
        statistics.median(floor),
        "raw SQL aggregate",
    )


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


NIGHTLY_RUNS = 3


def measure_nightly(competition: Competition, *, today: date) -> Figure:
    """Every date of the window up to `today` recomputed, as after a change from the start.

    The real path: every date's snapshot is stored, the stale marker is set from the
    competition's start (what an import or a back-dated change does), and
    `run_recompute` recomputes all of them (one pass over the records, one transaction).
    The floor is one raw aggregate over the whole window: the records are read once.
    """
    last = min(today, competition.end_date)
    dates = [
        competition.start_date + timedelta(days=i)
        for i in range((last - competition.start_date).days + 1)
    ]
    recompute_dates(competition, dates=dates)  # every date stored, as the nightly runs leave it

    def run() -> list[date]:
        Competition.objects.filter(pk=competition.pk).update(
            stale_from=competition.start_date, stale_since=timezone.now()
        )
        return run_recompute(competition.pk, today=today)

    times, floors = [], []
    for _ in range(NIGHTLY_RUNS):  # alternated, as for one date
        times.append(timed(run))
        floors.append(timed(lambda: raw_aggregate(start=competition.start_date, end=last)))
    queries = count_queries(run)
    seconds, floor = statistics.median(times), statistics.median(floors)
    _vacuum_snapshots()
    per_date = seconds / len(dates)
    return Figure(
        f"recompute all {len(dates)} dates of the window",
        seconds,
        queries,
        floor,
        "raw SQL aggregate, whole window",
        note=(
            f"{per_date / floor:.2f}× the raw aggregate per date; {per_date * 1000:.0f} ms per date"
        ),
    )


def _vacuum_snapshots() -> None:
    """Clear the dead rows the nightly runs left, as autovacuum would (the bench's server
    may run without it): the figures measured next must not pay for scanning them.
    Inside a transaction (the bench's own tests) VACUUM cannot run: statistics only."""
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        cursor.execute(f"{command} {connection.ops.quote_name(Snapshot._meta.db_table)}")
