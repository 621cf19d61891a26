"""Timings and query counts, each beside the floor it is measured against in the same run.

Pages go through django.test.Client (the whole middleware stack, a real session) and are
compared with a minimal view that renders templates/base.html through the same stack
(`floor_view`, reachable only under the bench's own URLconf), and with that template
rendered alone. Recomputes are compared with one raw SQL aggregate over the same rows.

Time and queries are measured in separate runs: capturing queries makes every query
slower (Django records its SQL and duration).
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

from competition.models import Competition
from competition.snapshots import recompute_snapshots
from projects.models import Milestone, Project, Receipt, ReviewStatus, Visit

FLOOR_URL = "/__bench__/floor/"


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
        ROOT_URLCONF="competition.bench.urls",
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
    """The floor of a recompute: one GROUP BY over the same milestones, receipts, visits."""
    m, r, v, p = (x._meta.db_table for x in (Milestone, Receipt, Visit, Project))
    sql = f"""
        SELECT department_id, count(*) FROM (
            SELECT p.department_id FROM {m} x JOIN {p} p ON p.id = x.project_id
             WHERE x.status = %s AND x.occurred_on <= %s
            UNION ALL
            SELECT p.department_id FROM {r} x JOIN {p} p ON p.id = x.project_id
             WHERE x.status = %s AND x.occurred_on <= %s
            UNION ALL
            SELECT department_id FROM {v} WHERE occurred_on >= %s AND occurred_on <= %s
        ) t GROUP BY department_id
    """  # noqa: S608 (table names come from our models)
    verified = ReviewStatus.VERIFIED
    with connection.cursor() as cursor:
        cursor.execute(sql, [verified, end, verified, end, start, end])
        return cursor.fetchall()


def measure_recompute(competition: Competition, *, as_of: date, runs: int) -> Figure:
    """A full recompute of one date (compute_league + store), against the raw aggregate."""
    start = competition.start_date
    seconds = median_seconds(lambda: recompute_snapshots(competition, as_of=as_of), runs=runs)
    queries = count_queries(lambda: recompute_snapshots(competition, as_of=as_of))
    floor = median_seconds(lambda: raw_aggregate(start=start, end=as_of), runs=runs)
    return Figure(
        "recompute one date (recompute_snapshots)", seconds, queries, floor, "raw SQL aggregate"
    )


def measure_nightly(competition: Competition, *, today: date) -> Figure:
    """Every date of the window up to `today` recomputed once, as a marker from the start does."""
    last = min(today, competition.end_date)
    dates = [
        competition.start_date + timedelta(days=i)
        for i in range((last - competition.start_date).days + 1)
    ]
    began = time.perf_counter()
    for day in dates:
        recompute_snapshots(competition, as_of=day)
    seconds = time.perf_counter() - began
    floor_began = time.perf_counter()
    for day in dates:
        raw_aggregate(start=competition.start_date, end=day)
    floor = time.perf_counter() - floor_began
    return Figure(
        f"recompute all {len(dates)} dates of the window",
        seconds,
        None,
        floor,
        f"raw SQL aggregate × {len(dates)}",
        note=f"{seconds / len(dates) * 1000:.0f} ms per date",
    )
