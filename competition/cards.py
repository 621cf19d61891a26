"""黄牌记录 and 整改: the cards a bulletin issues, lifts or continues, and their 整改 reports.

The lifecycle, as the competition office runs it (README "黄牌记录和整改"):

- A bulletin (简报, 第N期) is built: `sync_cards` reads the league of its date. A carded
  department without an open card gets one (issued at this issue; its 整改 is due
  CARD_RECTIFICATION_DAYS after the day the bulletin is built); an open card of a
  department carded again continues (连续N期: the bulletins from the one that issued it
  to this one); an open card of a department no longer carded is lifted at this issue.
- Rebuilding the same issue gives the same cards (idempotent per issue): a card issued
  at this issue is updated, or withdrawn (deleted) if the rebuilt figures no longer card
  the department; a card lifted at it is reopened if the department is carded again.
  Cards follow the newest issue: rebuilding an issue older than another bulletin of the
  competition leaves the cards as the newer issues set them.
- The department's liaison submits a 整改 report (measures and an optional attachment,
  checked as evidence is); the office accepts it (通过) or returns it with a reason
  (退回), and a returned report is corrected and submitted again.
- A 整改 is overdue on a day after its due date while its card is open and no report is
  waiting for review or accepted (the department owes it). Overdue 整改 goes on 黑榜.

Every write is one transaction that leaves history rows (simple_history) and notifies
(notifications.services.notify) the department's liaisons or the office.
"""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from competition import charts
from competition.models import Competition, Rectification, Report, YellowCard
from competition.scoring import League, compute_league
from departments.roles import Roles, roles_of
from notifications.services import Kind, liaisons_of, notify, office_users

log = logging.getLogger(__name__)

Status = Rectification.Status


class RectificationError(Exception):
    """An expected refusal (shown to the user): the 整改 is not in a state that allows it."""


def rectification_days() -> int:
    """Days after a card's bulletin within which its 整改 is due (a setting)."""
    return settings.CARD_RECTIFICATION_DAYS


# Consecutive issues ---------------------------------------------------------------------
def consecutive_issues(*, issued_on: date, as_of: date, bulletin_dates: list[date]) -> int:
    """连续N期: the bulletins dated from the card's issue up to `as_of`, both included.

    `bulletin_dates` sorted ascending (one per issue). At least 1: the card's own issue.
    """
    count = bisect_right(bulletin_dates, as_of) - bisect_left(bulletin_dates, issued_on)
    return max(count, 1)


def bulletin_dates(competition: Competition, *, up_to: date | None = None) -> list[date]:
    """The as-of dates of the competition's bulletins, ascending (one query)."""
    qs = Report.objects.filter(competition=competition, kind=Report.Kind.BULLETIN)
    if up_to is not None:
        qs = qs.filter(as_of__lte=up_to)
    return sorted(set(qs.values_list("as_of", flat=True)))


def cards_covering(competition: Competition, *, as_of: date) -> dict[int, YellowCard]:
    """The card of each department that was open on `as_of` (issued on or before it, not
    lifted by then), by department id, with its 整改 report (one query)."""
    cards = (
        YellowCard.objects.filter(competition=competition, issued_on__lte=as_of)
        .filter(Q(lifted_on__isnull=True) | Q(lifted_on__gt=as_of))
        .select_related("rectification")
    )
    return {card.department_id: card for card in cards}


# The lifecycle at a bulletin --------------------------------------------------------------
@dataclass
class CardSync:
    """What one bulletin did to the cards."""

    report: Report
    issued: list[YellowCard] = field(default_factory=list)
    continued: list[YellowCard] = field(default_factory=list)
    lifted: list[YellowCard] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)  # department ids
    skipped: bool = False  # a newer bulletin decides the cards


def _card_url(card: YellowCard) -> str:
    return reverse("card_detail", args=[card.pk])


def _score_text(score) -> str:
    return charts.percent(score)


