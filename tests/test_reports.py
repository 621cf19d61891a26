"""Report jobs: issue numbers, status transitions, files, the weekly schedule, query counts.

The PDF itself is rendered in test_reports_pdf.py; here a fake renderer stands in so that
the job's rules are tested quickly.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from competition import tasks
from competition.models import Competition, Quota, Report
from competition.reports import content, service
from competition.tasks import build_report, weekly_bulletins
from departments.models import Department
from projects.models import Industry, Stage
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

AS_OF = date(2026, 1, 20)
OFFICE_NAME = "大丰市招商引资百日竞赛活动办公室"


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-01-20 10:00 +08:00")


def build_city(commerce, finance):
    """百日竞赛 on day 20 of 100: 商务局 ahead, 财政局 behind (yellow card), 统计局 with
    nothing at all (yellow card and zero result).

    City-wide: 3 visit batches of 9 persons; intent 3 (P1, P2, and P3 signed without a
    recorded intent), signed 2, funded 1 (3000万元), groundbreaking 1.
    """
    statistics = Department.objects.create(name="统计局", group=finance.group, order=3)
    commerce.head = "王局长"
    commerce.save()
    comp = Competition.objects.create(
        name="百日竞赛",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 4, 10),
        issuing_office=OFFICE_NAME,
    )
    for department in (commerce, finance, statistics):
        Quota.objects.create(
            competition=comp,
            department=department,
            visit_batches=10,
            intent_projects=5,
            signed_projects=3,
            funded_projects=2,
            funds_amount=5000,
            groundbreaking_projects=1,
        )
    make_visit(commerce, date(2026, 1, 4), persons=3, host="王局长", purpose="考察风电装备")
    make_visit(commerce, date(2026, 1, 9), persons=2)
    make_visit(finance, date(2026, 1, 11), persons=4)

    wind = make_project(
        commerce,
        "P1",
        name="风电装备制造项目",
        responsible_person="张三",
        industry=Industry.INDUSTRIAL,
        is_high_tech=True,
        planned_investment=8000,
        registered_capital=3000,
        zone="经济开发区",
    )
    make_milestone(wind, Stage.INTENT, date(2026, 1, 3))
    make_milestone(wind, Stage.SIGNED, date(2026, 1, 5))
    make_receipt(wind, date(2026, 1, 6), "3000")
    make_milestone(wind, Stage.GROUNDBREAKING, date(2026, 1, 10))

    mall = make_project(
        commerce,
        "P2",
        name="商贸物流园项目",
        responsible_person="李四",
        industry=Industry.SERVICES,
        planned_investment=6000,
    )
    make_milestone(mall, Stage.INTENT, date(2026, 1, 8))

    bank = make_project(finance, "P3", name="金融服务中心项目", responsible_person="赵六")
    make_milestone(bank, Stage.SIGNED, date(2026, 1, 12))

    make_project(
        commerce,
        "P4",
        name="光伏组件项目",
        responsible_person="钱七",
        lost_on=date(2026, 1, 15),
        lost_reason="投资方转投外地",
    )
    return comp


@pytest.fixture
def city(commerce, finance):
    return build_city(commerce, finance)


@pytest.fixture
def fake_pdf(monkeypatch):
    """Replace WeasyPrint: every render returns the next of b"%PDF-fake 1", "…2", …"""
    renders = []

    def render(report):
        renders.append(report.pk)
        return f"%PDF-fake {len(renders)}".encode()

    monkeypatch.setattr(service, "render_report", render)
    return renders


def bulletin(comp, **kw):
    return service.request_report(comp, kind=Report.Kind.BULLETIN, as_of=AS_OF, **kw)


def read(report) -> bytes:
    report.refresh_from_db()
    with report.file.open("rb") as f:
        return f.read()


# ---- numbering ------------------------------------------------------------------------


def test_bulletins_are_numbered_per_competition_from_one(city, office):
    first = bulletin(city, user=office)
    second = service.request_report(city, kind="bulletin", as_of=AS_OF - timedelta(days=7))
    pack = service.request_report(city, kind=Report.Kind.PACK, as_of=AS_OF)
    third = service.request_report(city, kind="bulletin", as_of=AS_OF - timedelta(days=1))
    other = Competition.objects.create(
        name="全年任务", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    # The sequence of publication, whatever the dates: no gaps, no repeats.
    assert [first.issue_number, second.issue_number, third.issue_number] == [1, 2, 3]
    assert pack.issue_number is None
    assert bulletin(other).issue_number == 1
    assert first.status == Report.Status.QUEUED and first.requested_by == office


def test_a_date_that_has_an_issue_keeps_its_number(city, fake_pdf):
    """Asking again for the bulletin of a date rebuilds that issue, it is no new issue."""
    first = bulletin(city)
    service.run_report(first.pk)
    again = service.request_build(city, kind="bulletin", as_of=AS_OF)
    assert again.build and again.report.pk == first.pk and again.report.issue_number == 1
    assert again.report.status == Report.Status.QUEUED
    # While it is queued or rendering it is left to finish: nothing to queue twice.
    waiting = service.request_build(city, kind="bulletin", as_of=AS_OF)
    assert not waiting.build and waiting.report.pk == first.pk
    assert Report.objects.filter(kind="bulletin").count() == 1
    # A new date is the next issue; packs are never numbered and never reused.
    assert (
        service.request_report(city, kind="bulletin", as_of=AS_OF - timedelta(1)).issue_number == 2
    )
    packs = [service.request_report(city, kind="pack", as_of=AS_OF) for _ in range(2)]
    assert packs[0].pk != packs[1].pk


def test_the_office_corrects_an_issue_number_before_printing(city, fake_pdf):
    first = bulletin(city)
    service.run_report(first.pk)
    second = service.request_report(city, kind="bulletin", as_of=AS_OF - timedelta(days=7))
    service.run_report(second.pk)

    # The office's paper series already had twelve issues: this one is 第13期.
    assert service.renumber_bulletin(first, issue_number=13)
    first.refresh_from_db()
    assert first.issue_number == 13 and first.status == Report.Status.QUEUED  # to reprint
    assert not service.renumber_bulletin(first, issue_number=13)  # nothing to change
    with pytest.raises(service.ReportError, match="第2期已是2026-01-13的简报"):
        service.renumber_bulletin(first, issue_number=2)
    with pytest.raises(service.ReportError, match="正整数"):
        service.renumber_bulletin(first, issue_number=0)
    # Queued again (or rendering): the running build would print the old number.
    with pytest.raises(service.ReportError, match="正在生成"):
        service.renumber_bulletin(first, issue_number=14)
    pack = service.request_report(city, kind="pack", as_of=AS_OF)
    with pytest.raises(service.ReportError, match="只有简报"):
        service.renumber_bulletin(pack, issue_number=5)
    # The next new date continues from the highest number.
    later = service.request_report(city, kind="bulletin", as_of=AS_OF - timedelta(days=1))
    assert later.issue_number == 14


def test_an_issue_number_cannot_be_given_twice(city):
    bulletin(city)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(competition=city, kind="bulletin", as_of=AS_OF, issue_number=1)


def test_numbering_retries_when_the_number_was_taken_meanwhile(city, monkeypatch):
    """Without row locks (SQLite) a concurrent request can take the number between our
    read and our insert: the unique constraint refuses ours and the request is retried."""
    earlier = AS_OF - timedelta(days=7)
    Report.objects.create(competition=city, kind="bulletin", as_of=earlier, issue_number=1)
    real_create = service._create
    attempts = []

    def stale_create(competition, **kw):
        attempts.append(1)
        if len(attempts) == 1:  # numbered from a read made before the other insert
            Report.objects.create(
                competition=competition, kind="bulletin", as_of=earlier, issue_number=1
            )
        return real_create(competition, **kw)

    monkeypatch.setattr(service, "_create", stale_create)
    assert bulletin(city).issue_number == 2
    assert len(attempts) == 2
    numbers = Report.objects.filter(competition=city).values_list("issue_number", flat=True)
    assert sorted(numbers) == [1, 2]


def test_rebuilding_an_issue_keeps_its_number_and_replaces_its_file(
    city, fake_pdf, django_capture_on_commit_callbacks
):
    report = bulletin(city)
    service.run_report(report.pk)
    assert read(report) == b"%PDF-fake 1"
    old_name = report.file.name

    with transaction.atomic():
        assert service.rebuild_report(report)
    report.refresh_from_db()
    assert report.status == Report.Status.QUEUED and report.issue_number == 1
    with django_capture_on_commit_callbacks(execute=True):  # the old file goes after commit
        service.run_report(report.pk)

    assert read(report) == b"%PDF-fake 2"
    assert report.status == Report.Status.DONE and report.issue_number == 1
    assert report.file.name != old_name and report.file.name.startswith("reports/")
    assert not default_storage.exists(old_name)
    # No gap and no repeat: the next date is the second issue, the same date the first.
    assert bulletin(city).issue_number == 1
    assert (
        service.request_report(city, kind="bulletin", as_of=AS_OF - timedelta(1)).issue_number == 2
    )


# ---- the job's status -----------------------------------------------------------------


def test_the_task_renders_and_stores_the_file(city, fake_pdf):
    report = bulletin(city)
    assert build_report.delay(str(report.pk)).get() == "done"
    report.refresh_from_db()
    assert report.status == Report.Status.DONE and report.error == ""
    assert report.started_at is not None and report.finished_at >= report.started_at
    assert read(report) == b"%PDF-fake 1"


def test_a_request_queues_the_task_after_commit(city, fake_pdf, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = service.request_report(city, kind=Report.Kind.PACK, as_of=AS_OF)
        tasks.build_after_commit([report.pk])
    report.refresh_from_db()
    assert report.status == Report.Status.QUEUED and not fake_pdf  # nothing before commit
    for callback in callbacks:
        callback()
    report.refresh_from_db()
    assert report.status == Report.Status.DONE and fake_pdf == [report.pk]


def test_a_rendering_error_fails_the_job_with_the_reason(city, monkeypatch):
    def broken(report):
        raise ValueError("模板缺少字段")

    monkeypatch.setattr(service, "render_report", broken)
    report = bulletin(city)
    assert build_report.delay(str(report.pk)).get() == "failed"
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert "模板缺少字段" in report.error and "ValueError" in report.error
    assert not report.file and report.finished_at is not None


def test_an_expected_failure_shows_its_own_message(city, monkeypatch):
    def refuse(report):
        raise service.ReportError("该竞赛没有参赛部门。")

    monkeypatch.setattr(service, "render_report", refuse)
    report = bulletin(city)
    service.run_report(report.pk)
    report.refresh_from_db()
    assert report.error == "该竞赛没有参赛部门。"


def test_a_broker_that_cannot_be_reached_fails_the_job_with_the_reason(
    city, monkeypatch, django_capture_on_commit_callbacks
):
    def unreachable(*args, **kwargs):
        raise OSError("Connection refused")

    monkeypatch.setattr(build_report, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        report = service.request_report(city, kind=Report.Kind.BULLETIN, as_of=AS_OF)
        tasks.build_after_commit([report.pk])
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED and "任务队列" in report.error
    assert service.can_rebuild(report)


def test_a_task_delivered_again_after_a_killed_worker_renders_again(city, fake_pdf):
    report = bulletin(city)
    # The first worker claimed the job and died mid-render: the row says "rendering".
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RENDERING)
    assert service.run_report(report.pk) == "done"
    assert read(report) == b"%PDF-fake 1"


def test_a_duplicate_delivery_of_a_finished_job_does_nothing(city, fake_pdf):
    report = bulletin(city)
    service.run_report(report.pk)
    name = Report.objects.get(pk=report.pk).file.name
    assert service.run_report(report.pk) == "done"
    assert fake_pdf == [report.pk] and Report.objects.get(pk=report.pk).file.name == name


def test_a_job_rebuilt_while_rendering_keeps_nobodys_file(city, fake_pdf, monkeypatch):
    """If the row left "rendering" while we rendered, our file is dropped, not attached."""
    report = bulletin(city)

    def render_then_lose_the_row(r):
        Report.objects.filter(pk=r.pk).update(status=Report.Status.FAILED, error="x")
        return b"%PDF-late"

    monkeypatch.setattr(service, "render_report", render_then_lose_the_row)
    service.run_report(report.pk)
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED and not report.file
    assert default_storage.listdir("reports")[1] == []


def test_rebuild_is_refused_while_a_job_is_queued_or_rendering(city, time_machine):
    report = bulletin(city)
    assert not service.can_rebuild(report) and not service.rebuild_report(report)
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.RENDERING, started_at=report.created_at
    )
    report.refresh_from_db()
    assert not service.can_rebuild(report) and not service.rebuild_report(report)
    # Still "rendering" long after any worker's time limit: the worker is gone for good.
    time_machine.shift(service.STUCK_AFTER + timedelta(minutes=1))
    assert service.can_rebuild(report) and service.rebuild_report(report)
    report.refresh_from_db()
    assert report.status == Report.Status.QUEUED and report.started_at is None


def test_a_job_whose_task_was_lost_can_be_rebuilt_once_stuck(city, time_machine):
    report = bulletin(city)  # queued; its task never reaches a worker
    time_machine.shift(service.STUCK_AFTER - timedelta(minutes=1))
    assert not service.rebuild_report(report)
    time_machine.shift(timedelta(minutes=2))
    report.refresh_from_db()
    assert service.can_rebuild(report) and service.rebuild_report(report)
    report.refresh_from_db()
    # The request time is the rebuild's: stuck again only STUCK_AFTER from now.
    assert not service.can_rebuild(report) and report.issue_number == 1


def test_download_name_says_what_it_is(city):
    assert service.download_name(bulletin(city)) == "百日竞赛简报第1期（2026-01-20）.pdf"


# ---- the weekly schedule --------------------------------------------------------------


def test_the_weekly_schedule_is_stored_for_celery_beat(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="competition.tasks.weekly_bulletins")
    assert task.enabled and task.crontab.day_of_week == "1"


def test_the_weekly_run_builds_one_bulletin_per_active_competition(
    city, fake_pdf, django_capture_on_commit_callbacks
):
    Competition.objects.create(  # not started yet
        name="下一轮", start_date=date(2026, 5, 1), end_date=date(2026, 8, 8)
    )
    Competition.objects.create(  # inactive
        name="停用", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10), is_active=False
    )
    Competition.objects.create(  # ended more than a week ago
        name="去年", start_date=date(2025, 9, 1), end_date=date(2025, 12, 9)
    )
    just_ended = Competition.objects.create(  # ended last week: its final bulletin
        name="刚结束", start_date=date(2025, 10, 1), end_date=date(2026, 1, 15)
    )

    with django_capture_on_commit_callbacks(execute=True):  # the builds run after commit
        ids = weekly_bulletins.delay().get()
    reports = Report.objects.filter(pk__in=ids).order_by("competition__name")
    assert {r.competition for r in reports} == {city, just_ended}
    assert all(r.as_of == AS_OF - timedelta(days=1) for r in reports)
    assert all(r.issue_number == 1 and r.requested_by is None for r in reports)
    assert sorted(map(str, fake_pdf)) == sorted(ids)
    assert all(r.status == Report.Status.DONE for r in reports)

    # Delivered twice (beat restarted): nothing new, and nothing built again.
    with django_capture_on_commit_callbacks(execute=True):
        assert sorted(weekly_bulletins.delay().get()) == sorted(ids)
    assert Report.objects.count() == 2 and len(fake_pdf) == 2


# ---- content: the same number of queries for any number of departments ---------------


def _add_departments(comp, n, start):
    for i in range(start, start + n):
        d = Department.objects.create(name=f"部门{i}", order=10 + i)
        Quota.objects.create(competition=comp, department=d, visit_batches=5, signed_projects=1)
        project = make_project(d, f"X{i}", responsible_person=f"责任人{i}")
        make_milestone(project, Stage.SIGNED, date(2026, 1, 2))
        make_visit(d, date(2026, 1, 3))


def test_pack_content_runs_a_fixed_number_of_queries(city):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            pack = content.pack_content(city, as_of=AS_OF)
        return len(captured), pack

    few, pack = queries()
    assert len(pack.pages) == 3
    _add_departments(city, 6, start=1)
    many, pack = queries()
    assert len(pack.pages) == 9
    # Earlier issues 1; the league as of the date and of the previous issue 4 (quotas,
    # weights, visits, milestone and receipt figures, read once for both dates);
    # departments with their groups 1, project mix 1, progress 3 (targets, visits by day,
    # stage figures by day), major and reward-eligible projects 2, stage dates 2, receipts
    # by project 1; 红黑榜 and 连续N期 6 (bulletin dates, cards open on the date with their
    # 整改, milestones, receipts and visits for 基础工作, notable results); then metric
    # weights, liaisons, projects, visits.
    assert few == many == 25


def names(lines):
    return [line.result.department_name for line in lines]


def test_bulletin_content_follows_the_league(city):
    b = content.bulletin_content(city, as_of=AS_OF)
    totals = b.totals
    assert (totals["visit_batches"], totals["visitors"]) == ("3", "9")
    assert (totals["intent_projects"], totals["signed_projects"]) == ("3", "2")
    assert (totals["funded_projects"], totals["funds_amount"]) == ("1", "3000")
    assert totals["groundbreaking_projects"] == "1"
    assert b.window.elapsed == 20 and b.time_share == "20.0%"
    assert names(b.lines) == ["商务局", "财政局", "统计局"]
    assert names(b.yellow_cards) == ["财政局", "统计局"]
    assert names(b.zero_results) == ["统计局"]
    assert [p.project.code for p in b.major_projects] == ["P1", "P2"]
    assert [p.project.code for p in b.reward_projects] == ["P1"]
    assert b.major_projects[0].stage == Stage.GROUNDBREAKING
    assert b.major_groundbreaking == 1
    assert b.lines[0].score == "145.0%"


def test_pack_pages_group_projects_by_stage_and_list_losses(city):
    pages = {p.result.department_name: p for p in content.pack_content(city, as_of=AS_OF).pages}
    commerce = pages["商务局"]
    assert [(g.label, [line.project.code for line in g.projects]) for g in commerce.stages] == [
        ("开工建设", ["P1"]),
        ("签订意向", ["P2"]),
    ]
    assert [line.project.lost_reason for line in commerce.lost] == ["投资方转投外地"]
    assert len(commerce.visits) == 2 and commerce.visitors == 5
    assert commerce.department.head == "王局长"
    assert pages["统计局"].diagnosis.weak_action is not None
    assert pages["财政局"].metrics[0].ratio == "50.0%" and pages["财政局"].metrics[0].low


# ---- the documents' HTML at the edges of the window -----------------------------------


@pytest.mark.parametrize("kind", ["bulletin", "pack"])
def test_before_the_window_opens_nothing_is_claimed(city, kind):
    from competition.reports.html import render_document

    html = render_document(
        city, kind=kind, as_of=date(2025, 12, 31), issue_number=1, issued_on=AS_OF
    )
    assert "百日竞赛将于2026年1月1日开始（共100天），尚无可统计的实绩。" in html
    assert 'id="charts"' not in html


def test_after_the_window_the_headline_says_it_is_over(city, time_machine):
    from competition.reports.html import render_document

    time_machine.move_to("2026-04-20 10:00 +08:00")
    html = render_document(
        city, kind="bulletin", as_of=date(2026, 4, 20), issue_number=9, issued_on=AS_OF
    )
    assert (
        "截至4月10日，百日竞赛已全部结束（共100天）。竞赛期间市直各部门共邀请接待客商3批次9名"
        in html
    )
    assert "第9期" in html


@pytest.mark.parametrize("kind", ["bulletin", "pack"])
def test_a_competition_without_departments_still_prints(db, kind):
    from competition.reports.html import render_document

    empty = Competition.objects.create(
        name="空竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10)
    )
    html = render_document(empty, kind=kind, as_of=AS_OF, issue_number=1, issued_on=AS_OF)
    assert "参赛部门0个" in html and "没有参赛部门" in html


def test_long_project_lists_print_the_largest_and_say_how_many_more(city, settings):
    """Thousands of major projects would fill a bulletin: the lists print the largest,
    the note says how many are left out, the summary's counts still cover all of them."""
    from competition.reports.html import render_document

    settings.REPORT_PROJECT_ROWS = 1
    html = render_document(city, kind="bulletin", as_of=AS_OF, issue_number=1, issued_on=AS_OF)
    major = html.split('id="major-projects"')[1].split("</table>")[0]
    assert "风电装备制造项目" in major and "商贸物流园项目" not in major
    assert "前1个，另有1个重大项目未列出" in html
    assert "重大项目2个" in html
    assert 'id="reward-omitted"' not in html  # one reward-eligible project: all printed

    settings.REPORT_PROJECT_ROWS = 100
    html = render_document(city, kind="bulletin", as_of=AS_OF, issue_number=1, issued_on=AS_OF)
    assert "商贸物流园项目" in html.split('id="major-projects"')[1].split("</table>")[0]
    assert 'id="major-omitted"' not in html


