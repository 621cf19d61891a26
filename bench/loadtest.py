"""A bounded load test against 127.0.0.1 only: gunicorn and a real Celery worker.

Liaisons log visits, projects and milestones through the real forms (CSRF tokens, a
multipart upload for evidence) while leaders refresh the league table. Afterwards every
write must be in the database, and once the worker has caught up the stored league must
equal a fresh compute_league.

Everything is bounded: the duration, the number of users, the time allowed to start and
to catch up; the processes this module starts are stopped by their own process group.
"""

from __future__ import annotations

import http.client
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

HOST = "127.0.0.1"  # never anything else
ROOT = Path(__file__).resolve().parents[1]  # the repository: gunicorn and celery run there
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN_DEPARTMENT = re.compile(r'<input type="hidden" name="department" value="(\d+)"')
# A tiny but real PDF: evidence is recognised by its first bytes.
EVIDENCE_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class LoadTestError(Exception):
    pass


STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


# HTTP ---------------------------------------------------------------------------------
@dataclass
class Sample:
    kind: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class Recorder:
    """Latency samples of every request, shared by the threads."""

    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class Browser:
    """One user's cookies and keep-alive connection; redirects are not followed."""

    def __init__(self, port: int, recorder: Recorder | None = None):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.recorder = recorder
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.reconnects = 0

    def request(self, method: str, path: str, *, body=None, headers=None, kind=""):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        began = time.perf_counter()
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException) as e:
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
                # The server closed an idle keep-alive connection before reading this
                # request (gunicorn's keepalive timeout): send it again on a new one, as
                # browsers do. Anything else is an error.
                closed_idle = isinstance(e, STALE_CONNECTION) and reused
                if attempt == 1 and closed_idle:
                    self.reconnects += 1
                    continue
                if self.recorder and kind:
                    self.recorder.add(Sample(kind, time.perf_counter() - began, False, repr(e)))
                raise LoadTestError(f"{method} {path}: {e!r}") from e
        elapsed = time.perf_counter() - began
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        if self.recorder and kind:
            ok = response.status < 400
            self.recorder.add(Sample(kind, elapsed, ok, f"{response.status} {path}"))
        return response.status, response.headers, data.decode("utf-8", "replace")

    def get(self, path: str, *, kind: str = ""):
        return self.request("GET", path, kind=kind)

    def post_form(self, path: str, fields: dict, *, kind: str = "", files=None):
        headers = {"Referer": f"http://{HOST}:{self.port}{path}"}
        if files:
            boundary = f"----bairi{random.getrandbits(64):x}"
            body = _multipart(fields, files, boundary)
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.request("POST", path, body=body, headers=headers, kind=kind)

    def form_token(self, path: str, *, kind: str = "") -> tuple[str, str]:
        status, _, html = self.get(path, kind=kind)
        if status != 200:
            raise LoadTestError(f"GET {path} answered {status}")
        match = CSRF_INPUT.search(html)
        if not match:
            raise LoadTestError(f"no CSRF token on {path}")
        return match.group(1), html

    def login(self, username: str, password: str) -> None:
        token, _ = self.form_token("/accounts/login/")
        status, headers, _ = self.post_form(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise LoadTestError(f"login of {username} failed ({status})")


def _multipart(fields: dict, files: dict, boundary: str) -> bytes:
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def _redirect_path(headers) -> str:
    return urlsplit(headers.get("Location", "")).path


# Simulated people -------------------------------------------------------------------
@dataclass
class Written:
    """What the liaisons wrote and the server accepted (checked against the database)."""

    visits: list[tuple[int, str, int]] = field(default_factory=list)  # department, org, persons
    projects: list[tuple[int, str]] = field(default_factory=list)  # project id, name
    milestones: list[tuple[int, int]] = field(default_factory=list)  # project id, stage
    lock: threading.Lock = field(default_factory=threading.Lock)


def liaison_loop(
    browser: Browser, *, tag: str, today: date, deadline: float, written: Written, think: float
) -> None:
    """Log visits (most of the time) or a project with its lead and intent milestones."""
    rng = random.Random(tag)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        try:
            liaison_operation(browser, tag=tag, n=n, today=today, written=written, rng=rng)
        except LoadTestError:
            pass  # already recorded as a failed sample
        time.sleep(rng.uniform(0, think))


def liaison_operation(browser: Browser, *, tag, n, today, written: Written, rng) -> None:
    """One thing a liaison does: log a visit (60%) or a project with its lead and intent
    milestones, each through its form (a GET, then the POST)."""
    if rng.random() < 0.6:
        _log_visit(browser, tag=tag, n=n, today=today, written=written, rng=rng)
    else:
        _log_project(browser, tag=tag, n=n, today=today, written=written)


def _log_visit(browser: Browser, *, tag, n, today, written: Written, rng) -> None:
    token, html = browser.form_token("/projects/visits/new/", kind="liaison GET form")
    department = HIDDEN_DEPARTMENT.search(html)
    if not department:
        raise LoadTestError("visit form without the liaison's department")
    org = f"压测客商-{tag}-{n}"
    persons = rng.randint(1, 6)
    fields = {
        "csrfmiddlewaretoken": token,
        "department": department.group(1),
        "occurred_on": today.isoformat(),
        "investor_org": org,
        "persons": persons,
        "host": "压测",
        "purpose": "考察洽谈",
        "project": "",
    }
    status, headers, _ = browser.post_form("/projects/visits/new/", fields, kind="liaison POST")
    if status == 302:
        with written.lock:
            written.visits.append((int(department.group(1)), org, persons))
    elif browser.recorder:
        browser.recorder.add(Sample("liaison POST refused", 0, False, f"visit {status}"))


def _log_project(browser: Browser, *, tag, n, today, written: Written) -> None:
    token, html = browser.form_token("/projects/new/", kind="liaison GET form")
    department = HIDDEN_DEPARTMENT.search(html)
    if not department:
        raise LoadTestError("project form without the liaison's department")
    name = f"压测项目-{tag}-{n}"
    fields = {
        "csrfmiddlewaretoken": token,
        "name": name,
        "code": "",
        "investor": f"压测投资方-{tag}-{n}",  # its own investor: not a likely duplicate
        "department": department.group(1),
        "responsible_person": "压测",
        "industry": "industrial",
        "planned_investment": "6000",
        "registered_capital": "2500",
        "zone": "经济开发区",
        "origin_region": "上海",
        "source_channel": "door_knocking",
    }
    status, headers, _ = browser.post_form("/projects/new/", fields, kind="liaison POST")
    match = re.fullmatch(r"/projects/(\d+)/", _redirect_path(headers)) if status == 302 else None
    if not match:
        if browser.recorder:
            browser.recorder.add(Sample("liaison POST refused", 0, False, f"project {status}"))
        return
    project_id = int(match.group(1))
    with written.lock:
        written.projects.append((project_id, name))
    for stage, files in (
        (0, None),
        (1, {"evidence": ("意向书.pdf", EVIDENCE_PDF, "application/pdf")}),
    ):
        path = f"/projects/{project_id}/milestones/new/"
        token, _ = browser.form_token(path, kind="liaison GET form")
        status, headers, _ = browser.post_form(
            path,
            {"csrfmiddlewaretoken": token, "stage": stage, "occurred_on": today.isoformat()},
            files=files,
            kind="liaison POST",
        )
        if status == 302 and _redirect_path(headers) == f"/projects/{project_id}/":
            with written.lock:
                written.milestones.append((project_id, stage))
        elif browser.recorder:
            browser.recorder.add(Sample("liaison POST refused", 0, False, f"milestone {status}"))
            return


def leader_loop(browser: Browser, *, deadline: float, think: float, seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        try:
            status, _, html = browser.get("/league/", kind="leader GET league")
            if status == 200 and "league-table" not in html and browser.recorder:
                browser.recorder.add(Sample("leader GET league", 0, False, "no league table"))
        except LoadTestError:
            pass
        time.sleep(rng.uniform(0, think))


# Processes --------------------------------------------------------------------------
class Processes:
    """gunicorn and a Celery worker, each in a process group of its own."""

    def __init__(self, *, env: dict, log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.started: list[subprocess.Popen] = []

    def start(
        self, name: str, args: list[str], *, env: dict | None = None, cwd: Path = ROOT
    ) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            args,
            env=self.env if env is None else env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped by pid below
            cwd=cwd,
        )
        self.started.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.started):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def tracebacks(log: Path, *, limit: int = 3) -> list[str]:
    """The first `limit` tracebacks of a process's log, each with the line before it (the
    logged message: which request failed): what a run that saw errors prints."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    found: list[str] = []
    i = 0
    while i < len(lines) and found.count("") < limit:
        if not lines[i].startswith("Traceback"):
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].startswith((" ", "\t")):
            end += 1
        found += [*lines[max(i - 1, 0) : end + 1], ""]  # through the exception's own line
        i = end + 1
    return found


def wait_healthy(port: int, *, timeout: float) -> dict:
    """Poll /healthz until it answers 200 (database, broker and a worker all up)."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            status, _, body = Browser(port).get("/healthz")
            if status == 200:
                return {"status": status, "body": body}
            last = f"{status} {body[:300]}"
        except LoadTestError as e:
            last = str(e)
        time.sleep(0.5)
    raise LoadTestError(f"/healthz not healthy after {timeout:.0f} s: {last}")


def venv_bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


# Summary ----------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))  # nearest rank
    return ordered[index]


def summarize(samples: list[Sample], *, seconds: float) -> list[str]:
    lines = []
    kinds = sorted({s.kind for s in samples})
    timed = [s for s in samples if s.seconds > 0]
    errors = [s for s in samples if not s.ok]
    lines.append(
        f"all requests: {len(timed)} in {seconds:.0f} s = {len(timed) / seconds:.1f} req/s, "
        f"p50 {percentile([s.seconds for s in timed], 50) * 1000:.0f} ms, "
        f"p95 {percentile([s.seconds for s in timed], 95) * 1000:.0f} ms, errors {len(errors)}"
    )
    for kind in kinds:
        group = [s for s in samples if s.kind == kind and s.seconds > 0]
        failed = [s for s in samples if s.kind == kind and not s.ok]
        if not group and not failed:
            continue
        times = [s.seconds for s in group]
        lines.append(
            f"  {kind:<22} {len(group):>6} req  {len(group) / seconds:6.1f}/s  "
            f"p50 {percentile(times, 50) * 1000:6.0f} ms  "
            f"p95 {percentile(times, 95) * 1000:6.0f} ms"
            f"  mean {statistics.fmean(times) * 1000 if times else 0:6.0f} ms  errors {len(failed)}"
        )
    for sample in errors[:10]:
        lines.append(f"  error: {sample.kind}: {sample.detail}")
    return lines


# Pages one at a time -----------------------------------------------------------------------
# The floor: the password form, a page with nothing but the site's frame and a small form,
# through the whole stack (login, session, roles, middleware). Every other page's
# throughput is printed beside it (the target: at least half of it).
FLOOR_PAGE = "/accounts/password/"


def solo_throughput(browsers: list[Browser], path: str, *, seconds: float) -> tuple[float, int]:
    """Requests per second `browsers` get from `path` together (one thread each, no pause),
    as `ab -k -c len(browsers)` would measure it; and how many requests failed."""
    done, failed = [0], [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def hammer(browser: Browser) -> None:
        while time.monotonic() < deadline:
            status, _, _ = browser.get(path)
            with lock:
                done[0] += 1
                failed[0] += status >= 400
        return None

    threads = [threading.Thread(target=hammer, args=(b,)) for b in browsers]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.perf_counter() - began), failed[0]


def solo_lines(results: list[tuple[str, str, float, int]]) -> list[str]:
    """The printed table: each page's requests per second and its ratio to the floor's."""
    floor = next(rate for _who, path, rate, _failed in results if path == FLOOR_PAGE)
    lines = [f"  {'page':34} {'req/s':>7}  {'of floor':>8}"]
    for who, path, rate, failed in results:
        ratio = rate / floor if floor else 0
        mark = "" if path == FLOOR_PAGE else ("  ok" if ratio >= 0.5 else "  below half")
        errors = f"  errors {failed}" if failed else ""
        lines.append(f"  {who + ' ' + path:34} {rate:7.1f}  {ratio:8.0%}{mark}{errors}")
    return lines


# Two servers side by side --------------------------------------------------------------------
# The machine's speed moves by half between runs (README, Performance), far more than most
# changes: two gunicorns of one worker and one thread, A and B, serve the same liaison flow
# in turn, one operation on each, so both see the same machine; each worker's own CPU
# (from /proc) divided by the requests it answered is what is compared.
def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers of its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        if parent == pid:
            found.append(int(entry.name))
    return found


@dataclass
class Side:
    """One of the two servers: its users, its worker and what it answered."""

    name: str
    browsers: list[Browser]
    worker: int
    rng: random.Random
    written: Written = field(default_factory=Written)


def paired_cpu(sides: list[Side], *, today: date, loops: int, warm_up: int = 20) -> list[str]:
    """Each side's worker CPU per request over `loops` operations of each, in turn (the
    order alternating), after `warm_up` of each; the printed lines."""
    tag = f"pair{os.getpid()}"

    def operate(side: Side, n: int) -> None:
        browser = side.browsers[n % len(side.browsers)]
        liaison_operation(
            browser, tag=f"{tag}{side.name}", n=n, today=today, written=side.written, rng=side.rng
        )

    for n in range(warm_up):
        for side in sides:
            operate(side, n)
    before = {}
    for side in sides:
        answered = sum(len(b.recorder.samples) for b in side.browsers)
        before[side.name] = (answered, cpu_seconds(side.worker))
    for n in range(warm_up, warm_up + loops):
        for side in sides if n % 2 else reversed(sides):
            operate(side, n)
    lines, per_request = [], {}
    for side in sides:
        requests0, cpu0 = before[side.name]
        samples = [s for b in side.browsers for s in b.recorder.samples]
        answered = len(samples) - requests0
        per_request[side.name] = (cpu_seconds(side.worker) - cpu0) / max(answered, 1)
        failed = sum(not s.ok for s in samples)
        lines.append(
            f"  {side.name}: {answered} requests, worker CPU "
            f"{per_request[side.name] * 1000:.2f} ms per request, errors {failed}"
        )
    first, second = (per_request[side.name] for side in sides)
    lines.append(f"  {sides[1].name} / {sides[0].name}: {second / first:.1%}")
    return lines
