"""The league table and the dashboard cached on the snapshot's version (competition.pagecache).

The clock is frozen: every recompute here gets the same computed_at, so these tests also
show that a recompute changes the version through its new row ids alone.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competition import pagecache
from competition.league.snapshots import recompute_snapshots
from competition.models import Competition, Quota, Snapshot
from competition.warm import warm_pages
from departments.models import Department
from projects.models import Industry, Stage
from tests.conftest import empty_caches, make_milestone, make_project, make_receipt, make_visit
from tests.test_i18n import _compiled_catalogue  # noqa: F401 (English pages need the .mo)

TODAY = date(2026, 1, 20)
AS_OF = "2026-01-10"


@pytest.fixture(autouse=True)
def _frozen_today(time_machine):
    time_machine.move_to(datetime(2026, 1, 20, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def comp(commerce, finance):
    """商务局 signs and receives funds; 财政局 has nothing (yellow card, no result)."""
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10)
    )
    for d in (commerce, finance):
        Quota.objects.create(
            competition=comp, department=d, visit_batches=10, signed_projects=2, funds_amount=1000
        )
    make_visit(commerce, date(2026, 1, 2), persons=2)
    p = make_project(commerce, "S1", name="风电装备项目", industry=Industry.INDUSTRIAL)
    make_milestone(p, Stage.SIGNED, date(2026, 1, 4))
    make_receipt(p, date(2026, 1, 5), "3250.5")
    return comp


def _get(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    response.queries = len(queries)
    return response


def _league(client, **params):
    return _get(client, "/league/", **({"competition": "", "as_of": AS_OF} | params))


def _dashboard(client, **params):
    return _get(client, "/dashboard/", **params)


def _table(response) -> str:
    html = response.content.decode()
    return html[html.index('<div class="table-container') : html.rindex("</section>")]


def _body(response) -> str:
    """Below the dashboard's own form, to the end of the page's section."""
    html = response.content.decode()
    form = html.index('class="filter-form dashboard-params"')
    return html[html.index("</form>", form) : html.rindex("</section>")]


def _names(response) -> list[str]:
    return re.findall(r'<a href="/league/\d+/\d+/\?as_of=[^"]+">([^<]+)</a>', _table(response))


def _signings_for_finance(finance):
    """Enough for 财政局 to overtake 商务局."""
    for code in ("F1", "F2"):
        make_milestone(make_project(finance, code), Stage.SIGNED, date(2026, 1, 8))
    make_visit(finance, date(2026, 1, 8), persons=1)
    make_visit(finance, date(2026, 1, 8), persons=1)
    make_receipt(make_project(finance, "F3"), date(2026, 1, 9), "5000")


# --- the version ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_version_is_one_query_and_changes_with_every_recompute(comp):
    as_of, week_before = date(2026, 1, 10), date(2026, 1, 3)
    with CaptureQueriesContext(connection) as queries:
        none = pagecache.snapshot_version(comp, as_of=as_of, compared_to=week_before)
    assert len(queries) == 1
    assert none.current is None and none.previous is None

    recompute_snapshots(comp, as_of=as_of)
    first = pagecache.snapshot_version(comp, as_of=as_of, compared_to=week_before)
    recompute_snapshots(comp, as_of=as_of)
    second = pagecache.snapshot_version(comp, as_of=as_of, compared_to=week_before)
    assert first.current[1] == second.current[1]  # same computed_at: the clock is frozen
    assert first.current != second.current and first.key() != second.key()
    assert second.previous is None

    recompute_snapshots(comp, as_of=week_before)
    third = pagecache.snapshot_version(comp, as_of=as_of, compared_to=week_before)
    assert third.current == second.current and third.previous is not None


# --- the league table ----------------------------------------------------------------------


@pytest.mark.django_db
def test_league_hit_serves_the_html_of_the_miss(client, comp, leader):
    client.force_login(leader)
    miss = _league(client, competition=comp.pk)
    hit = _league(client, competition=comp.pk)
    assert miss.context["table"] is not None  # rendered
    assert hit.context["table"] is None  # from the cache
    assert _table(hit) == _table(miss)
    assert _names(hit) == ["商务局", "财政局"]
    assert "3250.5 / 1000" in _table(hit) and "黄牌" in _table(hit)


@pytest.mark.django_db
def test_league_after_a_recompute_never_shows_the_old_entry(client, comp, leader, finance):
    client.force_login(leader)
    assert _names(_league(client, competition=comp.pk)) == ["商务局", "财政局"]
    _signings_for_finance(finance)
    # The records changed but no recompute ran yet: the stored snapshot, with the notice.
    stale = _league(client, competition=comp.pk)
    assert _names(stale) == ["商务局", "财政局"]
    assert "排名数据将稍后自动更新" in stale.content.decode()
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    Competition.objects.filter(pk=comp.pk).update(stale_from=None)
    fresh = _league(client, competition=comp.pk)
    assert fresh.context["table"] is not None
    assert _names(fresh) == ["财政局", "商务局"]
    assert "排名数据将稍后自动更新" not in fresh.content.decode()


@pytest.mark.django_db
def test_league_rank_change_appears_once_last_weeks_snapshot_exists(client, comp, leader, finance):
    client.force_login(leader)
    _signings_for_finance(finance)
    assert "↑1" not in _table(_league(client, competition=comp.pk))
    recompute_snapshots(comp, as_of=date(2026, 1, 3))  # 商务局 first then
    page = _league(client, competition=comp.pk)
    assert "↑1" in _table(page) and "↓1" in _table(page)
    assert "名次变化与 2026-01-03 的快照相比" in page.content.decode()


@pytest.mark.django_db
def test_league_in_another_language_is_another_entry(client, comp, leader):
    client.force_login(leader)
    chinese = _table(_league(client, competition=comp.pk))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _league(client, competition=comp.pk)
    assert english.context["table"] is not None
    assert "Rank in group" in _table(english) and "组内排名" not in _table(english)
    assert "组内排名" in chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert _table(_league(client, competition=comp.pk)) == chinese


@pytest.mark.django_db
def test_league_group_filter_and_sort_are_other_entries(client, comp, leader, groups, finance):
    finance.group = groups["party"]
    finance.save()
    client.force_login(leader)
    assert _names(_league(client, competition=comp.pk)) == ["商务局", "财政局"]
    party = _league(client, competition=comp.pk, group=groups["party"].pk)
    assert _names(party) == ["财政局"]
    by_name = _league(client, competition=comp.pk, sort="-department_name")
    assert _names(by_name) == ["财政局", "商务局"]
    # The sort links repeat the query string: another query string, another entry.
    assert f"group={groups['party'].pk}" in _table(party)
    assert f"group={groups['party'].pk}" not in _table(_league(client, competition=comp.pk))


@pytest.mark.django_db
def test_league_cache_holds_nothing_of_the_user(client, comp, leader, liaison, office):
    client.force_login(leader)
    leaders = _league(client, competition=comp.pk)
    assert "导出台账" in leaders.content.decode()
    client.force_login(liaison)
    liaisons = _league(client, competition=comp.pk)
    assert liaisons.context["table"] is None  # the leader's entry
    page = liaisons.content.decode()
    assert "导出台账" not in page  # the office's and leaders' ledger link
    assert '<span class="user-name">商务联络员</span>' in page
    assert _table(liaisons) == _table(leaders)
    client.force_login(office)
    assert "导出台账" in _league(client, competition=comp.pk).content.decode()


@pytest.mark.django_db
def test_exports_are_not_cached(client, comp, office):
    client.force_login(office)
    _league(client, competition=comp.pk)
    response = _league(client, competition=comp.pk, _export="csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "排名,部门" in response.content.decode("utf-8-sig")


# --- the dashboard -------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_stores_the_snapshot_then_serves_the_cached_html(client, comp, leader):
    client.force_login(leader)
    first = _dashboard(client)  # today's snapshot computed, stored, rendered and cached
    assert Snapshot.objects.filter(competition=comp, as_of=TODAY).count() == 2
    second = _dashboard(client)
    assert second.queries < first.queries
    assert _body(second) == _body(first)
    assert "截至1月20日，百日竞赛已进行第20天" in _body(second)
    assert "黄牌警告：1个部门" in _body(second)


@pytest.mark.django_db
def test_dashboard_shows_the_league_tables_figures(client, comp, leader):
    """Both pages read one snapshot: what the table shows, the dashboard shows."""
    client.force_login(leader)
    table = _table(_league(client, competition=comp.pk, as_of=TODAY.isoformat()))
    body = _body(_dashboard(client))
    assert "3250.5 / 1000" in table and "到账资金3250.50万元" in body


@pytest.mark.django_db
def test_dashboard_after_a_recompute_never_shows_the_old_entry(client, comp, leader, finance):
    client.force_login(leader)
    assert "黄牌警告：1个部门" in _body(_dashboard(client))
    _signings_for_finance(finance)
    assert "有新的记录变动" in _dashboard(client).content.decode()
    recompute_snapshots(comp, as_of=TODAY)
    Competition.objects.filter(pk=comp.pk).update(stale_from=None)
    page = _dashboard(client)
    assert "黄牌警告：0个部门" in _body(page)
    assert "到账资金8250.50万元" in _body(page)
    assert "有新的记录变动" not in page.content.decode()


@pytest.mark.django_db
def test_dashboard_sees_a_new_project_without_records(client, comp, leader, finance):
    """A new lead marks nothing stale, yet changes 有项目，项目不多."""
    client.force_login(leader)
    assert "财政局" not in _few_projects(_dashboard(client))
    make_project(finance, "L1", industry=Industry.SERVICES)
    assert "财政局" in _few_projects(_dashboard(client))


def _few_projects(response) -> str:
    body = _body(response)
    return body[body.index('id="few-projects"') : body.index('id="score-chart"')]


@pytest.mark.django_db
def test_dashboard_in_another_language_is_another_entry(client, comp, leader):
    client.force_login(leader)
    chinese = _body(_dashboard(client))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _body(_dashboard(client))
    assert "截至" in chinese and "截至" not in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert _body(_dashboard(client)) == chinese


@pytest.mark.django_db
def test_dashboard_of_another_date_or_competition_is_another_entry(client, comp, leader):
    client.force_login(leader)
    today = _body(_dashboard(client))
    earlier = _body(_dashboard(client, competition=comp.pk, as_of="2026-01-03"))
    assert "截至1月3日" in earlier and earlier != today
    other = Competition.objects.create(
        name="另一竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10)
    )
    Quota.objects.create(competition=other, department=comp.quotas.first().department)
    assert "另一竞赛" in _body(_dashboard(client, competition=other.pk))


@pytest.mark.django_db
def test_dashboard_of_a_future_date_is_computed_live_and_not_stored(client, comp, leader):
    client.force_login(leader)
    page = _dashboard(client, competition=comp.pk, as_of="2026-02-01")
    assert "截至2月1日" in _body(page)
    assert not Snapshot.objects.filter(as_of=date(2026, 2, 1)).exists()


@pytest.mark.django_db
def test_dashboard_cache_holds_nothing_of_the_user(client, comp, leader, office, liaison):
    client.force_login(office)
    offices = _dashboard(client)
    client.force_login(leader)
    leaders = _dashboard(client)
    assert _body(leaders) == _body(offices)
    assert '<span class="user-name">领导</span>' in leaders.content.decode()
    client.force_login(liaison)
    assert client.get("/dashboard/").status_code == 403


# --- constant queries ----------------------------------------------------------------------


def _departments(comp, n):
    """n more participating departments, with visits, projects at each stage and funds."""
    for i in range(n):
        department = Department.objects.create(name=f"部门{i}", order=10 + i)
        Quota.objects.create(
            competition=comp, department=department, visit_batches=5, signed_projects=1
        )
        for j in range(2):
            project = make_project(department, f"X{i}-{j}", is_high_tech=j == 0)
            make_milestone(project, Stage.INTENT, date(2026, 1, 3))
            make_milestone(project, Stage.SIGNED, date(2026, 1, 4 + j))
            make_receipt(project, date(2026, 1, 6), amount="10")
            make_visit(department, date(2026, 1, 7 + j), persons=2)


def _miss_then_hit(client, get, **params):
    empty_caches()
    miss = get(client, **params)
    hit = get(client, **params)
    return miss.queries, hit.queries


# The league: session, user, person + liaison departments (roles), the competition (the
# form's lookup), the snapshot version, [miss: snapshot rows, last week's ranks], the
# form's competition choices (2: the required select first reads its first choice to
# decide on the required attribute), the group choices, session save (SAVEPOINT, UPDATE,
# RELEASE).
LEAGUE_MISS, LEAGUE_HIT = 14, 12
# The dashboard: session, user, roles (2), the competition (active_competition), the
# snapshot version, [miss: snapshot rows, project mix, progress (targets, visits by date,
# stage figures by date)], the form's competition choices, session save
# (SAVEPOINT, UPDATE, RELEASE).
DASHBOARD_MISS, DASHBOARD_HIT = 15, 10


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 28])  # 3 and 30 departments with the two of `comp`
def test_constant_queries(client, comp, leader, groups, n):
    _departments(comp, n)
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    recompute_snapshots(comp, as_of=date(2026, 1, 3))
    recompute_snapshots(comp, as_of=TODAY)
    client.force_login(leader)
    client.get("/league/")  # the session is saved once after login
    league = _miss_then_hit(client, _league, competition=comp.pk)
    grouped = _miss_then_hit(client, _league, competition=comp.pk, group=groups["economic"].pk)
    dashboard = _miss_then_hit(client, _dashboard)
    assert Quota.objects.filter(competition=comp).count() == n + 2
    assert league == (LEAGUE_MISS, LEAGUE_HIT)
    assert grouped == (LEAGUE_MISS + 1, LEAGUE_HIT + 1)  # the form's lookup of the group
    assert dashboard == (DASHBOARD_MISS, DASHBOARD_HIT)


@pytest.mark.django_db
def test_this_process_keeps_its_recent_parts_but_never_a_stale_one(client, comp, leader, finance):
    """A part served once is kept decompressed in the process (no shared-cache round trip
    and no decompression next time); a recompute names a new version, never the old."""
    from django.core.cache import cache

    client.force_login(leader)
    first = _league(client, competition=comp.pk)
    assert first.context["table"] is not None  # drawn for this reader
    cache.clear()  # the shared cache only: the process still has it
    again = _league(client, competition=comp.pk)
    assert again.context["table"] is None and _table(again) == _table(first)
    _signings_for_finance(finance)
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    assert _names(_league(client, competition=comp.pk)) == ["财政局", "商务局"]


# --- warmed by the worker after a recompute (competition.warm) ---------------------------


@pytest.mark.django_db
def test_nothing_to_warm_before_the_snapshot_is_stored(comp):
    assert warm_pages(comp, today=TODAY) is False


@pytest.mark.django_db
def test_the_first_reader_after_warming_gets_the_cached_pages(client, comp, leader):
    client.force_login(leader)
    recompute_snapshots(comp, as_of=TODAY)
    miss_league = _get(client, "/league/")
    miss_dashboard = _get(client, "/dashboard/")
    assert miss_league.context["table"] is not None  # rendered for this reader

    empty_caches()
    assert warm_pages(comp, today=TODAY) is True
    league = _get(client, "/league/")
    dashboard = _get(client, "/dashboard/")
    assert league.context["table"] is None  # served from what the worker rendered
    assert _table(league) == _table(miss_league)
    assert _body(dashboard) == _body(miss_dashboard)
    assert dashboard.queries < miss_dashboard.queries


@pytest.mark.django_db
def test_a_page_opened_with_a_query_string_is_not_the_warmed_one(client, comp, leader):
    client.force_login(leader)
    recompute_snapshots(comp, as_of=TODAY)
    warm_pages(comp, today=TODAY)
    sorted_page = _get(client, "/league/", sort="-score")
    assert sorted_page.context["table"] is not None


@pytest.mark.django_db
def test_the_recompute_task_warms_todays_pages_when_asked(client, comp, leader, settings):
    from competition.league.recompute import mark_competition_stale
    from competition.tasks import nightly_snapshots, recompute_competition

    client.force_login(leader)
    settings.WARM_PAGES_AFTER_RECOMPUTE = True
    mark_competition_stale(comp.pk, comp.start_date, queue=False)
    assert recompute_competition(comp.pk)[-1] == TODAY.isoformat()
    assert _get(client, "/league/").context["table"] is None  # warmed by the task

    empty_caches()
    nightly_snapshots()
    assert _get(client, "/league/").context["table"] is None  # warmed by the nightly job

    empty_caches()
    settings.WARM_PAGES_AFTER_RECOMPUTE = False
    mark_competition_stale(comp.pk, comp.start_date, queue=False)
    recompute_competition(comp.pk)
    assert _get(client, "/league/").context["table"] is not None  # nobody warmed it


@pytest.mark.django_db
def test_warming_never_fails_the_recompute(comp, settings, monkeypatch):
    from competition import warm
    from competition.league.recompute import mark_competition_stale
    from competition.tasks import recompute_competition

    settings.WARM_PAGES_AFTER_RECOMPUTE = True

    def broken(*args, **kwargs):
        raise RuntimeError("template went missing")

    monkeypatch.setattr(warm, "warm_pages", broken)
    mark_competition_stale(comp.pk, comp.start_date, queue=False)
    assert recompute_competition(comp.pk)[-1] == TODAY.isoformat()
    comp.refresh_from_db()
    assert comp.stale_from is None
