"""Every write of a project, milestone, receipt or visit: data entry, the office, the admin.

Each function is one transaction that saves, writes the history entry (simple_history:
on save() and delete() by itself; `bulk_history_create` after an update()), refreshes the
stored progress of the projects whose records or loss changed (projects.progress) and
announces what changed through departments.changes (sent after commit; the competition
app listens). Nothing else does it for them: the models have no signal receivers, so a
save() or delete() outside these functions leaves the progress and the leagues behind.

Review transitions (verify, return, resubmit) are compare-and-set updates,
`filter(pk=…, status=old).update(…)`: when two office users act on the same record at
once, only the first one changes it; the other is told it was already handled.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.changes import announce, touch
from notifications.models import Notification
from notifications.services import notify
from projects import evidence, policy
from projects.models import (
    CodeCounter,
    EvidenceKind,
    EvidencePolicy,
    Milestone,
    Project,
    Receipt,
    ReviewStatus,
    Stage,
    Submission,
    Visit,
)
from projects.progress import refresh_progress
from projects.validation import check_lost_on, check_stage_order
from web.addresses import note_bulk_history

PENDING, VERIFIED, RETURNED = ReviewStatus.PENDING, ReviewStatus.VERIFIED, ReviewStatus.RETURNED

# Fields whose change makes a verified record unverified: the office checked exactly these
# (a visit's persons and department are what it counts, and for whom).
COUNTED_FIELDS = frozenset({"stage", "occurred_on", "amount", "evidence", "persons", "department"})

# Every automatic code is "XM-<year>-<number>", leads' too: a lead is a project at its
# first stage and keeps its code as it moves on (README "Data entry").
CODE_PREFIX = "XM"
CODE_DIGITS = 4  # zero-padded to four digits; more when a year needs them
# Codes of the automatic shape typed by hand or imported before the counter existed are
# read once, to start the counter past them; longer numbers are someone's typing.
SEED_MAX_DIGITS = 6
CODE_ATTEMPTS = 5
REASON_MAX = 100  # simple_history's history_change_reason length


class Conflict(Exception):
    """Someone else changed the record first; the message is shown to the user."""


class MissingEvidence(Exception):
    """Records the evidence policy asks evidence for, which they lack, and no reason was
    given for verifying them anyway. Nothing was verified. `records`: those records."""

    def __init__(self, records: list):
        super().__init__(", ".join(f"{record_label(r)}（{r.missing_evidence}）" for r in records))
        self.records = records


Record = Milestone | Receipt | Visit
RECORD_MODELS: dict[str, type[Model]] = {"milestone": Milestone, "receipt": Receipt, "visit": Visit}


def kind_name(record: Record) -> str:
    """ "milestone", "receipt" or "visit": the record's kind in URLs and forms."""
    return {Milestone: "milestone", Receipt: "receipt", Visit: "visit"}[type(record)]


def record_label(record: Record) -> str:
    """How a message names a record: its kind and what identifies it."""
    if isinstance(record, Visit):
        return _("客商接待 %(record)s") % {"record": record}
    if isinstance(record, Receipt):
        return _("资金到账 %(record)s") % {"record": record}
    return _("阶段节点 %(record)s") % {"record": record}


def fix_url(record: Record) -> str:
    """The page where the liaison fixes a returned record (its edit form)."""
    return reverse(f"projects:{kind_name(record)}_edit", args=[record.pk])


class AlreadySubmitted(Exception):
    """The create form with this one-time token was saved before: `submission` says what
    it created. Nothing was saved this time."""

    def __init__(self, submission: Submission):
        super().__init__(f"already submitted: {submission}")
        self.submission = submission


def _claim(token: UUID | None, kind: str, object_id: int) -> None:
    """Store `token` as the create form that made `object_id`; AlreadySubmitted if it was
    used before. In the caller's transaction: when the token is taken, the caller's
    writes roll back with it. Without a token (the admin, older pages) nothing is kept."""
    if token is None:
        return
    try:
        with transaction.atomic():  # a savepoint, so the lookup below can still run
            Submission.objects.create(token=token, kind=kind, object_id=object_id)
    except IntegrityError:
        # A concurrent twin waited here on the key until the first one committed.
        raise AlreadySubmitted(Submission.objects.get(token=token)) from None


