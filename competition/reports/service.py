"""Report jobs: request, number, render, store; rebuild; the weekly run.

The Report row is the job's status, written only by compare-and-set updates:

    queued ──run_report──▶ rendering ──▶ done (file set) | failed (error set)
      ▲                        │
      └──── rebuild_report ────┘ (from done or failed; from queued or rendering once stuck)

A worker killed mid-render leaves the row "rendering"; the broker re-delivers the task
(acks_late) and run_report renders again. The PDF is rendered to bytes first and saved
under a new random name; the row points at it only once it is complete, and the file it
replaces is deleted after that commit. So a reader never gets a half-written file.

Bulletins are numbered per competition (第N期): the number is assigned when the bulletin
is requested, under a lock on the competition row (and a unique constraint), so numbers
never repeat or skip. A failed bulletin keeps its number and is rebuilt, not replaced by
a new one; rebuilding an issue keeps its number and replaces its file.

These functions never queue: whoever requests or rebuilds a report queues its build after
commit (competition.tasks.build_after_commit, called by the report views and the weekly
task).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from uuid import UUID

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext

from competition.models import Competition, Report, report_file_name

log = logging.getLogger(__name__)

Kind, Status = Report.Kind, Report.Status

# A render runs at most 16 minutes (competition.tasks.REPORT_LIMITS); a row still "rendering"
# well after that lost its worker for good, and one still "queued" lost its task (a broker
# restarted without persistence): either may then be rebuilt by hand.
STUCK_AFTER = timedelta(minutes=20)
NUMBERING_ATTEMPTS = 3


class ReportError(Exception):
    """An expected failure; its message is shown to the office as the reason."""


def _create(
    competition: Competition, *, kind: str, as_of: date, user, scheduled: bool
) -> tuple[Report, bool]:
    """Create the row (numbered if a bulletin) under a lock on the competition.

    `scheduled`: the weekly run; if a scheduled bulletin for that date exists (a re-delivered
    schedule), return it instead of a second issue. Returns (report, created).
    """
    Competition.objects.select_for_update().filter(pk=competition.pk).first()
    if scheduled:
        existing = Report.objects.filter(
            competition=competition, kind=kind, as_of=as_of, requested_by__isnull=True
        ).first()
        if existing is not None:
            return existing, False
    issue_number = None
    if kind == Kind.BULLETIN:
        last = Report.objects.filter(competition=competition, kind=Kind.BULLETIN).aggregate(
            n=Max("issue_number")
        )["n"]
        issue_number = (last or 0) + 1
    report = Report.objects.create(
        competition=competition,
        kind=kind,
        as_of=as_of,
        issue_number=issue_number,
        requested_by=user,
    )
    return report, True


def request_report(competition: Competition, *, kind: str, as_of: date, user=None) -> Report:
    """Create a queued Report; the caller queues its build after commit.

    A bulletin gets the competition's next issue number.
    """
    report, _created = _request(competition, kind=kind, as_of=as_of, user=user, scheduled=False)
    return report


def _request(
    competition: Competition, *, kind: str, as_of: date, user, scheduled: bool
) -> tuple[Report, bool]:
    """Two requests at the same moment are serialized by the row lock; where the database
    has no row locks (SQLite) the unique constraint refuses the second number and the
    request is retried."""
    if kind not in Kind.values:
        raise ValueError(f"unknown report kind {kind!r}")
    for attempt in range(1, NUMBERING_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _create(competition, kind=kind, as_of=as_of, user=user, scheduled=scheduled)
        except IntegrityError:
            if attempt == NUMBERING_ATTEMPTS:
                raise
            log.info("issue number taken meanwhile for competition %s; retrying", competition.pk)
    raise AssertionError("unreachable")  # pragma: no cover


def fail_unqueued(report_id: UUID | str) -> bool:
    """Fail a queued job whose build could not be sent (the broker cannot be reached)."""
    return _finish(
        report_id,
        from_status=Status.QUEUED,
        status=Status.FAILED,
        error=gettext("无法提交生成任务（任务队列无法连接），请稍后点击“重新生成”。"),
    )


def can_rebuild(report: Report, *, now=None) -> bool:
    """Done and failed jobs may be rebuilt; a queued or rendering one only once it is stuck
    (its task lost with a broker, or its worker gone for good)."""
    now = now or timezone.now()
    if report.status in (Status.DONE, Status.FAILED):
        return True
    since = report.started_at if report.status == Status.RENDERING else report.created_at
    return since is not None and since < now - STUCK_AFTER


def _stuck(now) -> Q:
    cutoff = now - STUCK_AFTER
    return Q(status=Status.RENDERING, started_at__lt=cutoff) | Q(
        status=Status.QUEUED, created_at__lt=cutoff
    )


def rebuild_report(report: Report) -> bool:
    """Mark `report` queued again: same issue number, same as-of date, new figures and file.

    `created_at` becomes the time of this request (the list shows when the current build
    was asked for). False when it may not be rebuilt now (queued or rendering, not stuck);
    on True the caller queues its build after commit.
    """
    now = timezone.now()
    updated = (
        Report.objects.filter(pk=report.pk)
        .filter(Q(status__in=[Status.DONE, Status.FAILED]) | _stuck(now))
        .update(status=Status.QUEUED, error="", created_at=now, started_at=None, finished_at=None)
    )
    return bool(updated)


def _finish(report_id, *, from_status: str, status: str, error: str = "", **fields) -> bool:
    return bool(
        Report.objects.filter(pk=report_id, status=from_status).update(
            status=status, error=error, finished_at=timezone.now(), **fields
        )
    )


def render_report(report: Report) -> bytes:
    """The PDF of `report` as bytes (content, HTML, WeasyPrint)."""
    from competition.reports.html import render_report_html
    from competition.reports.pdf import html_to_pdf

    return html_to_pdf(render_report_html(report))


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, ReportError):
        return str(exc)
    if isinstance(exc, SoftTimeLimitExceeded):
        return gettext("生成超时，请稍后重新生成；如仍超时请联系系统管理员。")
    return gettext("生成失败：%(error)s") % {"error": f"{type(exc).__name__}: {exc}"}


def run_report(report_id: UUID | str) -> str:
    """Build one report: claim it, render, store the file, record done or failed.

    Returns the final status. A report no longer queued or rendering (done, failed, or
    deleted) is left alone: a duplicate delivery does nothing.
    """
    claimed = Report.objects.filter(
        pk=report_id, status__in=[Status.QUEUED, Status.RENDERING]
    ).update(status=Status.RENDERING, started_at=timezone.now(), error="")
    if not claimed:
        current = Report.objects.filter(pk=report_id).values_list("status", flat=True).first()
        return current or "missing"
    report = Report.objects.select_related("competition").get(pk=report_id)
    try:
        pdf = render_report(report)
    except DatabaseError:
        raise  # the task retries (RELIABLE); the row stays "rendering" until it succeeds
    except Exception as exc:
        log.exception("report %s failed", report_id)
        _finish(
            report_id, from_status=Status.RENDERING, status=Status.FAILED, error=failure_reason(exc)
        )
        return Status.FAILED

    old_name = report.file.name
    name = default_storage.save(report_file_name(report, "report.pdf"), ContentFile(pdf))
    with transaction.atomic():
        stored = _finish(report_id, from_status=Status.RENDERING, status=Status.DONE, file=name)
        if stored and old_name and old_name != name:
            transaction.on_commit(lambda: default_storage.delete(old_name))
    if not stored:  # rebuilt or deleted meanwhile: this file belongs to nobody
        default_storage.delete(name)
        return Report.objects.filter(pk=report_id).values_list("status", flat=True).first() or (
            "missing"
        )
    return Status.DONE


def build_now(competition: Competition, *, kind: str, as_of: date, user=None) -> Report:
    """Request and build a report in this process (the build_report command)."""
    report = request_report(competition, kind=kind, as_of=as_of, user=user)
    run_report(report.pk)
    report.refresh_from_db()
    return report


def weekly_bulletins(*, today: date) -> list[tuple[Report, bool]]:
    """The scheduled run: a bulletin of every active competition, figures up to yesterday.

    Competitions whose window has begun, including one that ended in the past week (its
    final bulletin). Running twice for the same day creates nothing new. Returns (report,
    created) per competition; the caller queues the builds of the created ones.
    """
    as_of = today - timedelta(days=1)
    competitions = Competition.objects.filter(
        is_active=True, start_date__lte=as_of, end_date__gte=as_of - timedelta(days=6)
    ).order_by("start_date", "name")
    return [
        _request(c, kind=Kind.BULLETIN, as_of=as_of, user=None, scheduled=True)
        for c in competitions
    ]


def download_name(report: Report) -> str:
    """The file name the browser saves the PDF as."""
    name = report.competition.name
    if report.kind == Kind.BULLETIN:
        return f"{name}简报第{report.issue_number}期（{report.as_of:%Y-%m-%d}）.pdf"
    return f"{name}汇报会材料（{report.as_of:%Y-%m-%d}）.pdf"
