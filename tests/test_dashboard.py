"""The leaders' dashboard: who may see it, the speech's figures, the charts, constant queries."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from competition.league.snapshots import recompute_snapshots
from competition.models import Competition, Quota, Snapshot
from departments.models import Department
from projects.models import Industry, Stage
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

URL = reverse("dashboard")


@pytest.fixture(autouse=True)
def _today(time_machine):
    """The 61st day of the 百日竞赛 below (1 March + 60 days)."""
    time_machine.move_to(datetime(2026, 4, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def competition(commerce, finance):
    competition = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 3, 1), end_date=date(2026, 6, 8)
    )
    for department, batches in ((commerce, 2), (finance, 20)):
        Quota.objects.create(
            competition=competition,
            department=department,
            visit_batches=batches,
            intent_projects=1,
            signed_projects=1,
            funded_projects=1,
            funds_amount=Decimal(100),
            groundbreaking_projects=1,
        )
    return competition


@pytest.fixture
def records(commerce, finance, competition):
    """City-wide inside the window: 3 batches of 12 persons, 2 intent, 1 signed, 1 funded
    (500.5万元), 1 groundbreaking. 商务局 has everything; 财政局 one intent and one visit
    (a yellow card, no result, 行动不力 and 进展不快)."""
    make_visit(commerce, date(2026, 2, 1), persons=2)  # before the window
    make_visit(commerce, date(2026, 3, 10), persons=3)
    make_visit(commerce, date(2026, 4, 1), persons=5)
    make_visit(finance, date(2026, 4, 2), persons=4)

    p1 = make_project(
        commerce,
        "P001",
        name="新能源电池",
        industry=Industry.INDUSTRIAL,
        planned_investment=Decimal(8000),
        is_high_tech=True,
    )
    make_milestone(p1, Stage.INTENT, date(2026, 3, 5))
    make_milestone(p1, Stage.SIGNED, date(2026, 3, 20))
    make_receipt(p1, date(2026, 4, 1), amount="500.5")
    make_milestone(p1, Stage.GROUNDBREAKING, date(2026, 4, 10))

    p2 = make_project(finance, "P002", name="物流园", industry=Industry.SERVICES)
    make_milestone(p2, Stage.INTENT, date(2026, 3, 15))
    return {"p1": p1, "p2": p2}


def _page(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def _headline(page):
    return re.search(r'<p class="headline" id="headline">(.*?)</p>', page, re.S).group(1)


# --- who may see it -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["leader", "office"])
@pytest.mark.django_db
def test_leaders_and_office_see_the_dashboard(client, request, persona, records):
    user = request.getfixturevalue(persona)
    page = _page(client, user)
    assert "竞赛看板" in page
    assert f'href="{URL}" aria-current="page"' in page


@pytest.mark.parametrize("persona", ["liaison", "staff_member"])
@pytest.mark.django_db
def test_liaisons_and_staff_are_refused(client, request, persona, competition):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == 403
    assert f'href="{URL}"' not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={URL}"


# --- what it shows ------------------------------------------------------------------------


@pytest.mark.django_db
def test_headline_in_the_speech_form(client, leader, records):
    page = _page(client, leader)
    assert _headline(page) == (
        "截至4月30日，百日竞赛已进行第61天（共100天，时间进度61%），"
        "市直各部门共邀请接待客商3批次12名，新开工建设项目1个，"
        "有资金到账的签约项目1个，签订意向项目2个，到账资金500.50万元。"
    )


@pytest.mark.django_db
def test_the_visits_note_says_what_is_counted(client, leader, records):
    """4 visits are recorded, 3 count (one is before the window): the dashboard says which
    it counts and that the visits list shows every record (issue 19)."""
    note = re.search(r'<p class="muted small" id="visits-note">(.*?)</p>', _page(client, leader))
    assert note.group(1) == (
        "接待3批次12名，只计参赛部门在竞赛期间（2026-03-01至2026-04-30）计入成绩的接待；"
        "“客商接待”页列出全部接待记录（不论日期），所以那里的数字可能更大。"
    )
    client.force_login(leader)
    visits = client.get(reverse("projects:visit_list")).content.decode()
    assert "这里的 4 批次 14 名是列出的全部接待记录（按筛选条件，不论日期）" in visits


@pytest.mark.django_db
def test_cards_lists_and_charts(client, office, records):
    page = _page(client, office)
    assert 'class="chart chart-time"' in page
    assert "第61天，共100天，时间进度61.0%" in page
    # Yellow card and zero result: 财政局 (1 batch of a pace of 12.2; nothing signed).
    yellow = page[page.index('id="yellow-cards"') : page.index('id="zero-results"')]
    assert "黄牌警告：1个部门" in yellow and "财政局" in yellow and "商务局" not in yellow
    zero = page[page.index('id="zero-results"') : page.index('id="diagnostics"')]
    assert "无实绩：1个部门" in zero and "财政局" in zero
    # 三有三不: 财政局 acts too little (1 batch of 20) and its intent is not signed; 商务局
    # is clean; 财政局's one services project is not enough.
    weak = page[page.index('id="weak-action"') : page.index('id="slow-progress"')]
    assert "1个部门" in weak and "财政局" in weak and "商务局" not in weak
    assert '<td class="num">1</td><td class="num">20</td><td class="num">8.2%</td>' in weak
    slow = page[page.index('id="slow-progress"') : page.index('id="few-projects"')]
    assert "财政局" in slow and "商务局" not in slow
    few = page[page.index('id="few-projects"') : page.index('id="score-chart"')]
    assert "0个部门" in few  # one project each: the median is 1, nobody has fewer
    # Three more leads of 商务局: the median is 2.5, and 财政局's one project is not half.
    for code in ("L1", "L2", "L3"):
        make_project(records["p1"].department, code, industry=Industry.INDUSTRIAL)
    page = _page(client, office)
    few = page[page.index('id="few-projects"') : page.index('id="score-chart"')]
    assert "财政局" in few and "商务局" not in few
    assert "大项目少" in few and "工业项目少" in few and "高科技项目少" in few
    assert "1个部门未发现“三有三不”问题。" in page
    # Charts: one bar per department, five progress panels, no script.
    assert page.count('class="bar') == 2
    assert page.count('class="chart chart-progress"') == 5
    assert "<script" not in page


@pytest.mark.django_db
def test_figures_equal_the_league(client, leader, records, competition):
    from competition.scoring import compute_league

    totals = compute_league(competition, as_of=date(2026, 4, 30)).totals
    page = _page(client, leader)
    for metric in ("visit_batches", "visitors", "intent_projects", "groundbreaking_projects"):
        assert f'<span class="figure-value">{int(totals[metric])}</span>' in page


@pytest.mark.django_db
def test_past_date_and_chosen_competition(client, leader, records, competition):
    other = Competition.objects.create(
        name="2025年度", start_date=date(2025, 1, 1), end_date=date(2025, 12, 31), is_active=False
    )
    page = _page(client, leader, competition=competition.pk, as_of="2026-03-31")
    assert _headline(page).startswith("截至3月31日，百日竞赛已进行第31天（共100天，时间进度31%）")
    assert "共邀请接待客商1批次3名" in _headline(page)

    page = _page(client, leader, competition=other.pk)
    assert "截至12月31日，2025年度已进行第365天（共365天，时间进度100%）" in page
    assert "没有参赛部门" in page


@pytest.mark.django_db
def test_before_the_window_starts(client, leader, competition, time_machine):
    time_machine.move_to(datetime(2026, 2, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    page = _page(client, leader)
    assert "百日竞赛将于2026-03-01开始（共100天）" in page
    assert 'id="headline"' not in page


@pytest.mark.django_db
def test_a_date_before_the_window_shows_its_first_day_and_says_so(
    client, leader, records, competition
):
    page = _page(client, leader, competition=competition.pk, as_of="2026-02-01")
    assert "已按 2026-03-01 显示" in page
    assert _headline(page).startswith("截至3月1日，百日竞赛已进行第1天")


@pytest.mark.django_db
def test_without_a_competition(client, leader):
    page = _page(client, leader)
    assert "目前没有进行中的竞赛。" in page


@pytest.mark.django_db
def test_bad_parameters_fall_back_to_the_defaults(client, leader, records):
    page = _page(client, leader, competition="999", as_of="30/04/2026")
    assert "截至4月30日，百日竞赛已进行第61天" in page
    assert 'class="errorlist"' in page


@pytest.mark.django_db
def test_department_names_are_escaped(client, leader, competition):
    hostile = Department.objects.create(name="<b>&局", order=9)
    Quota.objects.create(competition=competition, department=hostile, signed_projects=1)
    page = _page(client, leader)
    assert "<b>&局" not in page
    assert "&lt;b&gt;&amp;局" in page


# --- constant queries ---------------------------------------------------------------------


def _more_records(competition, n):
    """n more participating departments, each with projects at every stage and visits."""
    for i in range(n):
        department = Department.objects.create(name=f"部门{i}", order=10 + i)
        Quota.objects.create(
            competition=competition, department=department, visit_batches=5, signed_projects=1
        )
        for j in range(3):
            project = make_project(
                department, f"X{i}-{j}", industry=Industry.SERVICES, is_high_tech=j == 0
            )
            make_milestone(project, Stage.INTENT, date(2026, 3, 6))
            make_milestone(project, Stage.SIGNED, date(2026, 3, 7), status="pending")
            make_receipt(project, date(2026, 3, 8), amount="10")
            make_visit(department, date(2026, 3, 9 + j), persons=2)


# session, user joined to person + liaison_for (roles: 1), the competition (active_competition, or
# the form's lookup of the chosen one), the snapshot's version, the projects' version
# (last edit, count), the form's competition choices, the header's unread notifications
# count: 7 when the body of that version is cached (no snapshot row is read); drawing it
# adds the snapshot rows joined to their departments, the project mix, progress (targets,
# visits by date, stage figures by date: 3) and the funnel's visits that led to a
# project (1).
EXPECTED_CACHED = 7
EXPECTED_STORED = EXPECTED_CACHED + 6


@pytest.mark.parametrize("more", [0, 12])
@pytest.mark.django_db
def test_constant_queries_for_few_and_many_records(
    client, leader, records, competition, django_assert_num_queries, more
):
    _more_records(competition, more)
    recompute_snapshots(competition, as_of=date(2026, 4, 30))
    client.force_login(leader)
    with django_assert_num_queries(EXPECTED_STORED):
        page = client.get(URL).content.decode()
    assert page.count('class="bar') == 2 + more
    with django_assert_num_queries(EXPECTED_CACHED):
        assert client.get(URL).content.decode().count('class="bar') == 2 + more


@pytest.mark.parametrize("more", [0, 12])
@pytest.mark.django_db
def test_constant_queries_with_parameters(
    client, office, records, competition, django_assert_num_queries, more
):
    _more_records(competition, more)
    recompute_snapshots(competition, as_of=date(2026, 4, 15))
    client.force_login(office)
    params = {"competition": competition.pk, "as_of": "2026-04-15"}
    client.get(URL, params)
    # The chosen competition is looked up by the form instead of active_competition.
    with django_assert_num_queries(EXPECTED_CACHED):
        client.get(URL, params)


# As EXPECTED_STORED, but the version finds no snapshot, so no rows are read and no
# projects' version (a live league is never cached), plus compute_league's: quotas with
# their departments, weights, visits by department, stage figures by department (4).
EXPECTED_LIVE = EXPECTED_STORED - 2 + 4


@pytest.mark.parametrize("more", [0, 12])
@pytest.mark.django_db
def test_constant_queries_without_a_snapshot(
    client, leader, records, competition, django_assert_num_queries, more
):
    _more_records(competition, more)
    client.force_login(leader)
    client.get(URL)
    with django_assert_num_queries(EXPECTED_LIVE):
        client.get(URL)


# --- stored or live, never written ----------------------------------------------------------


def _body(page: str) -> str:
    """Below the dashboard's own form, to the end of the page's section."""
    form = page.index('class="filter-form dashboard-params"')
    return page[page.index("</form>", form) : page.rindex("</section>")]


@pytest.mark.django_db
def test_a_date_without_a_snapshot_is_computed_live_and_nothing_is_stored(
    client, leader, records, competition
):
    live = _page(client, leader)
    assert not Snapshot.objects.exists()
    assert "黄牌警告：1个部门" in live and "到账资金500.50万元" in _headline(live)
    recompute_snapshots(competition, as_of=date(2026, 4, 30))
    assert _body(_page(client, leader)) == _body(live)  # the stored one says the same


@pytest.mark.django_db
def test_a_future_date_shows_today_says_so_and_stores_nothing(client, leader, records, competition):
    page = _page(client, leader, competition=competition.pk, as_of="2026-05-20")
    assert "统计日期 2026-05-20 不在可统计的范围内" in page and "已按 2026-04-30 显示" in page
    assert "截至4月30日" in page
    assert 'value="2026-04-30"' in page  # the date field shows the date of the figures
    assert not Snapshot.objects.exists()


@pytest.mark.django_db
def test_the_stored_snapshot_is_shown_with_a_notice_until_the_recompute(
    client, leader, records, competition, finance
):
    recompute_snapshots(competition, as_of=date(2026, 4, 30))
    make_visit(finance, date(2026, 4, 20), persons=6)
    Competition.objects.filter(pk=competition.pk).update(stale_from=date(2026, 4, 20))
    stale = _page(client, leader)
    assert "共邀请接待客商3批次12名" in _headline(stale) and "有新的记录变动" in stale
    recompute_snapshots(competition, as_of=date(2026, 4, 30))
    Competition.objects.filter(pk=competition.pk).update(stale_from=None)
    fresh = _page(client, leader)
    assert "共邀请接待客商4批次18名" in _headline(fresh) and "有新的记录变动" not in fresh


@pytest.mark.django_db
def test_a_new_project_without_records_shows_at_once(
    client, leader, office, records, competition, finance, django_capture_on_commit_callbacks
):
    """A new project changes no snapshot, yet changes 有项目，项目不多: the service that
    saves it gives its department a new records version, which the body's key names."""
    from projects import services
    from projects.models import Project

    recompute_snapshots(competition, as_of=date(2026, 4, 30))

    def few_projects(page):
        return page[page.index('id="few-projects"') : page.index('id="score-chart"')]

    assert "财政局" not in few_projects(_page(client, leader))
    for code in ("L1", "L2", "L3"):  # 4 projects to 1: 财政局 has less than half the median
        project = Project(
            code=code,
            name=f"项目{code}",
            investor="某投资方",
            department=records["p1"].department,
            industry=Industry.SERVICES,
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.create_project(project, by=office, today=date(2026, 4, 30))
    assert "财政局" in few_projects(_page(client, leader))


@pytest.mark.django_db
def test_a_write_that_changes_no_figure_is_shown_after_its_recompute(
    client, leader, records, competition
):
    """Linking a visit to a project changes no figure of the league, so the recompute
    keeps the snapshot's rows and version; the funnel's visits that led to a project still
    show it (the body's key names the competition's writes, not only the version)."""
    from competition.league.recompute import mark_stale
    from competition.league.stored import stored_versions
    from projects.models import Visit

    today = date(2026, 4, 30)
    recompute_snapshots(competition, as_of=today)
    before = _page(client, leader)
    visit = Visit.objects.filter(project__isnull=True, occurred_on__gte=date(2026, 3, 1)).first()
    version = stored_versions(competition, dates=[today])
    Visit.objects.filter(pk=visit.pk).update(project=records["p1"])  # as the service writes
    mark_stale(on=visit.occurred_on, department_ids=[visit.department_id])  # and marks
    recompute_snapshots(competition, as_of=today)
    Competition.objects.filter(pk=competition.pk).update(stale_from=None)  # caught up
    assert stored_versions(competition, dates=[today]) == version
    after = _page(client, leader)
    assert "有新的记录变动" not in after
    assert _body(after) != _body(before)


@pytest.mark.django_db
def test_a_renamed_department_shows_its_new_name_at_once(
    client, leader, records, competition, finance
):
    recompute_snapshots(competition, as_of=date(2026, 4, 30))
    finance.name = "财政和国资局"
    finance.save()
    assert Snapshot.objects.get(department=finance).department_name == "财政局"
    yellow = _page(client, leader)
    yellow = yellow[yellow.index('id="yellow-cards"') : yellow.index('id="zero-results"')]
    assert "财政和国资局" in yellow and "财政局" not in yellow


@pytest.mark.django_db
def test_the_body_is_drawn_again_when_a_project_changes_or_a_recompute_stores(
    client, leader, records, competition
):
    """Cached on the snapshot's version and the projects' version: a new project (which
    announces nothing) changes the project mix at once; a recompute changes the rest."""
    recompute_snapshots(competition, as_of=date(2026, 4, 30))
    client.force_login(leader)
    before = client.get(URL).content.decode()
    project = make_project(records["p1"].department, "NEW1", industry=Industry.SERVICES)
    after = client.get(URL).content.decode()
    assert before != after
    project.delete()


@pytest.mark.django_db
def test_the_body_is_drawn_once_for_every_web_process(
    client, leader, records, competition, monkeypatch
):
    """Kept on the "shared" cache (Redis in production): a second process, whose own
    "pages" cache is empty, reads the body the first one drew."""
    from django.core.cache import caches

    from competition.views import dashboard

    drawn = []
    body_context = dashboard._body_context
    monkeypatch.setattr(
        dashboard, "_body_context", lambda league: drawn.append(1) or body_context(league)
    )
    recompute_snapshots(competition, as_of=date(2026, 4, 30))
    first = _page(client, leader)
    caches["pages"].clear()  # another process: nothing of its own kept yet
    again = _page(client, leader)
    assert len(drawn) == 1 and _body(again) == _body(first)