def purge_submissions(*, now: datetime | None = None) -> int:
    """Delete the one-time tokens of create forms posted more than SUBMISSION_KEEP_DAYS
    ago; how many were deleted. A form posted again after that (a page left open for
    weeks, then resent) is saved as a new post: the duplicate check still warns of a
    likely twin, and a milestone's stage can be recorded once only."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SUBMISSION_KEEP_DAYS)
    return Submission.objects.filter(created_at__lt=cutoff).delete()[0]


def submitted_before(token: UUID | None, kind: str) -> Submission | None:
    """What a create form with `token` made already (None: never saved, or no token)."""
    if token is None:
        return None
    return Submission.objects.filter(token=token, kind=kind).first()


def _records_changed(
    project_ids: Iterable[int | None], dates: Iterable[date], *, check_order: Iterable[int] = ()
) -> None:
    """Refresh the progress of `project_ids` and announce their departments and `dates`.

    In the caller's transaction; the announcement goes out once it commits. `check_order`:
    projects whose stage dates are checked again under the lock (projects.progress).
    """
    ids = {pk for pk in project_ids if pk is not None}
    if not ids:
        return
    refresh_progress(ids, check_order=set(check_order))
    departments = Project.objects.filter(pk__in=ids).values_list("department_id", flat=True)
    announce(department_ids=set(departments), dates=list(dates))


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
    without_evidence: dict[int, str] | None = None,
) -> list[Model]:
    """Move each record still in `from_statuses` to `to`; return the records that moved.

    `without_evidence`: per record verified without the evidence the policy asks for, why.
    The caller refreshes and announces (`_changed`: once per transaction).
    """
    now = timezone.now()
    values: dict = {
        "status": to,
        "updated_at": now,
        "return_reason": return_reason,
        "verified_without_evidence_reason": "",
    }
    if to == PENDING:
        values.update(reviewed_by=None, reviewed_at=None)
    else:
        values.update(reviewed_by=by, reviewed_at=now)
    moved = []
    for pk in pks:
        reason = (without_evidence or {}).get(pk, "")
        # Compare-and-set: a record handled by someone else meanwhile is left alone.
        updated = model.objects.filter(pk=pk, status__in=from_statuses).update(
            **{**values, "verified_without_evidence_reason": reason}
        )
        if updated:
            moved.append(pk)
    records = list(model.objects.filter(pk__in=moved)) if moved else []
    if records:
        model.history.bulk_history_create(
            records,
            update=True,
            default_user=by,
            default_change_reason=_reason(history_reason),
            default_date=now,
        )
        note_bulk_history()
    return records


def _changed(*moved: list[Model], check_order: Iterable[int] = ()) -> None:
    records = [record for records in moved for record in records]
    project_records = [r for r in records if not isinstance(r, Visit)]
    _records_changed(
        {r.project_id for r in project_records},
        [r.occurred_on for r in project_records],
        check_order=check_order,
    )
    visits = [r for r in records if isinstance(r, Visit)]
    if visits:
        # A visit counts for its department, whatever project it names.
        announce(
            department_ids={v.department_id for v in visits}, dates=[v.occurred_on for v in visits]
        )


def _ids(milestone_ids, receipt_ids, visit_ids) -> list[tuple[type[Model], list[int]]]:
    return [
        (Milestone, list(milestone_ids)),
        (Receipt, list(receipt_ids)),
        (Visit, list(visit_ids)),
    ]


def missing_evidence(*, milestone_ids=(), receipt_ids=(), visit_ids=()) -> list[Record]:
    """The pending records among the ids that lack the evidence the policy asks for, each
    with `missing_evidence` set to the document ("合同"). Three queries and the policy's."""
    policies = policy.current_policies()
    missing = []
    for model, ids in _ids(milestone_ids, receipt_ids, visit_ids):
        if not ids:
            continue
        for record in model.objects.filter(pk__in=ids, status=PENDING).order_by("pk"):
            policy.annotate_missing([record], policies)
            if record.missing_evidence:
                missing.append(record)
    return missing


