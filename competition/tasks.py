"""Celery tasks: thin, take IDs, idempotent (see competition/recompute.py)."""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from competition import warm
from competition.league import recompute

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
    """Recompute the snapshots a change made stale, then render today's pages."""
    dates = recompute.run_recompute(competition_id)
    warm.warm_after_recompute(competition_id, dates=dates)
    return [d.isoformat() for d in dates]


@shared_task(**RELIABLE)
def nightly_snapshots() -> list[int]:
    """Snapshot every active competition for the new day (scheduled by celery beat)."""
    today = timezone.localdate()
    done = recompute.snapshot_today(today=today)
    for competition_id in done:
        warm.warm_after_recompute(competition_id, dates=[today], today=today)
    return done


@shared_task(**RELIABLE)
def sweep_stale() -> list[int]:
    """Re-queue recomputes whose first queueing was lost (broker down at save time)."""
    ids = recompute.stale_competition_ids()
    for competition_id in ids:
        recompute.queue_recompute(competition_id)
    return ids


# PDF reports (competition/reports/service.py). A briefing pack of a hundred departments
# takes minutes, longer than the default limits meant for recomputes.
REPORT_LIMITS = {"soft_time_limit": 900, "time_limit": 960}


@shared_task(**RELIABLE, **REPORT_LIMITS)
def build_report(report_id: str) -> str:
    """Render a requested bulletin or briefing pack into its Report row's file."""
    from competition.reports import service

    return service.run_report(report_id)


@shared_task(**RELIABLE)
def weekly_bulletins() -> list[str]:
    """Request this week's bulletin of every active competition (scheduled by celery beat)."""
    from competition.reports import service

    return [str(r.pk) for r in service.weekly_bulletins(today=timezone.localdate())]