def test_the_pack_counts_major_projects_but_leaves_their_list_to_the_bulletin(city):
    """The pack refers to the bulletin's figures instead of repeating its pages."""
    from competition.reports.html import render_document

    html = render_document(city, kind="pack", as_of=AS_OF, issue_number=None, issued_on=AS_OF)
    assert "重大项目2个" in html
    assert 'id="major-projects"' not in html and 'id="diagnostics"' not in html
    assert 'id="charts"' not in html


# ---- content helpers -------------------------------------------------------------------


def test_headers_break_between_words_only():
    assert content.header_words("到账资金") == ["到账", "资金"]
    assert content.header_words("接待人数") == ["接待", "人数"]
    assert content.header_words("Funds received") == ["Funds", "received"]


def test_chinese_ordinals_for_department_headings():
    expected = {
        1: "一",
        10: "十",
        12: "十二",
        20: "二十",
        35: "三十五",
        100: "一百",
        105: "一百零五",
    }
    assert {n: content.chinese_number(n) for n in expected} == expected
    assert content.chinese_number(1000) == "1000"


def test_two_halves_read_down_the_left_then_the_right():
    assert content.side_by_side([1, 2, 3, 4, 5]) == [(1, 4), (2, 5), (3, None)]
    assert content.side_by_side(list(range(1, 7)), block=4) == [(1, 3), (2, 4), (5, 6)]
    assert content.side_by_side([]) == []