def verify_records(
    *, milestone_ids=(), receipt_ids=(), visit_ids=(), by, without_evidence_reason: str = ""
) -> int:
    """Verify the pending milestones, receipts and visits among the ids, in one transaction.

    Returns how many were verified; records no longer pending are skipped. A record that
    lacks the evidence the policy asks for is verified only with `without_evidence_reason`,
    which it keeps (its history shows it); without one, MissingEvidence and nothing changes.
    """
    reason = without_evidence_reason.strip()
    with transaction.atomic():
        lacking = missing_evidence(
            milestone_ids=milestone_ids, receipt_ids=receipt_ids, visit_ids=visit_ids
        )
        if lacking and not reason:
            raise MissingEvidence(lacking)
        without = {(type(r), r.pk): reason for r in lacking}
        moved = []
        for model, ids in _ids(milestone_ids, receipt_ids, visit_ids):
            reasons = {pk: text for (m, pk), text in without.items() if m is model}
            moved.append(
                _transition(
                    model,
                    ids,
                    from_statuses=(PENDING,),
                    to=VERIFIED,
                    by=by,
                    history_reason=(
                        _("核实通过（无佐证：%(reason)s）") % {"reason": reason}
                        if reasons
                        else _("核实通过")
                    ),
                    without_evidence=reasons,
                )
            )
        _changed(*moved)
    return sum(len(m) for m in moved)


def return_records(*, milestone_ids=(), receipt_ids=(), visit_ids=(), by, reason: str) -> int:
    """Return pending (or verified) milestones, receipts and visits with a reason, in one
    transaction; tell each record's liaison (a notification linking to its edit page)."""
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
            for model, ids in _ids(milestone_ids, receipt_ids, visit_ids)
        ]
        for record in (r for records in moved for r in records):
            notify(
                recipients=[record.logged_by_id],
                kind=Notification.Kind.RECORD_RETURNED,
                title=_("%(record)s 被退回：%(reason)s")
                % {"record": record_label(record), "reason": reason},
                url=fix_url(record),
            )
        _changed(*moved)
    return sum(len(m) for m in moved)


def _one(record: Record) -> dict:
    return {f"{kind_name(record)}_ids": [record.pk]}


def verify(record: Record, *, by, without_evidence_reason: str = "") -> None:
    """Verify one pending record; Conflict if it is no longer pending, MissingEvidence if it
    lacks the evidence the policy asks for and no reason was given."""
    done = verify_records(by=by, without_evidence_reason=without_evidence_reason, **_one(record))
    if not done:
        raise Conflict(_("该记录已不是待核实状态，可能已被他人处理。"))


def return_record(record: Record, *, by, reason: str) -> None:
    """Return one record to its liaison with a reason; Conflict if it was already returned."""
    if not return_records(by=by, reason=reason, **_one(record)):
        raise Conflict(_("该记录已被退回，可能已被他人处理。"))


def resubmit(record: Record, *, by) -> None:
    """Send a returned record back to the office unchanged (returned → pending).

    The record counts again once verified, so the stage order is checked as if it were live.
    """
    with transaction.atomic():
        record.status = PENDING
        if isinstance(record, Milestone):
            check_stage_order(record.project, milestone=record)
        elif isinstance(record, Receipt):
            check_stage_order(record.project, receipt=record)
        moved = _transition(
            type(record),
            [record.pk],
            from_statuses=(RETURNED,),
            to=PENDING,
            by=by,
            history_reason=_("重新提交"),
        )
        # Checked above against the records as stored then; again under the lock, where
        # a stage another user recorded meanwhile is in sight (as for a save).
        _changed(moved, check_order=[] if isinstance(record, Visit) else [record.project_id])
    if not moved:
        raise Conflict(_("该记录已不是退回状态，无需重新提交。"))