def sync_cards(report: Report, *, today: date | None = None, league: League | None = None):
    """Issue, continue and lift the cards of the bulletin `report` (see the module docstring).

    `today` is the day the bulletin is built (the 整改 due date counts from it); `league`
    the league of the report's date when the caller has it. Returns a CardSync, or None
    for a report that is no bulletin.
    """
    if report.kind != Report.Kind.BULLETIN:
        return None
    today = today or timezone.localdate()
    competition = report.competition
    as_of = report.as_of
    done = CardSync(report=report)
    with transaction.atomic():
        # One bulletin's cards at a time per competition: the row lock serializes them.
        Competition.objects.select_for_update().filter(pk=competition.pk).first()
        newer = Report.objects.filter(
            competition=competition, kind=Report.Kind.BULLETIN, as_of__gt=as_of
        ).exists()
        if newer:
            log.info("cards of bulletin %s left to the newer issues", report.pk)
            done.skipped = True
            return done
        league = league or compute_league(competition, as_of=as_of)
        rows = {r.department_id: r for r in league.rows}
        carded = {pk for pk, r in rows.items() if r.yellow_card}
        dates = bulletin_dates(competition, up_to=as_of)
        cards = list(
            YellowCard.objects.select_for_update(of=("self",))
            .filter(competition=competition)
            .filter(Q(lifted_on__isnull=True) | Q(lifted_report=report) | Q(issued_report=report))
            .select_related("department")
        )
        seen: set[int] = set()
        for card in cards:
            before = _state(card)
            row = rows.get(card.department_id)
            is_carded = card.department_id in carded
            if card.issued_report_id == report.pk:
                if is_carded:
                    seen.add(card.department_id)
                    card.score_at_issue = card.last_score = row.score
                    _save_if_changed(card, before)
                    done.continued.append(card)
                else:  # the rebuilt issue no longer cards it: it never was
                    done.withdrawn.append(card.department_id)
                    _tell_withdrawn(card, report=report)
                    card.delete()
                continue
            if is_carded:
                seen.add(card.department_id)
                card.lifted_report = card.lifted_on = card.score_at_lift = None
                card.last_report = report
                card.last_score = row.score
                card.consecutive_issues = consecutive_issues(
                    issued_on=card.issued_on, as_of=as_of, bulletin_dates=dates
                )
                _save_if_changed(card, before)
                done.continued.append(card)
            elif card.lifted_report_id == report.pk:
                card.score_at_lift = row.score if row else None
                _save_if_changed(card, before)
            else:
                card.lifted_report = report
                card.lifted_on = as_of
                card.score_at_lift = row.score if row else None
                card.save()
                done.lifted.append(card)
                _tell_lifted(card, report=report)
        due = today + timedelta(days=rectification_days())
        for department_id in sorted(carded - seen, key=lambda pk: rows[pk].rank):
            row = rows[department_id]
            card = YellowCard.objects.create(
                competition=competition,
                department_id=department_id,
                issued_report=report,
                issued_on=as_of,
                score_at_issue=row.score,
                last_report=report,
                last_score=row.score,
                consecutive_issues=1,
                rectification_due_on=due,
            )
            done.issued.append(card)
            _tell_issued(card, report=report, department_name=row.department_name)
    return done


SYNCED_FIELDS = (
    "score_at_issue",
    "last_report_id",
    "last_score",
    "consecutive_issues",
    "lifted_report_id",
    "lifted_on",
    "score_at_lift",
)


def _state(card: YellowCard) -> tuple:
    return tuple(getattr(card, name) for name in SYNCED_FIELDS)


def _save_if_changed(card: YellowCard, before: tuple) -> None:
    """Save (and so leave a history row) only when a rebuild changed something."""
    if _state(card) != before:
        card.save()


