"""Celery tasks, and the only module that knows them: thin, take IDs, idempotent.

Each task loads by id and calls one plain function (competition.league.recompute,
competition.reports.service). The plain functions never queue: they return what must be
queued, and the layer above (competition.services, the report views, these tasks) queues
it through `recompute_after_commit`/`build_after_commit`. With no broker configured the
tasks run in-process (config.celery); with a broker that cannot be reached the write that
asked still succeeds (see `queue_recompute`, `queue_build`).
"""

import logging
from collections.abc import Iterable
from uuid import UUID

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from competition import digest
from competition.league import recompute
from competition.reports import service

log = logging.getLogger(__name__)

RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RELIABLE)
def recompute_competition(competition_id: int) -> list[str]:
    """Recompute the snapshots a change made stale; queue another run if changes came meanwhile."""
    done = recompute.run_recompute(competition_id)
    if done.again:
        queue_recompute(competition_id)
    return [d.isoformat() for d in done.dates]


@shared_task(**RELIABLE)
def nightly_snapshots() -> list[int]:
    """Snapshot every active competition for the new day (scheduled by celery beat)."""
    return recompute.snapshot_today(today=timezone.localdate())


@shared_task(**RELIABLE)
def sweep_stale() -> list[int]:
    """Re-queue recomputes whose first queueing was lost (broker down at save time)."""
    ids = recompute.stale_competition_ids()
    for competition_id in ids:
        queue_recompute(competition_id)
    return ids


# PDF reports (competition/reports/service.py). A briefing pack of a hundred departments
# takes minutes, longer than the default limits meant for recomputes.
REPORT_LIMITS = {"soft_time_limit": 900, "time_limit": 960}


@shared_task(**RELIABLE, **REPORT_LIMITS)
def build_report(report_id: str) -> str:
    """Render a requested bulletin or briefing pack into its Report row's file."""
    return service.run_report(report_id)


@shared_task(**RELIABLE)
def weekly_bulletins() -> list[str]:
    """Request this week's bulletin of every active competition (scheduled by celery beat).

    Only the bulletins this run created are queued: one found from an earlier delivery of
    the schedule already has its build queued.
    """
    requested = service.weekly_bulletins(today=timezone.localdate())
    build_after_commit(report.pk for report, created in requested if created)
    return [str(report.pk) for report, _created in requested]


@shared_task(**RELIABLE)
def weekly_summaries() -> int:
    """Tell each department's liaisons their week (scheduled by celery beat, Monday)."""
    return digest.send_weekly_summaries(today=timezone.localdate())


# Queueing ---------------------------------------------------------------------------------


def queue_recompute(competition_id: int) -> bool:
    """Send the recompute task, to run RECOMPUTE_DELAY_SECONDS from now; False (logged)
    when the broker cannot be reached (the stale marker stays set, so the periodic sweep
    queues it later).

    The delay coalesces: only the change that turns a competition stale queues a run (the
    marker), and every change in the next few seconds rides along with it. With no delay
    a hundred liaisons kept the worker and the database recomputing back to back. Without
    a broker the task runs at once, in-process (Celery ignores the countdown then).
    """
    try:
        recompute_competition.apply_async(
            (competition_id,), countdown=settings.RECOMPUTE_DELAY_SECONDS
        )
    except Exception:  # kombu raises several types; a save must never fail for this
        log.warning("recompute of competition %s not queued: broker unreachable", competition_id)
        return False
    return True


def recompute_after_commit(competition_ids: Iterable[int]) -> None:
    """Queue a recompute of each competition once the current transaction commits."""
    for competition_id in competition_ids:
        transaction.on_commit(lambda pk=competition_id: queue_recompute(pk))


def queue_build(report_id: UUID | str) -> bool:
    """Send the build task; if the broker cannot be reached, fail the job with the reason."""
    try:
        build_report.delay(str(report_id))
    except Exception:  # kombu raises several types; the request itself must not fail
        log.warning("report %s not queued: broker unreachable", report_id, exc_info=True)
        service.fail_unqueued(report_id)
        return False
    return True


def build_after_commit(report_ids: Iterable[UUID | str]) -> None:
    """Queue the build of each report once the current transaction commits."""
    for report_id in report_ids:
        transaction.on_commit(lambda pk=report_id: queue_build(pk))