def save_record(
    record: Milestone | Receipt,
    *,
    by,
    original_status: str | None,
    changed=(),
    submission: UUID | None = None,
):
    """Save a new or edited milestone or receipt (already validated by its form).

    A new record is pending and logged by `by`. An edit follows `status_after_edit`; it is
    refused (Conflict) if the office changed the record's status while it was being edited.
    A milestone of a stage another user recorded a moment ago is a ValidationError on
    "stage". `submission`: a create form's one-time token (AlreadySubmitted when used).
    """
    kind = Submission.Kind.MILESTONE if isinstance(record, Milestone) else Submission.Kind.RECEIPT
    with transaction.atomic():
        stored = _stored_record(record)
        if record.pk is None:
            record.status = PENDING
            record.logged_by = by
        else:
            if stored is None or stored["status"] != original_status:
                raise Conflict(_("该记录刚被他人处理过，请刷新页面后重试。"))
            new_status = status_after_edit(status=original_status, changed=changed)
            record.status = new_status
            if new_status != original_status:
                record.reviewed_by, record.reviewed_at, record.return_reason = None, None, ""
                record.verified_without_evidence_reason = ""
                record._change_reason = (
                    _("修改后重新提交")
                    if original_status == RETURNED
                    else _("修改已核实记录，待重新核实")
                )
        try:
            _save_record(record, stored, by=by)
        except ValidationError:
            _raise_if_submitted(submission, kind)
            raise
        if stored is None:
            _claim(submission, kind, record.pk)
    return record


def save_record_as_office(record: Milestone | Receipt, *, by, changed=()):
    """Save a milestone or receipt as the office set it (the admin): any field, the status too.

    Stamps who logged a new record, and who reviewed it when `changed` names the status.
    Unlike `save_record`, the status is the office's to set, not `status_after_edit`'s.
    """
    with transaction.atomic():
        stored = _stored_record(record)
        if stored is None and record.logged_by_id is None:
            record.logged_by = by
        if "status" in changed:
            if record.status == PENDING:
                record.reviewed_by, record.reviewed_at = None, None
            else:
                record.reviewed_by, record.reviewed_at = by, timezone.now()
        _save_record(record, stored, by=by)
    return record


def _stored_record(record: Milestone | Receipt) -> dict | None:
    """The stored project, date and status of `record` (None when new), its row locked."""
    if record.pk is None:
        return None
    return (
        type(record)
        .objects.select_for_update()
        .filter(pk=record.pk)
        .values("project_id", "occurred_on", "status")
        .first()
    )


def _save_record(record: Milestone | Receipt, stored: dict | None, *, by) -> None:
    """Save `record`; refresh and announce its project and date, and those it had before
    (an edit may move it to another date or another project)."""
    record._history_user = by
    _name_evidence(record)
    try:
        with transaction.atomic():  # a savepoint: the caller can still answer
            record.save()
    except IntegrityError:
        # The form found the stage free, but two users can pass that check at once.
        if isinstance(record, Milestone) and _stage_taken(record):
            raise ValidationError(
                {"stage": _("该项目的这个阶段刚被他人登记，请回到项目页查看。")}
            ) from None
        raise
    projects, dates = {record.project_id}, [record.occurred_on]
    if stored is not None:
        projects.add(stored["project_id"])
        dates.append(stored["occurred_on"])
    # The form checked the record against the records stored when it was shown; records
    # saved with it (the admin's inline rows) or by someone else meanwhile are only in
    # sight now, under the project's lock: the stage order is checked again there.
    _records_changed(projects, dates, check_order=[record.project_id])


def _name_evidence(record: Milestone | Receipt | Visit) -> None:
    """A new upload is stored under a random name and its original name kept in
    `evidence_name`, which the history and the record pages show; no file, no name."""
    file = record.evidence
    if not file:
        record.evidence_name = ""
    elif not file._committed:  # a new upload, not yet stored (what FileField checks)
        record.evidence_name = evidence.name_upload(file.file)
        file.name = file.file.name


def _stage_taken(milestone: Milestone) -> bool:
    others = Milestone.objects.filter(project_id=milestone.project_id, stage=milestone.stage)
    return others.exclude(pk=milestone.pk).exists()


def delete_records(records: Iterable[Milestone | Receipt], *, by) -> None:
    """Delete milestones and receipts (the admin); refresh and announce their projects."""
    records = list(records)
    with transaction.atomic():
        for record in records:
            record._history_user = by
            record.delete()
        _records_changed({r.project_id for r in records}, [r.occurred_on for r in records])


