"""State changes of projects and their records, each one transaction and one history entry.

Review transitions (verify, return, resubmit) are compare-and-set updates,
`filter(pk=…, status=old).update(…)`: when two office users act on the same record at
once, only the first one changes it; the other is told it was already handled. An
update() bypasses the model's save(), so every transition writes its history row
itself (who, when, why) with simple_history's bulk_history_create, and refreshes the
stored progress of the projects it touched (projects.progress) in the same transaction.
"""

import zlib
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage
from projects.progress import refresh_progress
from projects.rules import check_stage_order, latest_record_date
from projects.signals import records_changed

PENDING, VERIFIED, RETURNED = ReviewStatus.PENDING, ReviewStatus.VERIFIED, ReviewStatus.RETURNED

# Fields whose change makes a verified record unverified: the office checked exactly these.
COUNTED_FIELDS = frozenset({"stage", "occurred_on", "amount", "evidence"})

LEAD_PREFIX = "XS"  # 信息
PROJECT_PREFIX = "XM"  # 项目
CODE_ATTEMPTS = 5
REASON_MAX = 100  # simple_history's history_change_reason length


class Conflict(Exception):
    """Someone else changed the record first; the message is shown to the user."""


# Review -------------------------------------------------------------------------------
def status_after_edit(*, status: str, changed: Iterable[str]) -> str:
    """The review status of a milestone or receipt after an edit of the `changed` fields.

    Editing a returned record resubmits it (back to pending); editing what the office
    verified (date, amount, stage, evidence) sends a verified record back to pending.
    """
    if status == RETURNED:
        return PENDING
    if status == VERIFIED and COUNTED_FIELDS & set(changed):
        return PENDING
    return status


def _reason(text: str) -> str:
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def _transition(
    model: type[Model],
    pks: Iterable[int],
    *,
    from_statuses: tuple[str, ...],
    to: str,
    by,
    history_reason: str,
    return_reason: str = "",
) -> list[Model]:
    """Move each record still in `from_statuses` to `to`; return the records that moved.

    The caller refreshes the progress of their projects (one refresh per transaction).
    """
    now = timezone.now()
    values: dict = {"status": to, "updated_at": now, "return_reason": return_reason}
    if to == PENDING:
        values.update(reviewed_by=None, reviewed_at=None)
    else:
        values.update(reviewed_by=by, reviewed_at=now)
    moved = []
    for pk in pks:
        # Compare-and-set: a record handled by someone else meanwhile is left alone.
        if model.objects.filter(pk=pk, status__in=from_statuses).update(**values):
            moved.append(pk)
    records = list(model.objects.filter(pk__in=moved)) if moved else []
    if records:
        records_changed.send(sender=model, dates=[r.occurred_on for r in records])
        model.history.bulk_history_create(
            records,
            update=True,
            default_user=by,
            default_change_reason=_reason(history_reason),
            default_date=now,
        )
    return records


def _refresh_projects_of(*moved: list[Model]) -> None:
    refresh_progress({record.project_id for records in moved for record in records})


def verify_records(*, milestone_ids=(), receipt_ids=(), by) -> int:
    """Verify the pending milestones and receipts among the ids, in one transaction.

    Returns how many were verified; records no longer pending are skipped.
    """
    with transaction.atomic():
        moved = [
            _transition(
                model,
                ids,
                from_statuses=(PENDING,),
                to=VERIFIED,
                by=by,
                history_reason=_("核实通过"),
            )
            for model, ids in ((Milestone, milestone_ids), (Receipt, receipt_ids))
        ]
        _refresh_projects_of(*moved)
    return sum(len(m) for m in moved)