def _tell_issued(card: YellowCard, *, report: Report, department_name: str) -> None:
    recipients = liaisons_of([card.department_id])
    notify(
        recipients=recipients,
        kind=Kind.CARD_ISSUED,
        title=_("%(department)s在第%(n)s期简报中被黄牌警告（得分%(score)s）。")
        % {
            "department": department_name,
            "n": report.issue_number,
            "score": _score_text(card.score_at_issue),
        },
        url=_card_url(card),
    )
    notify(
        recipients=recipients,
        kind=Kind.RECTIFICATION_DUE,
        title=_("请于%(due)s前提交%(department)s的整改措施。")
        % {"due": f"{card.rectification_due_on:%Y-%m-%d}", "department": department_name},
        url=reverse("rectification_submit", args=[card.pk]),
    )


def _tell_lifted(card: YellowCard, *, report: Report) -> None:
    notify(
        recipients=liaisons_of([card.department_id]),
        kind=Kind.CARD_LIFTED,
        title=_("%(department)s的黄牌在第%(n)s期简报撤销。")
        % {"department": card.department.name, "n": report.issue_number},
        url=_card_url(card),
    )


def _tell_withdrawn(card: YellowCard, *, report: Report) -> None:
    notify(
        recipients=liaisons_of([card.department_id]),
        kind=Kind.CARD_LIFTED,
        title=_("第%(n)s期简报重新生成后，%(department)s不再被黄牌警告，该黄牌撤回。")
        % {"department": card.department.name, "n": report.issue_number},
        url=reverse("cards"),
    )


# 整改 ----------------------------------------------------------------------------------
def rectification_state(card: YellowCard, *, today: date) -> str:
    """What the card's 整改 stands at: "accepted", "submitted", "returned", "overdue"
    (owed past its due date on an open card), "due" (owed, not yet late) or "closed"
    (the card was lifted before any report was accepted: none is owed any more)."""
    rect = card.rectification if has_rectification(card) else None
    if rect is not None and rect.status in (Status.ACCEPTED, Status.SUBMITTED):
        return rect.status
    if not card.is_open:
        return "closed" if rect is None else rect.status
    if today > card.rectification_due_on:
        return "overdue"
    return rect.status if rect is not None else "due"


def has_rectification(card: YellowCard) -> bool:
    try:
        card.rectification  # noqa: B018  (loaded with select_related by the callers)
    except Rectification.DoesNotExist:
        return False
    return True


STATE_LABELS = {
    "accepted": gettext_lazy("已通过"),
    "submitted": gettext_lazy("待审核"),
    "returned": gettext_lazy("退回待改"),
    "overdue": gettext_lazy("逾期未交"),
    "due": gettext_lazy("待提交"),
    "closed": gettext_lazy("黄牌已撤销，无需整改"),
}


def state_label(state: str) -> str:
    return str(STATE_LABELS[state])


def overdue_q(*, today: date, prefix: str = "") -> Q:
    """Cards whose 整改 is overdue on `today`: open, past due, and no report waiting for
    review or accepted. `prefix` reaches the card through a relation."""
    return Q(
        **{f"{prefix}lifted_on__isnull": True, f"{prefix}rectification_due_on__lt": today}
    ) & ~Q(**{f"{prefix}rectification__status__in": [Status.SUBMITTED, Status.ACCEPTED]})


def may_submit(card: YellowCard) -> bool:
    """A report may be submitted while none is waiting or accepted, and, when none has been
    submitted yet, while the card is open (a lifted card owes none)."""
    if not has_rectification(card):
        return card.is_open
    return card.rectification.status == Status.RETURNED


