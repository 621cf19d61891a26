"""每周小结: each department's week, told to its liaisons in the app and by e-mail.

Sent by celery beat (competition.tasks.weekly_summaries, Monday morning). The figures are
the liaison home's own (competition.home.liaison_home): the department's row of the
stored league of the day before (rank, score, card), its pace (还需 and the yellow-line
plan for next week's bulletin, competition.scoring.pace), and its records waiting for
verification or returned. Nothing is computed here that the league does not show. The
wording is the "weekly_summary" EmailTemplate, which the office edits in the admin.

One notification per department and liaison, keyed by competition, date and department:
a schedule delivered twice tells nobody twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from competition import charts
from competition.home import DepartmentSummary, elapsed_days, liaison_home
from competition.models import Competition
from competition.scoring.pace import DepartmentPace
from departments.models import Department
from notifications import emails
from notifications.services import Kind, notify


@dataclass(frozen=True)
class DepartmentDigest:
    """One department's weekly summary and who receives it."""

    department: Department
    recipients: tuple[int, ...]
    context: dict
    subject: str
    body: str


def status_label(summary: DepartmentSummary) -> str:
    """The card status as the league shows it: 黄牌, 无实绩 (both when both), else 正常."""
    row = summary.standing
    if row is None:
        return "未参赛"
    flags = [
        label for flag, label in ((row.yellow_card, "黄牌"), (row.zero_result, "无实绩")) if flag
    ]
    if flags:
        return "、".join(flags)
    return "正常" if row.scored else "未计分"


def pace_text(pace: DepartmentPace | None) -> str:
    """The liaison home's 还需 and yellow-line plan (competition.scoring.pace) in words:
    what is still missing of each quota, and what next week's bulletin asks."""
    if pace is None or not pace.started:
        return ""
    lines = []
    missing = [
        f"{m.label}还需{format(m.remaining.normalize(), 'f')}{m.unit}"
        for m in pace.metrics
        if m.remaining > 0
    ]
    if missing and not pace.over:
        lines.append(f"到竞赛结束，{'、'.join(missing)}。")
    plan = pace.plan
    if plan is not None:
        by, line = f"{plan.by:%Y-%m-%d}", charts.plain_percent(plan.threshold)
        now = charts.percent(plan.score_now_value)
        if not plan.needed:
            lines.append(f"按现有成绩，下期简报（{by}）时得分{now}，不低于黄牌线（{line}）。")
        elif plan.reachable:
            additions = "、".join(str(a) for a in plan.additions)
            then = charts.percent(plan.score_then_value)
            lines.append(
                f"按现有成绩，下期简报（{by}）时得分{now}，低于黄牌线（{line}）；"
                f"在此之前至少还需新增：{additions}，得分可达{then}。"
            )
        else:
            lines.append(
                f"按现有成绩，下期简报（{by}）时得分{now}，低于黄牌线（{line}）；"
                "即使各项指标都达到封顶，也无法达到黄牌线。"
            )
    return "\n".join(lines)


def summary_context(summary: DepartmentSummary, *, competition: Competition, as_of: date) -> dict:
    """The template's variables (notifications.emails.SUMMARY_VARIABLES) for one department."""
    row = summary.standing
    scored = row is not None and row.scored
    return {
        "competition": competition.name,
        "department": summary.department.name,
        "as_of": f"{as_of:%Y-%m-%d}",
        "day": elapsed_days(competition, as_of=as_of),
        "days": competition.days,
        "taking_part": row is not None,
        "rank": row.rank if row else None,
        "participants": summary.participants,
        "group": row.group_name if row else "",
        "group_rank": row.group_rank if row else None,
        "group_size": summary.group_size,
        "score": charts.percent(row.score) if scored else "—",
        "yellow_line": charts.plain_percent(competition.yellow_threshold),
        "status": status_label(summary),
        "pace": pace_text(summary.pace),
        "pending_milestones": summary.pending_milestones,
        "pending_receipts": summary.pending_receipts,
        "pending_total": summary.pending_total,
        "returned_milestones": summary.returned_milestones,
        "returned_receipts": summary.returned_receipts,
        "returned_total": summary.returned_total,
    }


def department_digests(competition: Competition, *, as_of: date) -> list[DepartmentDigest]:
    """The summary of every department taking part in `competition` that has a liaison,
    with the league figures of `as_of` (the window's last day once it is over)."""
    as_of = min(as_of, competition.end_date)
    liaisons: dict[int, set[int]] = {}
    taking_part = Department.objects.filter(quotas__competition=competition)
    for department_id, user_id in taking_part.values_list("id", "liaisons__user_id"):
        if user_id is not None:
            liaisons.setdefault(department_id, set()).add(user_id)
    digests = []
    summaries = liaison_home(department_ids=set(liaisons), competition=competition, today=as_of)
    for summary in summaries:
        # Stored and e-mailed text: in the site's language, whoever runs this.
        with translation.override(settings.LANGUAGE_CODE):
            context = summary_context(summary, competition=competition, as_of=as_of)
        subject, body = emails.render("weekly_summary", context)
        digests.append(
            DepartmentDigest(
                department=summary.department,
                recipients=tuple(sorted(liaisons[summary.department.pk])),
                context=context,
                subject=subject,
                body=body,
            )
        )
    return digests


def summary_competitions(*, as_of: date):
    """The competitions a weekly summary is sent for: active, begun by `as_of`, and not
    ended before the week up to it (the bulletin's rule: its last week gets one too)."""
    return Competition.objects.filter(
        is_active=True, start_date__lte=as_of, end_date__gte=as_of - timedelta(days=6)
    ).order_by("start_date", "name")


def send_weekly_summaries(*, today: date) -> int:
    """Tell every liaison their departments' week, figures up to yesterday; the e-mails
    follow after commit (notifications.services.notify). Returns notifications stored."""
    as_of = today - timedelta(days=1)
    stored = 0
    for competition in summary_competitions(as_of=as_of):
        with transaction.atomic():
            for digest in department_digests(competition, as_of=as_of):
                key = f"weekly:{competition.pk}:{as_of.isoformat()}:{digest.department.pk}"
                stored += len(
                    notify(
                        recipients=digest.recipients,
                        kind=Kind.WEEKLY_SUMMARY,
                        title=digest.subject,
                        body=digest.body,
                        url=reverse("home"),  # the liaison's home: the same figures, live
                        key=key,
                    )
                )
    return stored
