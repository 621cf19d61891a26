"""/healthz: is this process able to serve? JSON with each check, 200 when all pass, else 503.

- database: `SELECT 1` on the default connection;
- broker (only when CELERY_BROKER_URL is set): a kombu connection to it, with a short
  timeout and no retries;
- worker (only when a broker is set): at least one Celery worker answers a ping within
  HEALTH_WORKER_TIMEOUT seconds (default 1).

No login, no session, no database write, nothing about the data: load balancers and
monitoring call it every few seconds. Embedded mode (no broker: tasks run in-process)
reports the broker and worker checks as skipped, which counts as passing.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from web.access import public

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


def _timed(check) -> dict:
    began = time.perf_counter()
    try:
        result = check()
    except Exception as e:  # a health check reports every failure, whatever its type
        result = {"status": FAILED, "error": f"{type(e).__name__}: {e}"[:300]}
    result["ms"] = round((time.perf_counter() - began) * 1000, 1)
    return result


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": OK}


def check_broker() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"status": SKIPPED, "reason": "no broker: tasks run in-process"}
    from kombu import Connection

    timeout = getattr(settings, "HEALTH_BROKER_TIMEOUT", 2)
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)
    return {"status": OK}


def check_worker() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"status": SKIPPED, "reason": "no broker: tasks run in-process"}
    from config.celery import app

    timeout = getattr(settings, "HEALTH_WORKER_TIMEOUT", 1.0)
    replies = app.control.ping(timeout=timeout)
    if not replies:
        return {"status": FAILED, "error": f"no worker answered within {timeout:g} s"}
    return {"status": OK, "workers": sorted(name for reply in replies for name in reply)}


def run_checks() -> tuple[bool, dict]:
    """Every check's result, and whether all of them passed (skipped ones pass)."""
    results = {"database": _timed(check_database), "broker": _timed(check_broker)}
    if results["broker"]["status"] == FAILED:
        # Pinging workers through a broker that is down would only wait for nothing.
        results["worker"] = {"status": FAILED, "error": "broker unreachable", "ms": 0.0}
    else:
        results["worker"] = _timed(check_worker)
    healthy = all(r["status"] in (OK, SKIPPED) for r in results.values())
    return healthy, results


@public  # load balancers and monitoring, never logged in
@never_cache
@require_GET
def healthz(request):
    healthy, results = run_checks()
    return JsonResponse(
        {"status": OK if healthy else FAILED, "checks": results}, status=200 if healthy else 503
    )