# Projects -----------------------------------------------------------------------------
def save_project_edit(form, *, loaded_at: str, by=None) -> Project:
    """Save an edit unless someone else saved the project since the form was shown.

    The stored `updated_at` is read under a row lock and compared with the version the
    form carried; a mismatch (or no version at all) raises Conflict and nothing is saved.
    A code another user took a moment ago is a ValidationError on "code".
    `by`: who, for the history (else simple_history's request middleware says).
    """
    with transaction.atomic():
        stored = _stored_project(form.instance)
        if stored is None or not loaded_at or stored["updated_at"].isoformat() != loaded_at:
            raise Conflict(_("该项目已被他人修改，请重新打开页面，核对最新内容后再保存。"))
        project = form.save(commit=False)
        _save_project(project, stored, by=by)
        form.save_m2m()
    return project


def save_project(project: Project, *, by) -> Project:
    """Save a new or edited project as the admin's form gives it (code, loss included)."""
    with transaction.atomic():
        _save_project(project, _stored_project(project), by=by)
    return project


def _stored_project(project: Project) -> dict | None:
    if project.pk is None:
        return None
    return (
        Project.objects.select_for_update()
        .filter(pk=project.pk)
        .values("department_id", "lost_on", "updated_at")
        .first()
    )


def _save_project(project: Project, stored: dict | None, *, by) -> None:
    """Save `project`; what a new department or loss moves follows.

    A new project has no records yet: nothing to refresh or announce, but its department's
    pages list it (they follow its records version: touched). Another department
    moves every record of the project between two departments' figures, whatever their
    date (dates=None); a loss set, moved or cleared moves the records after it (the loss
    bounds the records that count), so the earlier loss date is announced.
    """
    if by is not None:
        project._history_user = by
    _save_unique(project)
    if stored is None:
        touch({project.department_id})
        return
    lost_before, lost_now = stored["lost_on"], project.lost_on
    if lost_before != lost_now:
        refresh_progress([project.pk])
    if stored["department_id"] != project.department_id:
        announce(department_ids={stored["department_id"], project.department_id}, dates=None)
    elif lost_before != lost_now:
        announce(
            department_ids={project.department_id},
            dates=[d for d in (lost_before, lost_now) if d is not None],
        )
    else:
        # Nothing counted moves, but the department's pages show the project's code and
        # name beside its records (the liaison's home): they follow the new token.
        touch({project.department_id})


def delete_projects(projects: Iterable[Project], *, by) -> None:
    """Delete projects (the admin) with their milestones and receipts; announce the dates
    of those records for each project's department (none: nothing counted moves, and the
    department is only touched)."""
    with transaction.atomic():
        for project in projects:
            dates = [
                *project.milestones.values_list("occurred_on", flat=True),
                *project.receipts.values_list("occurred_on", flat=True),
            ]
            project._history_user = by
            project.delete()
            if dates:
                announce(department_ids={project.department_id}, dates=dates)
            else:  # nothing counted moves, but its department's pages listed it
                touch({project.department_id})


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
        # The records after the loss stop counting: the league moves from the loss date on.
        announce(department_ids={project.department_id}, dates=[lost_on])
        Project.history.bulk_history_create(
            [Project.objects.get(pk=project.pk)],
            update=True,
            default_user=by,
            default_change_reason=_reason(_("标记流失：%(reason)s") % {"reason": reason}),
            default_date=now,
        )
        note_bulk_history()
    project.lost_on, project.lost_reason = lost_on, reason


# Codes, projects and leads ------------------------------------------------------------
def next_code(*, year: int) -> str:
    """Take the next automatic code of `year`: "XM-<year>-<number>", zero-padded to four.

    The number comes from the year's CodeCounter row, locked until the transaction ends:
    concurrent creators take turns (fifty liaisons at once raced for the same number
    often enough in the load test to exhaust the retries), and each one reads what its
    predecessor committed. A code typed by hand never moves the counter, so no code, however
    large or odd, can stop the numbering; a number someone typed already is skipped.
    Call it inside a transaction.
    """
    stem = f"{CODE_PREFIX}-{year}-"
    counters = CodeCounter.objects.select_for_update()
    counter = counters.filter(prefix=CODE_PREFIX, year=year).first()
    if counter is None:
        # The year's first code: start past the codes of this shape already stored (from
        # before the counter, or a ledger). Concurrent first creators insert the row once:
        # the second insert waits for the first to commit, then does nothing.
        start = CodeCounter(prefix=CODE_PREFIX, year=year, last=_highest_number(stem))
        CodeCounter.objects.bulk_create([start], ignore_conflicts=True)
        counter = counters.get(prefix=CODE_PREFIX, year=year)
    number = counter.last + 1
    if Project.objects.filter(code=_code(stem, number)).exists():
        taken = set(Project.objects.filter(code__startswith=stem).values_list("code", flat=True))
        while _code(stem, number) in taken:
            number += 1
    CodeCounter.objects.filter(pk=counter.pk).update(last=number)
    return _code(stem, number)


