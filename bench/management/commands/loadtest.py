"""Load test: gunicorn + a real Celery worker on 127.0.0.1, liaisons writing, leaders reading.

    createdb -h 127.0.0.1 -U postgres bairi_loadtest
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bairi_loadtest \\
        python manage.py loadtest            # 50 liaisons, 10 leaders, 60 seconds
        python manage.py loadtest --solo-only --web-workers 8 --web-threads 1
                                             # each page alone beside the floor, no load
                                             # (gunicorn as configured unless given)
        python manage.py loadtest --pair --b-env DB_PREPARED_STATEMENTS=off
        python manage.py loadtest --pair --b-repo /tmp/other-revision
                                             # two servers side by side, the liaison
                                             # flow in turn: CPU per request of each
"""

import os
import random
import secrets
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import loadtest as lt
from bench.generate import PASSWORD, database_is_empty, generate
from competition.league.rows import league_rows
from competition.league.snapshots import recompute_snapshots
from competition.models import Competition, Snapshot
from competition.scoring import compute_league
from departments.models import Person
from projects.models import Milestone, Project, Visit

PORT = 8031
WARM_UP_SECONDS = 1  # each page's requests before it is measured alone
BROKER_DB = 11
CACHE_DB = 12


class Command(BaseCommand):
    help = (
        "压力测试：在本机启动 gunicorn（端口8031）和 Celery worker（Redis 11号库），"
        "50名联络员通过表单填报、10名领导刷新排名表60秒；之后核对每条写入和排名。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--liaisons", type=int, default=50)
        parser.add_argument("--leaders", type=int, default=10)
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--scale", type=float, default=0.25, help="基础数据规模（默认0.25）")
        parser.add_argument("--think", type=float, default=0.5, help="每次操作后最长停顿（秒）")
        # gunicorn as deployed (config/gunicorn.py: 2 × cores + 1 workers, 2 threads)
        # unless given: 3 × 4 served 61–66 req/s of the load, 5 × 2 78 (README).
        parser.add_argument("--web-workers", type=int, help="gunicorn 进程数（默认按配置）")
        parser.add_argument("--web-threads", type=int, help="每个进程的线程数（默认按配置）")
        parser.add_argument("--force", action="store_true", help="数据库已有数据时仍然运行")
        parser.add_argument(
            "--solo-only",
            action="store_true",
            help="只逐页测吞吐量（与最简页面相比），不跑负载（调 gunicorn 进程和线程数用）",
        )
        parser.add_argument(
            "--pair",
            action="store_true",
            help=(
                "不跑负载：两个 gunicorn（各1进程1线程）并排，A 按配置，B 加 --b-env/--b-repo，"
                "联络员流程轮流各做一次，比较每个请求的进程CPU（测一项改动用）"
            ),
        )
        parser.add_argument("--pair-loops", type=int, default=200, help="每边的操作次数（默认200）")
        parser.add_argument(
            "--b-env",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="B 的环境变量（可多次），如 DB_PREPARED_STATEMENTS=off",
        )
        parser.add_argument(
            "--b-repo", help="B 运行的另一份代码（另一版本的 git worktree，同一数据库结构）"
        )
        parser.add_argument(
            "--solo-seconds",
            type=float,
            default=5,
            help="负载前逐页测吞吐量的秒数（8个并发，0为跳过）",
        )

    def handle(self, *args, **o):
        # The options first: a wrong one is named before anything is started or read.
        if not 1 <= o["pair_loops"] <= 5000:
            raise CommandError(f"--pair-loops {o['pair_loops']}：应在 1 到 5000 之间。")
        o["b_env"] = self._pairs(o["b_env"])
        if o["b_repo"] and not (Path(o["b_repo"]) / "manage.py").is_file():
            raise CommandError(f"--b-repo {o['b_repo']}：那里没有 manage.py（应是另一份代码）。")
        if connection.vendor != "postgresql":
            raise CommandError(
                "The load test needs PostgreSQL: set DATABASE_URL to a database of its own."
            )
        if o["seconds"] > 600 or o["liaisons"] > 200 or o["leaders"] > 50:
            raise CommandError("Bounded: at most 600 seconds, 200 liaisons, 50 leaders.")
        for port in (PORT, PORT + 1) if o["pair"] else (PORT,):
            with socket.socket() as s:
                if s.connect_ex((lt.HOST, port)) == 0:
                    raise CommandError(f"Something already listens on {lt.HOST}:{port}.")
        call_command("migrate", verbosity=0, interactive=False)
        if not database_is_empty() and not o["force"]:
            raise CommandError("This database already holds data; use a database of its own.")

        out = self.stdout.write
        began = time.perf_counter()
        data = generate(scale=o["scale"], seed=11)
        if connection.vendor == "postgresql":
            # Planner statistics for the rows just bulk-loaded, as autovacuum would give
            # them a minute later (and as `bench` does): without them PostgreSQL estimated
            # one row per table and chose a nested loop for the league's figures, 25 s
            # instead of 0.14 s (EXPLAIN ANALYZE, 2026-12-03).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        if len(data.liaison_usernames) < o["liaisons"]:
            raise CommandError(
                f"--scale {o['scale']} has only {len(data.liaison_usernames)} departments"
            )
        leaders = [data.leader_username] + self._more_leaders(data, o["leaders"] - 1)
        competition = Competition.objects.get(pk=data.competition_id)
        recompute_snapshots(competition, as_of=data.today)
        out(f"Data: {data.counts} in {time.perf_counter() - began:.0f} s")

        with tempfile.TemporaryDirectory(prefix="bairi-loadtest-") as tmp:
            env = self._environment(Path(tmp), o)
            self._flush_redis()
            processes = lt.Processes(env=env, log_dir=Path(tmp))
            try:
                self._run(processes, env, data, leaders, o)
            finally:
                processes.stop()
                self._flush_redis()
                out("gunicorn and the Celery worker stopped.")

    # Set-up -----------------------------------------------------------------------
    def _more_leaders(self, data, n: int) -> list[str]:
        password = make_password(PASSWORD)
        names = [f"{data.leader_username}_{i:02d}" for i in range(1, n + 1)]
        users = User.objects.bulk_create([User(username=u, password=password) for u in names])
        Person.objects.bulk_create(
            [Person(user=u, name=f"领导{i}", is_leader=True) for i, u in enumerate(users, 1)]
        )
        return names

    def _environment(self, tmp: Path, o) -> dict:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=os.environ["DATABASE_URL"],
            DB_CONN_MAX_AGE="60",
            CELERY_BROKER_URL=f"redis://{lt.HOST}:6379/{BROKER_DB}",
            CACHE_URL=f"redis://{lt.HOST}:6379/{CACHE_DB}",
            SECRET_KEY=secrets.token_urlsafe(40),  # sessions live in the children only
            DEBUG="",
            ALLOWED_HOSTS=lt.HOST,
            SECURE_SSL_REDIRECT="0",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            SECURE_HSTS_SECONDS="0",
            VAR_DIR=str(tmp),
            LOG_LEVEL="WARNING",
            GUNICORN_BIND=f"{lt.HOST}:{PORT}",
            GUNICORN_LOG_LEVEL="warning",
            # Its liaisons post faster than people can (up to three forms with no pause
            # between them): the upload limit (UPLOAD_RATE_PER_MINUTE, 30 a minute) would
            # refuse them with 429 and the test would measure the limit, not the speed.
            UPLOAD_RATE_PER_MINUTE="600",
        )
        for name, option in (
            ("GUNICORN_WORKERS", "web_workers"),
            ("GUNICORN_THREADS", "web_threads"),
        ):
            if o[option]:
                env[name] = str(o[option])
        return env

    @staticmethod
    def _pairs(given: list[str]) -> dict[str, str]:
        pairs = {}
        for item in given:
            name, sep, value = item.partition("=")
            if not sep or not name.isidentifier():
                raise CommandError(
                    f"--b-env {item!r}：应写成 变量名=值，如 DB_PREPARED_STATEMENTS=off。"
                )
            pairs[name] = value
        return pairs

    def _flush_redis(self) -> None:
        import redis

        for db in (BROKER_DB, CACHE_DB):  # ours only
            redis.Redis(host=lt.HOST, port=6379, db=db).flushdb()

    # The run ------------------------------------------------------------------------
    def _run(self, processes: lt.Processes, env: dict, data, leaders: list[str], o) -> None:
        out = self.stdout.write
        python = lt.venv_bin("python")
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        processes.start(
            "collectstatic", [python, manage, "collectstatic", "--noinput", "-v0"]
        ).wait(timeout=300)
        processes.start(
            "worker",
            [
                lt.venv_bin("celery"), "-A", "config", "worker", "--loglevel", "WARNING",
                "--concurrency", "1", "--without-gossip", "--without-mingle",
                "--hostname", f"loadtest-{os.getpid()}@%h",
            ],
        )  # fmt: skip
        if o["pair"]:
            self._pair(processes, env, data, o)
            return
        processes.start(
            "gunicorn", [lt.venv_bin("gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"]
        )
        lt.wait_healthy(PORT, timeout=120)
        shape = "as configured (config/gunicorn.py)"
        if "GUNICORN_WORKERS" in env or "GUNICORN_THREADS" in env:
            shape = (
                f"{env.get('GUNICORN_WORKERS', 'configured')} workers × "
                f"{env.get('GUNICORN_THREADS', 'configured')} threads"
            )
        out(f"gunicorn on {lt.HOST}:{PORT}, {shape}, and a Celery worker are up (/healthz 200).")
        status, headers, _ = lt.Browser(PORT).get("/static/css/app.css")
        if status != 200:
            raise CommandError(f"static file not served with DEBUG off: {status}")
        out("Static files served by whitenoise with DEBUG off: /static/css/app.css 200.")

        recorder = lt.Recorder()
        liaisons = data.liaison_usernames[: o["liaisons"]]
        browsers: dict[str, lt.Browser] = {}

        def login(username):
            browser = lt.Browser(PORT, recorder)
            browser.login(username, PASSWORD)
            browsers[username] = browser

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(login, liaisons + leaders))
        out(
            f"{len(liaisons)} liaisons and {len(leaders)} leaders logged in through the login form."
        )

        if o["solo_seconds"] > 0 or o["solo_only"]:
            self._solo(
                browsers,
                liaisons,
                leaders,
                competition_id=data.competition_id,
                seconds=o["solo_seconds"] or 5,
            )
        if o["solo_only"]:
            return

        written = lt.Written()
        deadline = time.monotonic() + o["seconds"]
        threads = [
            threading.Thread(
                target=lt.liaison_loop,
                args=(browsers[u],),
                kwargs={
                    "tag": f"{i:03d}",
                    "today": data.today,
                    "deadline": deadline,
                    "written": written,
                    "think": o["think"],
                },
            )
            for i, u in enumerate(liaisons)
        ] + [
            threading.Thread(
                target=lt.leader_loop,
                args=(browsers[u],),
                kwargs={"deadline": deadline, "think": o["think"], "seed": i},
            )
            for i, u in enumerate(leaders)
        ]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=o["seconds"] + 120)
        elapsed = time.perf_counter() - began
        out(
            f"Load: {len(liaisons)} liaisons writing, {len(leaders)} leaders reading, "
            f"{elapsed:.0f} s"
        )
        for line in lt.summarize(recorder.samples, seconds=elapsed):
            out(line)
        reconnects = sum(b.reconnects for b in browsers.values())
        out(f"  (idle keep-alive connections closed by gunicorn and re-opened: {reconnects})")
        errors = sum(not sample.ok for sample in recorder.samples)
        if errors:
            out("Server errors (gunicorn's log):")
            for line in lt.tracebacks(processes.log_dir / "gunicorn.log"):
                out(f"  {line}")

        self._check_writes(written)
        self._check_league(data)
        if errors:
            raise CommandError(f"{errors} requests failed (the target is none).")

    def _pair(self, processes: lt.Processes, env: dict, data, o) -> None:
        """Two gunicorns of one worker and one thread side by side, A as configured and B
        with --b-env / --b-repo, serving the liaison flow in turn (bench.loadtest.paired_cpu)."""
        out = self.stdout.write
        # One worker, never recycled: its CPU is read from /proc before and after.
        one = {"GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "1", "GUNICORN_MAX_REQUESTS": "0"}
        b_repo = Path(o["b_repo"]).resolve() if o["b_repo"] else lt.ROOT
        shapes = [
            ("A", {**env, **one}, lt.ROOT, PORT),
            ("B", {**env, **one, **o["b_env"]}, b_repo, PORT + 1),
        ]
        sides = []
        for name, side_env, cwd, port in shapes:
            side_env["GUNICORN_BIND"] = f"{lt.HOST}:{port}"
            master = processes.start(
                f"gunicorn-{name}",
                [lt.venv_bin("gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"],
                env=side_env,
                cwd=cwd,
            )
            lt.wait_healthy(port, timeout=120)
            (worker,) = lt.children(master.pid)
            browsers = []
            for username in data.liaison_usernames[:5]:
                browser = lt.Browser(port, lt.Recorder())
                browser.login(username, PASSWORD)
                browsers.append(browser)
            # The same seed on both sides: the same operations in the same order.
            sides.append(lt.Side(name, browsers, worker, random.Random(1)))
        b_shape = " ".join(f"{k}={v}" for k, v in o["b_env"].items())
        out(f"A: {lt.ROOT}, as configured; B: {b_repo} {b_shape}".rstrip())
        out(f"Each 1 worker × 1 thread, {o['pair_loops']} operations each, in turn:")
        for line in lt.paired_cpu(sides, today=data.today, loops=o["pair_loops"]):
            out(line)
        for side in sides:
            self._check_writes(side.written)

    def _solo(self, browsers, liaisons, leaders, *, competition_id: int, seconds: float) -> None:
        """Each page alone, 8 users at once without pauses, before the load: requests per
        second beside the floor's, measured in this run on this machine."""
        pages = [
            ("liaison", lt.FLOOR_PAGE),
            ("liaison", "/"),
            ("liaison", "/projects/visits/new/"),
            ("liaison", "/projects/"),
            ("liaison", "/projects/visits/"),
            ("leader", "/"),
            ("leader", "/league/"),
            ("leader", "/dashboard/"),
        ]
        # The steady state: the worker done with the recompute the data left queued, and
        # each page drawn once by the web processes (the league's table and the dashboard's
        # body once for all of them on the shared cache, the forms once per process).
        self._wait_for_worker(competition_id, timeout=120)
        results = []
        for who, path in pages:
            users = [browsers[u] for u in (liaisons if who == "liaison" else leaders)[:8]]
            lt.solo_throughput(users, path, seconds=WARM_UP_SECONDS)
            rate, failed = lt.solo_throughput(users, path, seconds=seconds)
            results.append((who, path, rate, failed))
        self.stdout.write(f"Each page alone ({seconds:g} s, 8 users at once, no pauses):")
        for line in lt.solo_lines(results):
            self.stdout.write(line)

    # Checks ------------------------------------------------------------------------
    def _check_writes(self, written: lt.Written) -> None:
        out = self.stdout.write
        orgs = {org for _, org, _ in written.visits}
        stored_visits = set(
            Visit.objects.filter(investor_org__in=orgs).values_list(
                "department_id", "investor_org", "persons"
            )
        )
        missing_visits = set(written.visits) - stored_visits
        project_ids = {pid for pid, _ in written.projects}
        stored_projects = set(Project.objects.filter(id__in=project_ids).values_list("id", "name"))
        missing_projects = set(written.projects) - stored_projects
        stored_milestones = set(
            Milestone.objects.filter(project_id__in=project_ids).values_list("project_id", "stage")
        )
        missing_milestones = set(written.milestones) - stored_milestones
        out(
            f"Writes accepted: {len(written.visits)} visits, {len(written.projects)} projects, "
            f"{len(written.milestones)} milestones; missing in the database: "
            f"{len(missing_visits)} / {len(missing_projects)} / {len(missing_milestones)}"
        )
        if missing_visits or missing_projects or missing_milestones:
            raise CommandError("Some accepted writes are not in the database.")

    def _wait_for_worker(self, competition_id: int, *, timeout: float) -> float:
        """Wait until the worker has recomputed every stale date of the competition;
        the seconds waited."""
        began = time.perf_counter()
        deadline = time.monotonic() + timeout
        while Competition.objects.filter(pk=competition_id, stale_from__isnull=False).exists():
            if time.monotonic() > deadline:
                marker = Competition.objects.filter(pk=competition_id).values(
                    "stale_from", "stale_since", "stale_version"
                )[0]
                hint = ""
                if marker["stale_since"] is None:
                    hint = (
                        " The marker is set without stale_since and no task is queued: a change"
                        " re-marked it just after the worker cleared it, and nothing was queued"
                        " (competition/league/recompute.py, mark_competition_stale)."
                    )
                raise CommandError(
                    f"The worker did not catch up within {timeout:.0f} s: {marker}.{hint}"
                )
            time.sleep(0.5)
        return time.perf_counter() - began

    def _check_league(self, data, *, timeout: float = 120) -> None:
        out = self.stdout.write
        waited = self._wait_for_worker(data.competition_id, timeout=timeout)
        out(f"Worker caught up {waited:.1f} s after the load ended.")
        competition = Competition.objects.get(pk=data.competition_id)
        stored = league_rows(
            Snapshot.objects.filter(competition=competition, as_of=data.today).order_by("rank")
        )
        fresh = league_rows(compute_league(competition, as_of=data.today).rows)
        if stored != fresh:
            differing = sum(1 for a, b in zip(stored, fresh, strict=False) if a != b)
            raise CommandError(
                f"Stored league differs from a fresh compute_league: {differing} rows"
            )
        out(f"Final league ({len(fresh)} departments) equals a fresh compute_league.")
