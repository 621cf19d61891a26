"""Faults: Redis (broker and cache) stopped while liaisons work, and the database failing in
the middle of a write.

The Redis tests start a redis-server of their own on a free port and stop only that one;
the shared Redis on 6379 is never touched. A real database restart is not staged here (the
PostgreSQL server is shared): what it can cost is a failed request, and these tests show
that a write failing midway leaves nothing behind, because every write that spans records
is one transaction. What a restart does to a connection kept between requests is staged
on our own session only: the server ends it, and the next request reconnects.
"""

import shutil
import socket
import subprocess
import time
from datetime import date, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from competition.models import Competition, MetricWeight, Quota, Snapshot
from departments.models import Department, DepartmentGroup
from projects import services
from projects.models import Milestone, Project, Receipt, Stage, Visit
from tests.conftest import make_milestone, make_project, make_receipt

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _today(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


# Our own Redis -----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server on a port of its own, started and stopped by the test only."""

    def __init__(self, tmp_path):
        self.port = _free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def ping(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_timeout=0.2).ping()
        except redis.RedisError:
            return False

    def queued(self, queue: str = "celery") -> list[bytes]:
        import redis

        return redis.Redis(port=self.port).lrange(queue, 0, -1)


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(private_redis):
    """Celery publishes to the private Redis (no worker: the tests run what it would)."""
    from config.celery import app

    def use(url):
        app.conf.broker_url = url
        app._pool = None  # connections and producers are made anew for this URL
        app.amqp._producer_pool = None

    app.conf.task_always_eager = False
    use(private_redis.url)
    yield private_redis
    app.conf.task_always_eager = True
    use(None)


@pytest.fixture
def comp(commerce):
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 6, 1), end_date=date(2026, 9, 8)
    )
    Quota.objects.create(competition=comp, department=commerce, visit_batches=10)
    Competition.objects.update(stale_from=None, stale_since=None)
    return comp


def log_visit(client, commerce, org="上海某集团"):
    return client.post(
        reverse("projects:visit_create"),
        {
            "department": commerce.pk,
            "occurred_on": "2026-06-29",
            "investor_org": org,
            "persons": 4,
        },
    )


def run_queued_tasks(server) -> int:
    """Do what a worker would: run every task message waiting in the private Redis."""
    import json

    from config.celery import app

    ran = 0
    for raw in server.queued():
        message = json.loads(raw)
        name = message["headers"]["task"]
        args = json.loads(__import__("base64").b64decode(message["body"]))[0]
        app.tasks[name].apply(args=args)
        ran += 1
    return ran


def test_redis_stopped_liaisons_keep_saving_and_the_league_catches_up(
    broker, comp, commerce, liaison, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(liaison)
    # The visits the liaison logs are pending until the office verifies them (issue 20):
    # this competition counts pending records, so the catch-up has something to show.
    Competition.objects.filter(pk=comp.pk).update(count_pending=True)
    broker.stop()  # Redis goes away while people work

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = log_visit(client, commerce)
    assert response.status_code == 302  # saved, and the liaison sees it saved
    assert time.monotonic() - started < 10  # the publish gives up quickly
    assert Visit.objects.filter(investor_org="上海某集团").exists()
    comp.refresh_from_db()
    assert comp.stale_from == date(2026, 6, 29)  # the marker waits for the catch-up
    assert not Snapshot.objects.filter(competition=comp, as_of=TODAY).exists()

    with django_capture_on_commit_callbacks(execute=True):  # and again: still fine
        assert log_visit(client, commerce, org="苏州某公司").status_code == 302

    broker.start()  # Redis is back (same port, empty)
    Competition.objects.update(stale_since=timezone.now() - timedelta(minutes=5))
    from competition.tasks import sweep_stale

    sweep_stale.apply()  # beat's periodic sweep, run here in-process
    assert run_queued_tasks(broker) == 1  # the recompute it queued on the broker
    snapshot = Snapshot.objects.get(competition=comp, as_of=TODAY, department=commerce)
    assert snapshot.actuals["visit_batches"] == "2"
    comp.refresh_from_db()
    assert comp.stale_from is None


def test_redis_cache_stopped_uploads_are_not_blocked(private_redis, settings, liaison):
    """The rate limit's cache on the stopped Redis: the request goes through (fails open)."""
    from django.core.cache import caches
    from django.http import HttpResponse
    from django.test import RequestFactory

    from web.ratelimit import rate_limited

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
        }
    }
    private_redis.stop()

    @rate_limited("upload")
    def view(request):
        return HttpResponse("saved")

    request = RequestFactory().post("/upload/")
    request.user = liaison
    assert view(request).content == b"saved"
    caches["default"].close()