def _code(stem: str, number: int) -> str:
    return f"{stem}{number:0{CODE_DIGITS}d}"


def _highest_number(stem: str) -> int:
    """The highest number among stored codes "<stem><digits>" of at most SEED_MAX_DIGITS."""
    codes = Project.objects.filter(code__startswith=stem).values_list("code", flat=True)
    numbers = (code[len(stem) :] for code in codes.iterator())
    return max(
        (int(n) for n in numbers if n.isascii() and n.isdigit() and len(n) <= SEED_MAX_DIGITS),
        default=0,
    )


def save_new_project(project: Project, *, today: date, by=None) -> Project:
    """Save a new project under the next automatic code of `today`'s year.

    A code typed in by hand in a transaction that has not committed yet can still take
    the number first: then the next one is tried.
    """
    for attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction survives a clash
                project.code = next_code(year=today.year)
                project._history_user = by
                project.save()
            return project
        except IntegrityError:
            project.pk = None
            if attempt == CODE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def create_project(project: Project, *, by, today: date, submission: UUID | None = None) -> Project:
    """Save a project typed in by a liaison or the office; generate its code if left blank.

    A typed code someone else took a moment ago is refused (ValidationError on "code").
    `submission`: the create form's one-time token (AlreadySubmitted when used before).
    """
    with transaction.atomic():
        try:
            if project.code:
                project._history_user = by
                _save_unique(project)
            else:
                save_new_project(project, today=today, by=by)
        except ValidationError:
            _raise_if_submitted(submission, Submission.Kind.PROJECT)
            raise
        _claim(submission, Submission.Kind.PROJECT, project.pk)
        # Nothing counted moves, but the lists and the dashboard show it (they follow the
        # department's records version).
        touch({project.department_id})
    return project


def submit_lead(project: Project, *, by, today: date, submission: UUID | None = None) -> Project:
    """Save a lead (信息): a project with a lead milestone dated the day it was submitted.

    `project` carries what the submitter filled in (department, name, channel…); its code
    is the next automatic one, as any project's. `submission`: as for create_project.
    """
    with transaction.atomic():
        project.submitted_by = by
        save_new_project(project, today=today, by=by)
        milestone = Milestone(
            project=project, stage=Stage.LEAD, occurred_on=today, status=PENDING, logged_by=by
        )
        _save_record(milestone, None, by=by)
        _claim(submission, Submission.Kind.LEAD, project.pk)
    return project


def _save_unique(project: Project) -> None:
    """Save `project`; a code another user saved a moment ago is a ValidationError on "code"
    (the form checked it was free, but two saves can pass that check at once)."""
    try:
        with transaction.atomic():  # a savepoint: the caller can still answer
            project.save()
    except IntegrityError:
        taken = Project.objects.filter(code=project.code).exclude(pk=project.pk).exists()
        if taken:
            raise ValidationError(
                {"code": _("项目编号“%(code)s”刚被他人使用，请换一个。") % {"code": project.code}}
            ) from None
        raise


def _raise_if_submitted(token: UUID | None, kind: str) -> None:
    """After a clash on a unique column: AlreadySubmitted if the clash was our own twin
    (the same form posted twice at once), so the user sees the first result."""
    if (first := submitted_before(token, kind)) is not None:
        raise AlreadySubmitted(first)


# Visits -------------------------------------------------------------------------------
def last_host(user) -> str:
    """The host (接待领导) of the last visit `user` logged with one: a liaison's next visit
    form starts with it, as the same leader usually receives the department's guests."""
    return (
        Visit.objects.filter(logged_by=user)
        .exclude(host="")
        .order_by("-created_at", "-id")
        .values_list("host", flat=True)
        .first()
        or ""
    )


