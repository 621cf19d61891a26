"""Report jobs: request, number, render, store; rebuild; the weekly run.

The Report row is the job's status, written only by compare-and-set updates:

    queued ──run_report──▶ rendering ──▶ done (file set) | failed (error set)
      ▲                        │
      └──── rebuild_report ────┘ (from done or failed; from queued or rendering once stuck)

A worker killed mid-render leaves the row "rendering"; the broker re-delivers the task
(acks_late) and run_report renders again. The PDF is rendered to bytes first and saved
under a new random name; the row points at it only once it is complete, and the file it
replaces is deleted after that commit. So a reader never gets a half-written file.

Bulletins are numbered per competition (第N期), one issue per as-of date: the sequence of
published weeks. Requesting the bulletin of a date that already has an issue rebuilds that
issue (same number, new figures and file), from the web page and from `build_report`
alike; a date without one takes the next number (the highest so far plus one, so no
gaps), under a lock on the competition row (and a unique constraint). A failed bulletin
keeps its number and is rebuilt, not replaced. The office may correct an issue's number
before printing (renumber_bulletin: a number no other issue of the competition has; the
PDF is rebuilt with it).

These functions never queue: whoever requests or rebuilds a report queues its build after
commit (competition.tasks.build_after_commit, called by the report views and the weekly
task).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext

from competition.cards import sync_cards
from competition.models import Competition, Report, report_file_name
from notifications.services import Kind as NotificationKind
from notifications.services import leader_users, liaisons_of, notify, office_users

log = logging.getLogger(__name__)

Kind, Status = Report.Kind, Report.Status

# A render runs at most 16 minutes (competition.tasks.REPORT_LIMITS); a row still "rendering"
# well after that lost its worker for good, and one still "queued" lost its task (a broker
# restarted without persistence): either may then be rebuilt by hand.
STUCK_AFTER = timedelta(minutes=20)
NUMBERING_ATTEMPTS = 3


class ReportError(Exception):
    """An expected failure; its message is shown to the office as the reason."""


def _create(competition: Competition, *, kind: str, as_of: date, user) -> tuple[Report, bool]:
    """Create the row (numbered if a bulletin) under a lock on the competition.

    A bulletin for a date that already has an issue is that issue: returned, not created
    (so a schedule delivered twice creates nothing). Returns (report, created).
    """
    Competition.objects.select_for_update().filter(pk=competition.pk).first()
    issue_number = None
    if kind == Kind.BULLETIN:
        existing = (
            Report.objects.filter(competition=competition, kind=kind, as_of=as_of)
            .order_by("issue_number")
            .first()
        )
        if existing is not None:
            return existing, False
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


@dataclass(frozen=True)
class Requested:
    """A requested report and whether the caller must queue its build."""

    report: Report
    build: bool  # False: the issue of that date is being built already


def request_build(competition: Competition, *, kind: str, as_of: date, user=None) -> Requested:
    """Ask for a report: a new queued row, or the date's existing bulletin queued again.

    An existing bulletin still queued or rendering is left to finish (`build` False: a
    second task would render the same issue twice); one that is done, failed or stuck
    is rebuilt under its number. The caller queues the build after commit when `build`.
    """
    report, created = _request(competition, kind=kind, as_of=as_of, user=user)
    if created:
        return Requested(report, build=True)
    if rebuild_report(report):
        report.refresh_from_db()
        return Requested(report, build=True)
    return Requested(report, build=False)


def request_report(competition: Competition, *, kind: str, as_of: date, user=None) -> Report:
    """request_build's report: a queued Report (a bulletin keeps its date's number)."""
    return request_build(competition, kind=kind, as_of=as_of, user=user).report


def _request(competition: Competition, *, kind: str, as_of: date, user) -> tuple[Report, bool]:
    """Two requests at the same moment are serialized by the row lock; where the database
    has no row locks (SQLite) the unique constraint refuses the second number and the
    request is retried."""
    if kind not in Kind.values:
        raise ValueError(f"unknown report kind {kind!r}")
    for attempt in range(1, NUMBERING_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _create(competition, kind=kind, as_of=as_of, user=user)
        except IntegrityError:
            if attempt == NUMBERING_ATTEMPTS:
                raise
            log.info("issue number taken meanwhile for competition %s; retrying", competition.pk)
    raise AssertionError("unreachable")  # pragma: no cover


def renumber_bulletin(report: Report, *, issue_number: int) -> bool:
    """Correct a bulletin's issue number before it is printed, and queue it to be rebuilt.

    Raises ReportError (shown to the office) when `report` is no bulletin, the number is
    not positive, another issue of the competition has it, or the bulletin is being built
    right now. Returns False when the number is already its own (nothing to do); on True
    the caller queues the build after commit.
    """
    if report.kind != Kind.BULLETIN:
        raise ReportError(gettext("只有简报有期号。"))
    if issue_number < 1:
        raise ReportError(gettext("期号必须是正整数。"))
    if issue_number == report.issue_number:
        return False
    try:
        with transaction.atomic():
            Competition.objects.select_for_update().filter(pk=report.competition_id).first()
            taken = (
                Report.objects.filter(
                    competition_id=report.competition_id,
                    kind=Kind.BULLETIN,
                    issue_number=issue_number,
                )
                .exclude(pk=report.pk)
                .values_list("as_of", flat=True)
                .first()
            )
            if taken is not None:
                raise ReportError(
                    gettext("第%(n)s期已是%(date)s的简报，请换一个期号。")
                    % {"n": issue_number, "date": f"{taken:%Y-%m-%d}"}
                )
            now = timezone.now()
            updated = (
                Report.objects.filter(pk=report.pk)
                .filter(Q(status__in=[Status.DONE, Status.FAILED]) | _stuck(now))
                .update(
                    issue_number=issue_number,
                    status=Status.QUEUED,
                    error="",
                    created_at=now,
                    started_at=None,
                    finished_at=None,
                )
            )
    except IntegrityError:  # the number was taken between our check and our update
        raise ReportError(
            gettext("第%(n)s期已被占用，请换一个期号。") % {"n": issue_number}
        ) from None
    if not updated:
        raise ReportError(gettext("该简报正在生成，请等待完成后再改期号。"))
    log.info("bulletin %s renumbered %s -> %s", report.pk, report.issue_number, issue_number)
    return True


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
        # A bulletin issues, continues and lifts the yellow cards of its date before it
        # prints them (competition.cards; the same cards when an issue is rebuilt).
        sync_cards(report)
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
        if stored and report.kind == Kind.BULLETIN:
            announce_bulletin(report)
    if not stored:  # rebuilt or deleted meanwhile: this file belongs to nobody
        default_storage.delete(name)
        return Report.objects.filter(pk=report_id).values_list("status", flat=True).first() or (
            "missing"
        )
    return Status.DONE


def announce_bulletin(report: Report) -> None:
    """Tell leaders, the office and the liaisons of the competition's departments that
    the bulletin is out, once per issue (a rebuild tells nobody again).

    Leaders and the office may open the reports page; liaisons may not (403), so theirs
    links to the league table of the bulletin's date, which they may open.
    """
    # Stored text, the same for every reader: in the site's language, not the requester's.
    title = (
        f"{report.competition.name}简报第{report.issue_number}期已发布"
        f"（统计至{report.as_of:%Y-%m-%d}）"
    )
    key = f"bulletin:{report.pk}"
    readers = set(leader_users()) | set(office_users())
    notify(
        recipients=readers,
        kind=NotificationKind.BULLETIN_PUBLISHED,
        title=title,
        url=reverse("reports"),
        key=key,
    )
    departments = report.competition.quotas.values_list("department_id", flat=True)
    liaisons = set(liaisons_of(departments)) - readers
    league = (
        reverse("league")
        + "?"
        + urlencode({"competition": report.competition_id, "as_of": report.as_of.isoformat()})
    )
    notify(
        recipients=liaisons,
        kind=NotificationKind.BULLETIN_PUBLISHED,
        title=title,
        url=league,
        key=key,
    )


def build_now(competition: Competition, *, kind: str, as_of: date, user=None) -> Report:
    """Request and build a report in this process (the build_report command).

    The bulletin of a date that already has an issue is rebuilt under its number. Raises
    ReportError when that issue is being built elsewhere right now.
    """
    requested = request_build(competition, kind=kind, as_of=as_of, user=user)
    if not requested.build:
        raise ReportError(gettext("该期简报正在生成，请稍后再试。"))
    run_report(requested.report.pk)
    requested.report.refresh_from_db()
    return requested.report


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
    return [_request(c, kind=Kind.BULLETIN, as_of=as_of, user=None) for c in competitions]


def download_name(report: Report) -> str:
    """The file name the browser saves the PDF as."""
    name = report.competition.name
    if report.kind == Kind.BULLETIN:
        return f"{name}简报第{report.issue_number}期（{report.as_of:%Y-%m-%d}）.pdf"
    return f"{name}汇报会材料（{report.as_of:%Y-%m-%d}）.pdf"
