"""A real Celery worker process for the tests marked celery_worker (PostgreSQL pass).

The worker runs against the test database, so those tests commit their data (transactional
tests) and poll for what the worker writes; it shares their MEDIA_ROOT (a tmp_path).

Written for a loaded CI machine (two busy cores): every wait polls a condition with a
generous deadline and on timeout shows the end of the worker's log; whatever a test takes
(the worker process and its pool children, a table lock) is given back in a finaliser, so a
failure is reported instead of hanging the teardown's table flush.

The `worker` fixture (tests/conftest.py) is `running_worker` below.
"""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent

# Seconds. Starting a worker, a recompute or a PDF takes a few seconds on an idle machine
# and many times that when the CI machine's two cores are busy.
WAIT = 120
# How long a worker gets to finish its task and exit on SIGTERM before it is killed.
STOP_WAIT = 60


def database_url() -> str:
    s = connection.settings_dict
    assert connection.vendor == "postgresql", "worker tests need PostgreSQL (CI's second pass)"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def wait_for(predicate, *, what: str, timeout: float = WAIT, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    tail = ""
    if log is not None and log.exists():
        tail = "\n--- worker log (end) ---\n" + log.read_text(errors="replace")[-4000:]
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{tail}")


# Celery's own log lines (celery/app/trace.py): "Task <name>[<id>] received", then one of
# "succeeded in ...", "raised unexpected: ...", "retry: ...", ... once it is out of hand.
_TASK_LINE = re.compile(r"Task [\w.]+\[([0-9a-f-]+)\] (\S+)")


def idle(log: Path) -> bool:
    """True when every task the worker has received (so far) has left its hands.

    "Fresh" (stale_from cleared) is not the end of a recompute task: the task may still be
    returning (or queueing itself again) while a test is about to lock the tables.
    """
    last = {}
    for task_id, word in _TASK_LINE.findall(log.read_text(errors="replace")):
        last[task_id] = word
    return "received" not in last.values()


def pool_children(proc: subprocess.Popen) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True
    ).stdout
    return [int(pid) for pid in out.split()]


def kill_pool_children(proc: subprocess.Popen) -> list[int]:
    """SIGKILL the worker's pool processes (mid-task); the pids killed."""
    children = pool_children(proc)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    return children


def _group_alive(pgid: int) -> bool:
    """A process of the group that has not exited (a zombie holds no connection)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command name, in parentheses: state, ppid, pgrp, ...
            state, _ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if int(pgrp) == pgid and state != "Z":
            return True
    return False


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM (warm shutdown), then SIGKILL to the worker and its pool children."""
    try:
        proc.terminate()
        proc.wait(timeout=STOP_WAIT)
    except subprocess.TimeoutExpired:
        pass
    finally:
        # The worker runs in its own process group: this also takes any pool child left
        # behind, whether the worker exited or not.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    # Every process of the group gone, its database connections with it, before the
    # teardown flushes the tables.
    wait_for(lambda: not _group_alive(proc.pid), what="the worker's processes to exit")


@contextmanager
def running_worker(tmp_path: Path) -> Iterator[subprocess.Popen]:
    """A worker process of its own (prefork, one child), stopped whatever the test did.

    The process has a `log` attribute: the Path of its log (stdout and stderr).
    """
    broker = os.environ.get("CELERY_BROKER_URL")
    assert broker, "CELERY_BROKER_URL must point at a real Redis for the worker tests"
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = broker
    app.control.purge()
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-secret-key"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    try:
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info",
                 "-P", "prefork", "-c", "1", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "-n", f"test-{os.getpid()}@%h"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, process_group=0,
            )  # fmt: skip
        try:
            proc.log = log
            wait_for(lambda: "ready." in log.read_text(), what="the worker to start", log=log)
            yield proc
        finally:
            stop(proc)
    finally:
        app.conf.task_always_eager = True


@contextmanager
def table_locked(table: str) -> Iterator[psycopg.Connection]:
    """`table` locked (ACCESS EXCLUSIVE) by a connection of its own, for the block.

    The LOCK is bounded (lock_timeout: an error, never a hang), and whatever the block
    raises, the lock goes (rollback, and closing ends the session): held, it would block
    the worker's shutdown and the teardown's table flush forever.
    """
    s = connection.settings_dict
    blocker = psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        dbname=s["NAME"],
        connect_timeout=WAIT,
    )
    try:
        blocker.execute(f"SET LOCAL lock_timeout = '{WAIT}s'")
        blocker.execute(
            sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(table))
        )
        yield blocker
    finally:
        try:
            blocker.rollback()
        finally:
            blocker.close()