def test_copy_to_recipients_are_split_however_they_were_typed():
    text = "市委办公室、市政府办公室，市人大办公室\n市政协办公室; "
    assert content.recipients(text) == [
        "市委办公室",
        "市政府办公室",
        "市人大办公室",
        "市政协办公室",
    ]
    assert content.recipients("") == []


def _result(name, score, *, funds=0, signed=0, order=0):
    from fractions import Fraction

    from competition.scoring import DepartmentResult

    return DepartmentResult(
        department_id=order,
        department_name=name,
        group_id=None,
        group_name="",
        order=order,
        actuals={"funds_amount": Decimal(funds), "signed_projects": Decimal(signed)},
        targets={},
        ratios={},
        score=Decimal(score),
        exact_score=Fraction(Decimal(score)),
        scored=True,
        yellow_card=False,
        zero_result=False,
    )


def test_a_tie_note_names_the_tie_breaker_that_decided():
    rows = [
        _result("甲", "1.5", funds=300, order=3),
        _result("乙", "1.5", funds=200, order=1),
        _result("丙", "0.8", signed=2, order=4),
        _result("丁", "0.8", signed=1, order=2),
        _result("戊", "0.8", signed=1, order=5),
        _result("己", "0.5", order=6),
    ]
    assert content.tie_note(rows) == (
        "注：甲、乙得分同为150.0%，依到账资金排列；"
        "丙、丁、戊得分同为80.0%，依签约项目数、部门排序排列。"
    )
    assert content.tie_note(rows[-2:]) == ""  # 0.8 and 0.5: no tie


