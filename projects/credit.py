"""Credit decisions (归属认定): when two departments claim one project, the office decides.

Each function is one transaction that changes the project by compare-and-set, writes
a CreditDecision row (who, when, before, after, why) and the project's history entry, and
announces both departments so that their stored league snapshots are recomputed. A project
denied the credit stops counting in the league, with all its stages and receipts
(competition.scoring excludes it); its records stay as they are, and restoring the credit
brings them back.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.changes import announce
from projects.models import CreditDecision, Project
from projects.services import REASON_MAX, Conflict
from web.addresses import note_bulk_history

Outcome = CreditDecision.Outcome
REASON_MAX_LENGTH = 1000


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写认定理由。")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("认定理由不能超过1000个字符。")})
    return reason


def _history_reason(text: str) -> str:
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def _record_dates(project_id: int) -> list:
    project = Project.objects.get(pk=project_id)
    return [
        *project.milestones.values_list("occurred_on", flat=True),
        *project.receipts.values_list("occurred_on", flat=True),
    ]


def _changed(project: Project, counterpart: Project, *, by, history: str, now) -> None:
    """The project's history row, and the announcement of both departments (after commit).

    The dates are those of the project's records: its figures move on each of them
    (nothing moves when it has none).
    """
    Project.history.bulk_history_create(
        [Project.objects.get(pk=project.pk)],
        update=True,
        default_user=by,
        default_change_reason=_history_reason(history),
        default_date=now,
    )
    note_bulk_history()
    dates = _record_dates(project.pk)
    if dates:
        announce(department_ids={project.department_id, counterpart.department_id}, dates=dates)


def deny_credit(project: Project, *, in_favour_of: Project, by, reason: str) -> CreditDecision:
    """`project` stops counting: the credit goes to `in_favour_of`, another project that
    counts. Conflict when `project` was denied meanwhile; ValidationError when the choice
    cannot stand (the same project, a project that does not count itself, or a project
    others were denied in favour of: restore those first, so that no chain forms)."""
    reason = _clean_reason(reason)
    if project.pk == in_favour_of.pk:
        raise ValidationError({"counterpart": _("不能把项目归属于它自己。")})
    with transaction.atomic():
        winner = Project.objects.select_for_update().get(pk=in_favour_of.pk)
        if winner.credit_denied_in_favour_of_id is not None:
            raise ValidationError({"counterpart": _("对方项目本身已不计入，不能把归属认定给它。")})
        if Project.objects.filter(credit_denied_in_favour_of=project.pk).exists():
            raise ValidationError(
                {"counterpart": _("已有其他项目归属于本项目，请先恢复那些项目的计入。")}
            )
        now = timezone.now()
        updated = Project.objects.filter(
            pk=project.pk, credit_denied_in_favour_of__isnull=True
        ).update(credit_denied_in_favour_of=winner, credit_reason=reason, updated_at=now)
        if not updated:
            raise Conflict(_("该项目已被认定为不计入，可能已被他人处理。"))
        decision = CreditDecision.objects.create(
            project=project,
            counterpart=winner,
            outcome=Outcome.DENIED,
            counted_before=True,
            counted_after=False,
            reason=reason,
            decided_by=by,
            decided_at=now,
        )
        history = _("归属认定：不计入，归属%(code)s（%(dept)s）：%(reason)s") % {
            "code": winner.code,
            "dept": winner.department.name,
            "reason": reason,
        }
        _changed(project, winner, by=by, history=history, now=now)
    project.credit_denied_in_favour_of, project.credit_reason = winner, reason
    return decision


def restore_credit(project: Project, *, by, reason: str) -> CreditDecision:
    """`project` counts again (the office reversed its decision). Conflict when it counts
    already."""
    reason = _clean_reason(reason)
    with transaction.atomic():
        stored = Project.objects.select_for_update().get(pk=project.pk)
        winner = stored.credit_denied_in_favour_of
        if winner is None:
            raise Conflict(_("该项目已在计入，可能已被他人处理。"))
        now = timezone.now()
        Project.objects.filter(pk=project.pk, credit_denied_in_favour_of=winner).update(
            credit_denied_in_favour_of=None, credit_reason="", updated_at=now
        )
        decision = CreditDecision.objects.create(
            project=project,
            counterpart=winner,
            outcome=Outcome.RESTORED,
            counted_before=False,
            counted_after=True,
            reason=reason,
            decided_by=by,
            decided_at=now,
        )
        history = _("归属认定：恢复计入：%(reason)s") % {"reason": reason}
        _changed(project, winner, by=by, history=history, now=now)
    project.credit_denied_in_favour_of, project.credit_reason = None, ""
    return decision


def mark_distinct(project: Project, other: Project, *, by, reason: str) -> CreditDecision:
    """The two projects are different projects: both go on counting, and the pair leaves
    the office's list of possible duplicates. Conflict when the pair was decided so."""
    reason = _clean_reason(reason)
    if project.pk == other.pk:
        raise ValidationError({"counterpart": _("请选择另一个项目。")})
    with transaction.atomic():
        # Both rows locked in one order, so that two offices deciding the pair take turns.
        list(Project.objects.select_for_update().filter(pk__in=[project.pk, other.pk]))
        pair = [project.pk, other.pk]
        if CreditDecision.objects.filter(
            outcome=Outcome.DISTINCT, project_id__in=pair, counterpart_id__in=pair
        ).exists():
            raise Conflict(_("这两个项目已被认定为不是重复。"))
        counted = project.credit_denied_in_favour_of_id is None
        return CreditDecision.objects.create(
            project=project,
            counterpart=other,
            outcome=Outcome.DISTINCT,
            counted_before=counted,
            counted_after=counted,
            reason=reason,
            decided_by=by,
            decided_at=timezone.now(),
        )


def decisions_about(project: Project):
    """Every decision naming `project`, on either side, newest first (one query)."""
    return (
        CreditDecision.objects.filter(Q(project=project) | Q(counterpart=project))
        .select_related("project__department", "counterpart__department", "decided_by__person")
        .order_by("-decided_at", "-id")
    )