def return_records(*, milestone_ids=(), receipt_ids=(), by, reason: str) -> int:
    """Return pending (or verified) milestones and receipts with a reason, in one transaction."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("退回时必须填写原因。")})
    with transaction.atomic():
        moved = [
            _transition(
                model,
                ids,
                from_statuses=(PENDING, VERIFIED),
                to=RETURNED,
                by=by,
                history_reason=_("退回：%(reason)s") % {"reason": reason},
                return_reason=reason,
            )
            for model, ids in ((Milestone, milestone_ids), (Receipt, receipt_ids))
        ]
        _refresh_projects_of(*moved)
    return sum(len(m) for m in moved)


def verify(record: Milestone | Receipt, *, by) -> None:
    """Verify one pending record; Conflict if it is no longer pending."""
    ids = (
        {"milestone_ids": [record.pk]}
        if isinstance(record, Milestone)
        else {"receipt_ids": [record.pk]}
    )
    if not verify_records(by=by, **ids):
        raise Conflict(_("该记录已不是待核实状态，可能已被他人处理。"))


def return_record(record: Milestone | Receipt, *, by, reason: str) -> None:
    """Return one record to its liaison with a reason; Conflict if it was already returned."""
    ids = (
        {"milestone_ids": [record.pk]}
        if isinstance(record, Milestone)
        else {"receipt_ids": [record.pk]}
    )
    if not return_records(by=by, reason=reason, **ids):
        raise Conflict(_("该记录已被退回，可能已被他人处理。"))


def resubmit(record: Milestone | Receipt, *, by) -> None:
    """Send a returned record back to the office unchanged (returned → pending).

    The record counts again once verified, so the stage order is checked as if it were live.
    """
    with transaction.atomic():
        record.status = PENDING
        if isinstance(record, Milestone):
            check_stage_order(record.project, milestone=record)
        else:
            check_stage_order(record.project, receipt=record)
        moved = _transition(
            type(record),
            [record.pk],
            from_statuses=(RETURNED,),
            to=PENDING,
            by=by,
            history_reason=_("重新提交"),
        )
        _refresh_projects_of(moved)
    if not moved:
        raise Conflict(_("该记录已不是退回状态，无需重新提交。"))


def save_record(record: Milestone | Receipt, *, by, original_status: str | None, changed=()):
    """Save a new or edited milestone or receipt (already validated by its form).

    A new record is pending and logged by `by`. An edit follows `status_after_edit`; it is
    refused (Conflict) if the office changed the record's status while it was being edited.
    """
    with transaction.atomic():
        if record.pk is None:
            record.status = PENDING
            record.logged_by = by
        else:
            still = (
                type(record)
                .objects.select_for_update()
                .filter(pk=record.pk, status=original_status)
                .exists()
            )
            if not still:
                raise Conflict(_("该记录刚被他人处理过，请刷新页面后重试。"))
            new_status = status_after_edit(status=original_status, changed=changed)
            record.status = new_status
            if new_status != original_status:
                record.reviewed_by, record.reviewed_at, record.return_reason = None, None, ""
                record._change_reason = (
                    _("修改后重新提交")
                    if original_status == RETURNED
                    else _("修改已核实记录，待重新核实")
                )
        record._history_user = by
        record.save()
    return record


# Lost projects ------------------------------------------------------------------------
def save_project_edit(form, *, loaded_at: str) -> Project:
    """Save an edit unless someone else saved the project since the form was shown.

    The stored `updated_at` is read under a row lock and compared with the version the
    form carried; a mismatch (or no version at all) raises Conflict and nothing is saved.
    """
    with transaction.atomic():
        stored = (
            Project.objects.select_for_update()
            .filter(pk=form.instance.pk)
            .values_list("updated_at", flat=True)
            .first()
        )
        if stored is None or not loaded_at or stored.isoformat() != loaded_at:
            raise Conflict(_("该项目已被他人修改，请重新打开页面，核对最新内容后再保存。"))
        return form.save()


def check_lost_on(project: Project, lost_on: date) -> None:
    """A project is lost after everything it reached: refuse a date before its latest stage."""
    latest = latest_record_date(project)
    if latest and lost_on < latest:
        raise ValidationError(
            {"lost_on": _("流失日期不能早于项目最后一个节点的日期（%(d)s）。") % {"d": latest}}
        )


def mark_lost(project: Project, *, by, lost_on: date, reason: str) -> None:
    """Mark a project lost (流失) with its date and reason; Conflict if it already is."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"lost_reason": _("标记流失时必须填写流失原因。")})
    if lost_on > timezone.localdate():
        raise ValidationError({"lost_on": _("日期不能晚于今天。")})
    check_lost_on(project, lost_on)
    with transaction.atomic():
        now = timezone.now()
        updated = Project.objects.filter(pk=project.pk, lost_on__isnull=True).update(
            lost_on=lost_on, lost_reason=reason, updated_at=now
        )
        if not updated:
            raise Conflict(_("该项目已标记为流失。"))
        refresh_progress([project.pk])  # the loss date bounds the records that count
        records_changed.send(sender=Project, dates=[lost_on])
        Project.history.bulk_history_create(
            [Project.objects.get(pk=project.pk)],
            update=True,
            default_user=by,
            default_change_reason=_reason(_("标记流失：%(reason)s") % {"reason": reason}),
            default_date=now,
        )
    project.lost_on, project.lost_reason = lost_on, reason


# Codes, projects and leads ------------------------------------------------------------
def next_code(prefix: str, year: int) -> str:
    """The next free code of the form "<prefix>-<year>-<seq>" (seq zero-padded to 4)."""
    stem = f"{prefix}-{year}-"
    last = (
        Project.objects.filter(code__regex=rf"^{prefix}-{year}-[0-9]+$")
        .order_by(Length("code").desc(), "-code")
        .values_list("code", flat=True)
        .first()
    )
    seq = int(last[len(stem) :]) + 1 if last else 1
    return f"{stem}{seq:04d}"


def save_new_project(project: Project, *, prefix: str, today: date, by=None) -> Project:
    """Save a new project under the next free code.

    Codes of one prefix and year are handed out one at a time (`_lock_codes`): concurrent
    creators wait a moment for each other rather than race for the same number, which
    fifty liaisons at once did often enough in the load test to exhaust the retries. A
    code typed in by hand can still take a number first: then the next one is tried.
    """
    for attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction survives a clash
                _lock_codes(prefix, today.year)
                project.code = next_code(prefix, today.year)
                project._history_user = by
                project.save()
            return project
        except IntegrityError:
            project.pk = None
            if attempt == CODE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _lock_codes(prefix: str, year: int) -> None:
    """Hold the codes of `prefix` and `year` until the transaction ends (PostgreSQL: an
    advisory transaction lock; SQLite has one writer at a time already). A creator that
    waited here reads the code its predecessor committed: each statement of a READ
    COMMITTED transaction sees what was committed before it began."""
    if connection.vendor != "postgresql":
        return
    key = zlib.crc32(f"project-code:{prefix}:{year}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def create_project(project: Project, *, by, today: date) -> Project:
    """Save a project typed in by a liaison or the office; generate its code if left blank."""
    if project.code:
        project._history_user = by
        project.save()
        return project
    return save_new_project(project, prefix=PROJECT_PREFIX, today=today, by=by)


def submit_lead(project: Project, *, by, today: date) -> Project:
    """Save a lead (信息): a project with a lead milestone dated the day it was submitted.

    `project` carries what the submitter filled in (department, name, channel…).
    """
    with transaction.atomic():
        project.submitted_by = by
        save_new_project(project, prefix=LEAD_PREFIX, today=today, by=by)
        milestone = Milestone(
            project=project, stage=Stage.LEAD, occurred_on=today, status=PENDING, logged_by=by
        )
        milestone._history_user = by
        milestone.save()
    return project
