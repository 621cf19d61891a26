"""每周小结 and the bulletin's announcement: who is told what, from the league's own figures.

商务局 has a project through every stage and a pending signing; 财政局 a lead whose intent
was returned. Today is Monday 2026-05-04: the summary's figures are Sunday's (05-03).
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from competition import charts, tasks
from competition.digest import department_digests, send_weekly_summaries
from competition.league.snapshots import recompute_snapshots
from competition.league.stored import league_to_show, stored_league
from competition.models import Competition, Quota, Report
from competition.reports import service
from notifications.models import EmailTemplate, Notification
from projects.models import Stage
from tests.conftest import make_milestone, make_person, make_project, make_receipt, make_visit

MONDAY = date(2026, 5, 4)
SUNDAY = MONDAY - timedelta(days=1)
WEEKLY = Notification.Kind.WEEKLY_SUMMARY


@pytest.fixture(autouse=True)
def _monday(time_machine):
    time_machine.move_to(datetime(2026, 5, 4, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def competition(commerce, finance):
    competition = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 3, 1), end_date=date(2026, 6, 8)
    )
    for department in (commerce, finance):
        Quota.objects.create(
            competition=competition,
            department=department,
            visit_batches=2,
            intent_projects=1,
            signed_projects=1,
            funded_projects=1,
            funds_amount=Decimal(100),
            groundbreaking_projects=1,
        )
    return competition


@pytest.fixture
def records(commerce, finance, competition):
    make_visit(commerce, date(2026, 3, 10), persons=3)
    p1 = make_project(commerce, "P001", name="新能源电池")
    make_milestone(p1, Stage.INTENT, date(2026, 3, 5))
    make_milestone(p1, Stage.SIGNED, date(2026, 3, 20))
    make_receipt(p1, date(2026, 4, 1), amount="500")
    p2 = make_project(commerce, "P002", name="物流园")
    make_milestone(p2, Stage.INTENT, date(2026, 3, 15))
    make_milestone(p2, Stage.SIGNED, date(2026, 4, 20), status="pending")
    p3 = make_project(finance, "P003", name="财政局食品厂")
    make_milestone(p3, Stage.LEAD, date(2026, 3, 3))
    make_milestone(p3, Stage.INTENT, date(2026, 4, 5), status="returned", return_reason="缺章")
    recompute_snapshots(competition, as_of=SUNDAY)


@pytest.fixture
def with_email(liaison):
    liaison.email = "sunli@example.gov.cn"
    liaison.save()
    return liaison


def summaries(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=WEEKLY))


# The weekly summary --------------------------------------------------------------------------
def test_each_liaison_gets_their_departments_summary_from_the_stored_league(
    competition, records, liaison, other_liaison, commerce, finance, office, leader
):
    league = stored_league(competition, as_of=SUNDAY)
    rows = {row.department_id: row for row in league.rows}

    assert send_weekly_summaries(today=MONDAY) == 2

    [mine] = summaries(liaison)
    row = rows[commerce.pk]
    assert mine.title == f"百日竞赛每周小结：商务局第{row.rank}名（截至2026-05-03）"
    assert f"全部2个部门中第{row.rank}名" in mine.body
    assert f"得分（时序进度完成率）：{charts.percent(row.score)}" in mine.body
    assert "黄牌线 70%" in mine.body
    assert "待核实：阶段节点1条，资金到账0条。" in mine.body  # P002's signing
    assert "进行到第64天（共100天），数据截至2026-05-03" in mine.body
    assert mine.url == reverse("home")

    [theirs] = summaries(other_liaison)
    row = rows[finance.pk]
    assert f"第{row.rank}名" in theirs.title
    assert "状态：黄牌、无实绩。" in theirs.body  # nothing signed: the league's flags
    assert row.yellow_card and row.zero_result
    assert "已退回待修改：阶段节点1条，资金到账0条。请尽快修改后重新报送。" in theirs.body
    assert not summaries(office) and not summaries(leader)


def test_the_pace_is_the_liaison_homes(competition, records, liaison, other_liaison, finance):
    from competition.home import liaison_home

    [home] = liaison_home(department_ids={finance.pk}, competition=competition, today=SUNDAY)
    plan = home.pace.plan
    send_weekly_summaries(today=MONDAY)
    [theirs] = summaries(other_liaison)
    assert "到竞赛结束，" in theirs.body and "签约项目还需1个" in theirs.body
    assert f"下期简报（{plan.by:%Y-%m-%d}）时得分{charts.percent(plan.score_now_value)}" in (
        theirs.body
    )
    assert plan.needed and "在此之前至少还需新增：" in theirs.body
    assert all(str(addition) in theirs.body for addition in plan.additions)


def test_score_has_one_decimal(competition, records, liaison):
    [digest] = [d for d in department_digests(competition, as_of=SUNDAY) if d.recipients]
    score = digest.context["score"]
    assert score.endswith("%") and len(score.split(".")[1]) == 2  # "80.0%": one decimal


def test_sent_twice_tells_nobody_twice(competition, records, liaison, other_liaison):
    send_weekly_summaries(today=MONDAY)
    assert send_weekly_summaries(today=MONDAY) == 0
    assert len(summaries(liaison)) == 1


def test_a_liaison_of_two_departments_gets_one_summary_each(
    competition, records, commerce, finance
):
    both = make_person("liaison_both", liaison_for=[commerce, finance])
    send_weekly_summaries(today=MONDAY)
    titles = sorted(n.title for n in summaries(both))
    assert len(titles) == 2 and "商务局" in titles[1] + titles[0] and "财政局" in "".join(titles)


def test_emailed_to_liaisons_with_an_address(
    competition, records, with_email, other_liaison, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_weekly_summaries(today=MONDAY)
    [message] = mail.outbox  # the other liaison has no address
    assert message.to == ["sunli@example.gov.cn"]
    assert "商务局" in message.subject and "排名：全部2个部门中" in message.body


def test_the_wording_is_the_admins(competition, records, liaison):
    EmailTemplate.objects.filter(key="weekly_summary").update(
        subject="{{ department }}：{{ score }}", body="第{{ rank }}名/{{ participants }}"
    )
    send_weekly_summaries(today=MONDAY)
    [mine] = summaries(liaison)
    row = league_to_show(competition, as_of=SUNDAY)[0].rows
    rank = next(r.rank for r in row if r.department_name == "商务局")
    assert mine.title.startswith("商务局：") and mine.body == f"第{rank}名/2\n"


def test_an_ended_competition_gets_its_last_week_then_none(competition, records, liaison):
    Competition.objects.filter(pk=competition.pk).update(end_date=date(2026, 4, 30))
    send_weekly_summaries(today=MONDAY)
    [mine] = summaries(liaison)
    assert "截至2026-04-30" in mine.title  # the window's last day
    assert send_weekly_summaries(today=MONDAY + timedelta(days=7)) == 0


def test_the_task_runs_the_summaries(competition, records, liaison):
    assert tasks.weekly_summaries.delay().get() == 1


def test_the_beat_schedule_exists(db):
    task = PeriodicTask.objects.get(task="competition.tasks.weekly_summaries")
    assert task.enabled and task.crontab.day_of_week == "1" and task.crontab.hour == "8"


def test_a_demo_like_competition(db, settings):
    """The demo's 35 departments: each demo liaison's summary says its league row."""
    from demo.loader import COMPETITION_NAME, build_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_demo(today=MONDAY)
    competition = Competition.objects.get(name=COMPETITION_NAME)
    league, _stored = league_to_show(competition, as_of=SUNDAY)
    rows = {row.department_name: row for row in league.rows}
    told = Notification.objects.filter(kind=WEEKLY).select_related("recipient__person")
    assert told.count() == 5  # 商务局, 发改委, 经信委, 财政局 and 统计局 (one liaison)
    for notification in told:
        name = notification.title.split("：")[1].split("第")[0]
        row = rows[name]
        assert f"第{row.rank}名" in notification.title
        assert f"全部{len(league.rows)}个部门中第{row.rank}名" in notification.body
        score = charts.percent(row.score) if row.scored else "—"
        assert f"（时序进度完成率）：{score}；" in notification.body
    # Every demo login has something unread.
    for username in ("office1", "leader1", "liaison_sw", "liaison_cztj", "staff_sw"):
        assert Notification.objects.filter(recipient__username=username, read_at=None).exists()


# The bulletin ---------------------------------------------------------------------------------
@pytest.fixture
def bulletin(competition):
    return Report.objects.create(
        competition=competition, kind=Report.Kind.BULLETIN, as_of=SUNDAY, issue_number=9
    )


def test_a_built_bulletin_tells_readers_and_liaisons_once(
    bulletin, monkeypatch, office, leader, liaison, other_liaison, staff_member
):
    monkeypatch.setattr(service, "render_report", lambda report: b"%PDF-1.4\n%%EOF\n")
    assert service.run_report(bulletin.pk) == Report.Status.DONE
    told = {
        n.recipient.username: n
        for n in Notification.objects.filter(kind=Notification.Kind.BULLETIN_PUBLISHED)
    }
    assert set(told) == {"office", "leader", "liaison_commerce", "liaison_finance"}
    assert told["leader"].title == "百日竞赛简报第9期已发布（统计至2026-05-03）"
    assert told["office"].url == told["leader"].url == reverse("reports")
    # Liaisons may not open the reports page (403): theirs is the league of that date.
    league = f"{reverse('league')}?competition={bulletin.competition_id}&as_of=2026-05-03"
    assert told["liaison_commerce"].url == league

    assert service.rebuild_report(bulletin)
    service.run_report(bulletin.pk)
    assert Notification.objects.filter(kind=Notification.Kind.BULLETIN_PUBLISHED).count() == 4


def test_a_failed_bulletin_tells_nobody(bulletin, monkeypatch, office):
    def fail(report):
        raise service.ReportError("坏了")

    monkeypatch.setattr(service, "render_report", fail)
    assert service.run_report(bulletin.pk) == Report.Status.FAILED
    assert not Notification.objects.exists()


def test_every_link_opens_for_its_recipient(
    client, bulletin, monkeypatch, office, leader, liaison, records
):
    monkeypatch.setattr(service, "render_report", lambda report: b"%PDF-1.4\n%%EOF\n")
    service.run_report(bulletin.pk)
    send_weekly_summaries(today=MONDAY)
    for notification in Notification.objects.select_related("recipient"):
        client.force_login(notification.recipient)
        assert client.get(notification.url).status_code == 200, notification.url