def test_scores_that_print_alike_but_differ_are_no_tie():
    rows = [_result("甲", "0.70004"), _result("乙", "0.70001")]
    assert content.tie_note(rows) == ""


def test_an_unscored_metric_shows_no_weight(city):
    """财政局 has no groundbreaking target... give it none, and visitors none."""
    Quota.objects.filter(department__name="财政局").update(groundbreaking_projects=0)
    pages = {p.result.department_name: p for p in content.pack_content(city, as_of=AS_OF).pages}
    metrics = {m.metric: m for m in pages["财政局"].metrics}
    assert (
        metrics["groundbreaking_projects"].weight,
        metrics["groundbreaking_projects"].ratio,
    ) == (
        "—",
        "—",
    )
    assert metrics["visitors"].weight == "—"  # reported, never scored
    assert metrics["signed_projects"].weight == "20"


def test_the_week_compares_with_the_previous_issue(city):
    b = content.bulletin_content(city, as_of=AS_OF)
    assert b.week.previous_issue is None and b.week.since == AS_OF - timedelta(days=7)
    changes = {line.metric: (line.total, line.change) for line in b.week.lines}
    # Nothing of the city happened after 1月13日: totals, and no change.
    assert changes["visit_batches"] == ("3", "0")
    assert changes["funds_amount"] == ("3000", "0")
    assert {change for _total, change in changes.values()} == {"0"}

    Report.objects.create(competition=city, kind="bulletin", as_of=date(2026, 1, 9), issue_number=1)
    b = content.bulletin_content(city, as_of=AS_OF)
    assert (b.week.previous_issue, b.week.since) == (1, date(2026, 1, 9))
    assert b.week.counted_from == date(2026, 1, 10)
    changes = {line.metric: line.change for line in b.week.lines}
    # After 1月9日: 财政局's visit (11日) and signing without an intent (12日, so an intent
    # too), 商务局's groundbreaking (10日); its funds came on 6日.
    assert changes == {
        "visit_batches": "+1",
        "visitors": "+4",
        "intent_projects": "+1",
        "signed_projects": "+1",
        "funded_projects": "0",
        "funds_amount": "0",
        "groundbreaking_projects": "+1",
    }


def test_top_and_bottom_three_never_overlap(city):
    b = content.bulletin_content(city, as_of=AS_OF)
    assert names(b.top) == ["商务局", "财政局", "统计局"] and b.bottom == []
    _add_departments(city, 4, start=1)
    b = content.bulletin_content(city, as_of=AS_OF)
    assert len(b.top) == 3 and len(b.bottom) == 3
    assert not set(names(b.top)) & set(names(b.bottom))
    assert names(b.bottom) == names(b.lines[-3:])


def test_groups_rank_within_themselves(city, groups):
    b = content.bulletin_content(city, as_of=AS_OF)
    assert [(g.name, names(g.lines)) for g in b.groups] == [
        ("综合经济部门", ["商务局", "财政局", "统计局"])
    ]
    assert [line.result.group_rank for line in b.groups[0].lines] == [1, 2, 3]
    assert b.yellow_cards[0].head == "" and b.lines[0].head == "王局长"
