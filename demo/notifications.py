"""The demo's notifications: what the demo logins would have been told by day 43.

- every liaison: last week's summary of each of their departments (competition.digest,
  the real builder: the league's own figures) and, when records of theirs were returned,
  a note linking to 退回待改;
- the office and the leader: the league's yellow cards, linking to the league table;
- the staff member: their leads that were returned, if any.

All unread, so that the header shows a count. Built inside the demo's transaction.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q
from django.urls import reverse

from competition import charts
from competition.digest import department_digests
from competition.league.stored import league_to_show
from competition.models import Competition
from notifications.models import Notification
from notifications.services import Kind, delete_notifications, notify
from projects.models import Milestone, Receipt, ReviewStatus


def add_demo_notifications(*, competition: Competition, users: dict, today: date) -> int:
    """Notify the demo logins (`users`: username -> user); returns notifications stored."""
    stored = 0
    last_week = today - timedelta(days=1)
    for digest in department_digests(competition, as_of=last_week):
        stored += len(
            notify(
                recipients=digest.recipients,
                kind=Kind.WEEKLY_SUMMARY,
                title=digest.subject,
                body=digest.body,
                url=reverse("home"),
                key=f"weekly:{competition.pk}:{last_week.isoformat()}:{digest.department.pk}",
            )
        )
    for user in users.values():
        returned = _returned_records(user)
        if returned:
            url = (
                reverse("projects:returned") if _is_liaison(user) else reverse("projects:my_leads")
            )
            stored += len(
                notify(
                    recipients=[user],
                    kind=Kind.RECORD_RETURNED,
                    title=f"竞赛办退回了{returned}条记录，请修改后重新报送",
                    url=url,
                )
            )
    league, _stored = league_to_show(competition, as_of=today)
    cards = [row.department_name for row in league.rows if row.yellow_card]
    if cards:
        readers = [u for u in users.values() if u.person.is_office or u.person.is_leader]
        line = charts.plain_percent(competition.yellow_threshold)
        names = "、".join(cards[:5]) + (f"等{len(cards)}个部门" if len(cards) > 5 else "")
        stored += len(
            notify(
                recipients=readers,
                kind=Kind.CARD_ISSUED,
                title=f"黄牌警告：{names}时序进度完成率低于{line}",
                url=reverse("league"),
            )
        )
    return stored


def delete_demo_notifications(*, usernames: list[str]) -> None:
    """What the demo logins were told: a rebuild tells them afresh."""
    delete_notifications(Notification.objects.filter(recipient__username__in=usernames))


def _is_liaison(user) -> bool:
    return user.person.liaison_for.exists()


def _returned_records(user) -> int:
    """Returned records of the user's departments (liaison) or leads (staff)."""
    if _is_liaison(user):
        scope = Q(project__department__in=user.person.liaison_for.all())
    elif user.person.department_id and not (user.person.is_office or user.person.is_leader):
        scope = Q(project__submitted_by=user)
    else:
        return 0
    return sum(
        model.objects.filter(scope, status=ReviewStatus.RETURNED).count()
        for model in (Milestone, Receipt)
    )