def save_visit(
    visit: Visit,
    *,
    by,
    original_status: str | None = None,
    changed=(),
    submission: UUID | None = None,
) -> Visit:
    """Save a new or edited visit typed in on the visit form (already validated).

    Reviewed as milestones and receipts are: a new visit is pending and logged by `by`; an
    edit follows `status_after_edit` (a returned visit goes back to pending, a verified one
    whose date, persons, department or evidence changed too), and is refused (Conflict)
    when the office changed its status while it was being edited (`original_status`: the
    status the form was shown with). Announces its department and date, and those it had
    before. `submission`: the create form's one-time token (AlreadySubmitted when used).
    """
    with transaction.atomic():
        stored = _stored_visit(visit)
        if stored is None:
            visit.status = PENDING
            visit.logged_by = by
        else:
            status = stored["status"] if original_status is None else original_status
            if stored["status"] != status:
                raise Conflict(_("该记录刚被他人处理过，请刷新页面后重试。"))
            visit.status = status_after_edit(status=status, changed=changed)
            if visit.status != status:
                visit.reviewed_by, visit.reviewed_at, visit.return_reason = None, None, ""
                visit.verified_without_evidence_reason = ""
                visit._change_reason = (
                    _("修改后重新提交") if status == RETURNED else _("修改已核实记录，待重新核实")
                )
        _save_visit(visit, stored, by=by)
        if stored is None:
            _claim(submission, Submission.Kind.VISIT, visit.pk)
    return visit


def save_visit_as_office(visit: Visit, *, by, changed=()) -> Visit:
    """Save a visit as the office set it (the admin): any field, the status too.

    Stamps who logged a new visit, and who reviewed it when `changed` names the status.
    """
    with transaction.atomic():
        stored = _stored_visit(visit)
        if stored is None and visit.logged_by_id is None:
            visit.logged_by = by
        if "status" in changed or (stored is None and visit.status != PENDING):
            if visit.status == PENDING:
                visit.reviewed_by, visit.reviewed_at = None, None
            else:
                visit.reviewed_by, visit.reviewed_at = by, timezone.now()
        _save_visit(visit, stored, by=by)
    return visit


def _stored_visit(visit: Visit) -> dict | None:
    if visit.pk is None:
        return None
    return (
        Visit.objects.select_for_update()
        .filter(pk=visit.pk)
        .values("department_id", "occurred_on", "status")
        .first()
    )


def _save_visit(visit: Visit, stored: dict | None, *, by) -> None:
    """Save `visit`; announce its department and date, and those it had before."""
    visit._history_user = by
    _name_evidence(visit)
    visit.save()
    departments, dates = {visit.department_id}, [visit.occurred_on]
    if stored is not None:
        departments.add(stored["department_id"])
        dates.append(stored["occurred_on"])
    announce(department_ids=departments, dates=dates)


def delete_visits(visits: Iterable[Visit], *, by) -> None:
    """Delete visits (the admin); announce their departments and dates."""
    visits = list(visits)
    with transaction.atomic():
        for visit in visits:
            visit._history_user = by
            visit.delete()
        if visits:
            announce(
                department_ids={v.department_id for v in visits},
                dates=[v.occurred_on for v in visits],
            )


# The evidence policy ------------------------------------------------------------------
def policy_rows() -> list[EvidencePolicy]:
    """Every kind's EvidencePolicy row, in the kinds' order; a kind without a row gets
    one with its default (projects.policy.DEFAULTS) first, so the office edits all five."""
    stored = {row.kind: row for row in EvidencePolicy.objects.all()}
    missing = [kind for kind in EvidenceKind.values if kind not in stored]
    if missing:
        with transaction.atomic():
            for kind in missing:
                default = policy.DEFAULTS[kind]
                row, _created = EvidencePolicy.objects.get_or_create(
                    kind=kind, defaults={"required": default.required, "document": default.document}
                )
                stored[kind] = row
            policy.forget_policies()
    return [stored[kind] for kind in EvidenceKind.values]


def save_policies(rows: Iterable[EvidencePolicy], *, by) -> int:
    """Save the office's changed policy rows in one transaction (history keeps who, when,
    before and after). Records already verified stay verified; the policy applies to the
    next verification and the next form (projects.policy's cache forgets the old rows
    after the commit)."""
    saved = 0
    with transaction.atomic():
        for row in rows:
            row._history_user = by
            row.save()
            saved += 1
        policy.forget_policies()
    return saved
