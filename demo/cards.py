"""The demo's past bulletins, their yellow cards and 整改, so that 红黑榜 and the card pages
have something to show (called once from demo.loader's build).

Four weekly bulletins (第1-4期, as of days 15, 22, 29 and 36 of the window, each built the
day after) issue, continue and lift cards exactly as a real build does
(competition.cards.sync_cards, from the league of each date): the departments without any
signed project are carded at every issue (连续4期). Their PDFs are not rendered (that takes
seconds each): the rows say so, and 重新生成 on the 报告 page builds them. Then 统计局's
liaison submits a 整改 that the office returns with a reason, and another carded
department's 整改 is submitted and waits in the office's queue. No record is touched: the
league's totals stay the speech's. The demo's records have no evidence files, so the
demo competition sets 红黑榜's evidence threshold (佐证齐全率下限) to 0.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from competition import cards
from competition.models import Competition, Report, YellowCard
from notifications.models import Notification
from notifications.services import delete_notifications

BULLETIN_DAYS = (15, 22, 29, 36)
NOT_RENDERED = "演示数据：本期只记录了期号和黄牌，未生成PDF文件；点击“重新生成”即可生成。"
CARD_KINDS = [
    Notification.Kind.CARD_ISSUED,
    Notification.Kind.CARD_LIFTED,
    Notification.Kind.RECTIFICATION_DUE,
    Notification.Kind.RECTIFICATION_SUBMITTED,
    Notification.Kind.RECTIFICATION_RETURNED,
    Notification.Kind.RECTIFICATION_ACCEPTED,
]
RETURNED_DEPARTMENT = "统计局"  # liaison_cztj's: the returned 整改 shows on a demo login


def build_cards(competition: Competition, *, today: date, usernames: list[str]) -> None:
    """Past bulletins, their cards, one returned and one submitted 整改 (see above)."""
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    # The demo's records carry no evidence files: its competition does not apply 红黑榜's
    # evidence threshold (a per-competition setting), or no department could reach 红榜.
    competition.basics_evidence_min = 0
    competition.save(update_fields=["basics_evidence_min"])
    # A rebuilt demo tells its logins of its cards again, not twice.
    delete_notifications(
        Notification.objects.filter(recipient__in=users.values(), kind__in=CARD_KINDS)
    )
    for number, day in enumerate(BULLETIN_DAYS, start=1):
        as_of = competition.start_date + timedelta(days=day - 1)
        if as_of >= today:
            break
        report = Report.objects.create(
            competition=competition,
            kind=Report.Kind.BULLETIN,
            as_of=as_of,
            issue_number=number,
            requested_by=users.get("office1"),
            status=Report.Status.FAILED,
            finished_at=timezone.now(),
            error=NOT_RENDERED,
        )
        cards.sync_cards(report, today=as_of + timedelta(days=1))
    office = users.get("office1")
    open_cards = list(
        YellowCard.objects.filter(competition=competition, lifted_on__isnull=True)
        .select_related("department")
        .order_by("-consecutive_issues", "department__order")
    )
    returned = next((c for c in open_cards if c.department.name == RETURNED_DEPARTMENT), None)
    if returned is not None:
        cards.submit_rectification(
            returned,
            measures="一、统计局班子专题研究招商引资工作，明确分管领导和责任科室。\n"
            "二、每周走访在谈企业不少于两家。",
            by=users.get("liaison_cztj") or office,
        )
        cards.return_rectification(
            returned, by=office, reason="措施不具体：请写明在谈项目、责任人和完成时限。"
        )
    waiting = next((c for c in open_cards if c is not returned), None)
    if waiting is not None:
        cards.submit_rectification(
            waiting,
            measures="一、对照任务指标逐项排查差距。\n二、由主要负责人带队赴上海、苏南敲门招商。\n"
            "三、两周内签订意向项目一个。",
            by=office,
        )