def submit_rectification(card: YellowCard, *, measures: str, attachment=None, by) -> Rectification:
    """The department's 整改 report for `card`, first or corrected after a return.

    `attachment` an upload already checked (projects.evidence) or None (a resubmission
    keeps the file it had). Tells the office. Raises RectificationError when a report is
    waiting or accepted, or the card was lifted before any.
    """
    with transaction.atomic():
        card = (
            YellowCard.objects.select_for_update(of=("self",))
            .select_related("department")
            .get(pk=card.pk)
        )
        rect = Rectification.objects.select_for_update().filter(card=card).first()
        now = timezone.now()
        if rect is None:
            if not card.is_open:
                raise RectificationError(_("该黄牌已撤销，无需提交整改。"))
            rect = Rectification(card=card)
        elif rect.status != Status.RETURNED:
            raise RectificationError(_("整改报告已提交，正在审核或已通过，不能再次提交。"))
        rect.measures = measures
        if attachment:
            rect.attachment = attachment
        rect.status = Status.SUBMITTED
        rect.submitted_by = by
        rect.submitted_at = now
        rect.reviewed_by = rect.reviewed_at = None
        rect._history_user = by
        rect.save()
        notify(
            recipients=office_users(),
            kind=Kind.RECTIFICATION_SUBMITTED,
            title=_("%(department)s提交了整改措施（%(issued)s黄牌）。")
            % {"department": card.department.name, "issued": f"{card.issued_on:%Y-%m-%d}"},
            url=_card_url(card),
        )
    return rect


def _review(card: YellowCard, *, by, status: str, reason: str = "") -> Rectification:
    with transaction.atomic():
        rect = (
            Rectification.objects.select_for_update(of=("self",))
            .select_related("card__department")
            .filter(card_id=card.pk)
            .first()
        )
        if rect is None or rect.status != Status.SUBMITTED:
            raise RectificationError(_("该整改报告不在待审核状态，可能已被他人处理。"))
        rect.status = status
        rect.return_reason = reason
        rect.reviewed_by = by
        rect.reviewed_at = timezone.now()
        rect._history_user = by
        rect.save()
        department = rect.card.department
        if status == Status.ACCEPTED:
            kind = Kind.RECTIFICATION_ACCEPTED
            title = _("%(department)s的整改措施已通过。") % {"department": department.name}
        else:
            kind = Kind.RECTIFICATION_RETURNED
            title = _("%(department)s的整改措施被退回：%(reason)s") % {
                "department": department.name,
                "reason": reason,
            }
        notify(
            recipients=liaisons_of([department.pk]),
            kind=kind,
            title=title,
            url=_card_url(rect.card),
        )
    return rect


def accept_rectification(card: YellowCard, *, by) -> Rectification:
    """通过: the office accepts the submitted report. RectificationError when none waits."""
    return _review(card, by=by, status=Status.ACCEPTED)


def return_rectification(card: YellowCard, *, by, reason: str) -> Rectification:
    """退回: the office returns the submitted report with a reason for the liaison."""
    reason = (reason or "").strip()
    if not reason:
        raise RectificationError(_("退回时必须填写原因。"))
    return _review(card, by=by, status=Status.RETURNED, reason=reason)


def department_cards(competition: Competition, *, department_id: int) -> list[YellowCard]:
    """A department's cards in a competition, the latest first, with their bulletins and
    整改 (one query)."""
    return list(
        YellowCard.objects.filter(competition=competition, department_id=department_id)
        .select_related("issued_report", "lifted_report", "last_report", "rectification")
        .order_by("-issued_on")
    )


# Access ----------------------------------------------------------------------------------
def cards_for(roles: Roles) -> QuerySet[YellowCard]:
    """The cards a user may open: all for the office and leaders, a liaison's own."""
    qs = YellowCard.objects.all()
    if roles.can_read_all:
        return qs
    if roles.liaison_department_ids:
        return qs.filter(department_id__in=roles.liaison_department_ids)
    return qs.none()


def get_card_for_user(request, pk: int) -> tuple[YellowCard, bool]:
    """The card `pk` if the user may see it (else 404), and whether they may write its 整改
    (the office, or a liaison of its department; leaders never)."""
    roles = roles_of(request.user)
    card = get_object_or_404(
        cards_for(roles).select_related(
            "competition",
            "department",
            "issued_report",
            "lifted_report",
            "last_report",
            "rectification__submitted_by__person",
            "rectification__reviewed_by__person",
        ),
        pk=pk,
    )
    return card, roles.can_write_department(card.department_id)