def test_redis_cache_stopped_the_league_is_drawn_without_it(
    private_redis, settings, comp, commerce, leader
):
    """The shared page cache on the stopped Redis: the league's table is drawn and shown."""
    from django.core.cache import caches

    from competition.league.snapshots import recompute_snapshots

    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    recompute_snapshots(comp, as_of=TODAY)
    client = Client()
    client.force_login(leader)
    assert client.get(reverse("league")).status_code == 200  # kept on the live Redis
    private_redis.stop()
    response = client.get(reverse("league"))
    assert response.status_code == 200
    assert 'class="table league-table"' in response.content.decode()
    assert commerce.name in response.content.decode()
    caches["shared"].close()


def test_redis_cache_stopped_signed_in_users_stay_signed_in(private_redis, settings, liaison):
    """Sessions read from the stopped Redis (web.sessions): read from the database instead,
    and the page answered; signing out still ends the session."""
    from django.contrib.sessions.models import Session
    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    settings.SESSION_ENGINE = "web.sessions"
    settings.SESSION_CACHE_ALIAS = "shared"
    client = Client()
    client.force_login(liaison)
    page = reverse("accounts:password_change")
    assert client.get(page).status_code == 200  # read from the live Redis
    private_redis.stop()
    assert client.get(page).status_code == 200  # signed in still
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.exists()
    caches["shared"].close()


# The database failing midway ---------------------------------------------------------------
def test_bulk_verify_failing_midway_leaves_every_record_as_it_was(
    client, office, commerce, monkeypatch
):
    project = make_project(commerce)
    m = make_milestone(project, Stage.INTENT, date(2026, 6, 1), status="pending")
    r = make_receipt(project, date(2026, 6, 2), status="pending")
    history = (Milestone.history.count(), Receipt.history.count())
    real = services._transition

    def dies_at_the_receipts(model, *args, **kwargs):
        if model is Receipt:
            raise OperationalError("server closed the connection unexpectedly")
        return real(model, *args, **kwargs)

    monkeypatch.setattr(services, "_transition", dies_at_the_receipts)
    failing = Client(raise_request_exception=False)
    failing.force_login(office)
    response = failing.post(
        reverse("projects:queue_bulk"),
        {"action": "verify", "milestone": [m.pk], "receipt": [r.pk]},
    )
    assert response.status_code == 500  # the request fails…
    m.refresh_from_db()
    r.refresh_from_db()
    assert (m.status, r.status) == ("pending", "pending")  # …and changed nothing
    assert (Milestone.history.count(), Receipt.history.count()) == history


def test_ledger_import_failing_midway_leaves_nothing(monkeypatch, db):
    from competition.ledger import apply
    from competition.ledger.importer import import_ledger
    from tests.fixtures.ledger import make_workbook, sample_sheets

    models = [Competition, MetricWeight, Quota, Department, DepartmentGroup, Project, Milestone]
    models += [Receipt, Visit]
    before = {m.__name__: m.objects.count() for m in models}
    history = {m.__name__: m.history.count() for m in models if hasattr(m, "history")}
    real = apply.Apply.create

    def dies_at_the_receipts(self, model, objects):
        if model is Receipt:  # departments, competition, projects, milestones are written
            raise OperationalError("terminating connection due to administrator command")
        return real(self, model, objects)

    monkeypatch.setattr(apply.Apply, "create", dies_at_the_receipts)
    with pytest.raises(OperationalError):
        import_ledger(BytesIO(make_workbook(sample_sheets())))
    assert {m.__name__: m.objects.count() for m in models} == before
    assert {m.__name__: m.history.count() for m in models if hasattr(m, "history")} == history
    assert not Competition.objects.exists()


# The database restarted between two requests --------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_the_database_dropped_is_reopened_not_a_500(liaison):
    """Deployed with DB_CONN_MAX_AGE=60, each web thread keeps its connection between
    requests. The database ends it (a restart, a failover; here pg_terminate_backend of
    that one session, nothing else on the shared server): the next request is answered
    as usual, on a new connection."""
    from django.db import close_old_connections, connection

    if connection.vendor != "postgresql":
        pytest.skip("ending one server session needs PostgreSQL (CI runs this file on it)")
    kept = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 60  # as deployed; health checks as set
    client = Client()

    def get_home():
        # What Django's WSGI handler does as each request starts (request_started), and
        # its test client leaves out: connections too old or unusable are closed, and
        # each kept one is due for its health check again.
        close_old_connections()
        return client.get("/")

    try:
        client.force_login(liaison)
        assert get_home().status_code == 200
        dropped = connection.connection.info.backend_pid
        with connection.get_new_connection(connection.get_connection_params()) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [dropped])

        assert get_home().status_code == 200

        assert connection.connection.info.backend_pid != dropped
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = kept
