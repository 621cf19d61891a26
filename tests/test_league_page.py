"""The league table page, its exports, the explain page and the records behind a figure."""

import csv
import io
import re
from datetime import date

import openpyxl
import pytest

from competition.league.snapshots import recompute_snapshots
from competition.models import Competition, Quota, Snapshot
from departments.models import Department, DepartmentGroup
from projects.models import Stage
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

AS_OF = "2026-01-10"


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-01-20 12:00 +08:00")


@pytest.fixture
def comp(commerce, finance):
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10)
    )
    for d in (commerce, finance):
        Quota.objects.create(
            competition=comp, department=d, visit_batches=10, signed_projects=2, funds_amount=1000
        )
    make_visit(commerce, date(2026, 1, 2), persons=2)
    p = make_project(commerce, "S1", name="风电装备项目")
    make_milestone(p, Stage.SIGNED, date(2026, 1, 4))
    make_receipt(p, date(2026, 1, 5), "3250.5")
    return comp


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


@pytest.mark.parametrize(
    "persona,status",
    [("office", 200), ("leader", 200), ("liaison", 200), ("staff_member", 403)],
)
def test_league_page_by_role(client, comp, persona, status, request):
    user = request.getfixturevalue(persona)
    assert get(client, user, "/league/", competition=comp.pk, as_of=AS_OF).status_code == status


def test_league_page_needs_login(client, comp):
    response = client.get("/league/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_league_page_shows_ranks_ratios_and_badges(client, comp, leader):
    html = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF).content.decode()
    assert html.index("商务局") < html.index("财政局")
    assert "3250.5 / 1000" in html
    assert "150.0%" in html  # capped timeline ratio
    assert "黄牌" in html and "无实绩" in html  # 财政局 has neither visits nor signings


def test_league_defaults_to_the_active_competition_and_today(client, comp, leader):
    response = get(client, leader, "/league/")
    assert response.status_code == 200
    assert "百日竞赛" in response.content.decode()
    assert response.context["as_of"] == date(2026, 1, 20)


def test_a_future_date_shows_today_and_says_so(client, comp, leader):
    response = get(client, leader, "/league/", competition=comp.pk, as_of="2026-02-01")
    assert response.context["as_of"] == date(2026, 1, 20)
    page = response.content.decode()
    assert "统计日期 2026-02-01 不在可统计的范围内" in page and "已按 2026-01-20 显示" in page
    assert 'value="2026-01-20"' in page  # the date field shows the date of the table


def test_a_date_before_the_window_shows_its_first_day_and_says_so(client, comp, leader):
    response = get(client, leader, "/league/", competition=comp.pk, as_of="2025-06-01")
    assert response.context["as_of"] == date(2026, 1, 1)
    assert "已按 2026-01-01 显示" in response.content.decode()


def test_today_after_the_window_shows_its_last_day_without_a_notice(
    client, comp, leader, time_machine
):
    time_machine.move_to("2026-05-01 12:00 +08:00")
    response = get(client, leader, "/league/", competition=comp.pk)
    assert response.context["as_of"] == date(2026, 4, 10)
    assert "不在可统计的范围内" not in response.content.decode()


def test_filter_by_group(client, comp, leader, groups):
    Department.objects.filter(name="财政局").update(group=groups["party"])
    response = get(
        client, leader, "/league/", competition=comp.pk, as_of=AS_OF, group=groups["party"].pk
    )
    names = [row.record.department_name for row in response.context["table"].rows]
    assert names == ["财政局"]


def test_rank_change_since_last_week(client, comp, leader, commerce, finance):
    recompute_snapshots(comp, as_of=date(2026, 1, 3))  # 商务局 1st, 财政局 2nd
    make_milestone(make_project(finance, "F1"), Stage.SIGNED, date(2026, 1, 8))
    make_milestone(make_project(finance, "F2"), Stage.SIGNED, date(2026, 1, 8))
    make_visit(finance, date(2026, 1, 8), persons=1)
    make_visit(finance, date(2026, 1, 8), persons=1)
    make_receipt(make_project(finance, "F3"), date(2026, 1, 9), "5000")
    html = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF).content.decode()
    assert "↑1" in html and "↓1" in html


def _command_csv(comp):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("league", comp.name, "--as-of", AS_OF, "--format", "csv", stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_csv_export_is_the_league_command(client, comp, office):
    response = get(client, office, "/league/", competition=comp.pk, as_of=AS_OF, _export="csv")
    assert response.status_code == 200
    exported = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert exported == _command_csv(comp)


def test_xlsx_export_is_the_league_command(client, comp, office):
    response = get(client, office, "/league/", competition=comp.pk, as_of=AS_OF, _export="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    exported = [
        ["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert exported == _command_csv(comp)


def test_explain_fills_in_the_formula(client, comp, leader, commerce):
    response = get(client, leader, f"/league/{comp.pk}/{commerce.pk}/", as_of=AS_OF)
    html = response.content.decode()
    assert response.status_code == 200
    # visits 1/(10×0.1) = 1; signed capped 1.5; funds capped 1.5; (10 + 30 + 22.5) / 45
    assert "62.5" in html and "45" in html and "1.3889" in html
    assert f"/league/{comp.pk}/{commerce.pk}/records/signed_projects/" in html


def test_records_behind_a_figure(client, comp, liaison, commerce):
    url = f"/league/{comp.pk}/{commerce.pk}/records/signed_projects/"
    html = get(client, liaison, url, as_of=AS_OF).content.decode()
    assert "风电装备项目" in html
    receipts = get(client, liaison, url.replace("signed_projects", "funds_amount"), as_of=AS_OF)
    assert "3250.5" in receipts.content.decode()


def test_other_departments_records_are_hidden_from_a_liaison(client, comp, other_liaison, commerce):
    url = f"/league/{comp.pk}/{commerce.pk}/records/signed_projects/"
    assert get(client, other_liaison, url, as_of=AS_OF).status_code == 404


def test_unknown_metric_is_404(client, comp, office, commerce):
    url = f"/league/{comp.pk}/{commerce.pk}/records/nonsense/"
    assert get(client, office, url, as_of=AS_OF).status_code == 404


@pytest.mark.parametrize(
    ("metric", "expected"), [("signed_projects", 9), ("funds_amount", 7), ("visit_batches", 7)]
)
def test_records_behind_a_figure_cost_the_same_queries_for_few_and_many(
    client, comp, office, commerce, metric, expected, django_assert_num_queries
):
    client.force_login(office)
    url = f"/league/{comp.pk}/{commerce.pk}/records/{metric}/"

    def get_counted():
        client.get(url, {"as_of": AS_OF})  # warm caches outside the count
        # Expected: session, user with person and liaison departments (roles: 2); competition;
        # department; for projects, each project's first date of each stage from its
        # milestones and from its receipts (2); the count of the records counted; their
        # page (receipts with their project); the header's unread notifications count.
        with django_assert_num_queries(expected):
            assert client.get(url, {"as_of": AS_OF}).status_code == 200

    get_counted()
    for i in range(60):  # more than a page (50 rows)
        p = make_project(commerce, f"M{i:02d}")
        make_milestone(p, Stage.SIGNED, date(2026, 1, 3))
        make_receipt(p, date(2026, 1, 6), "10")
        make_visit(commerce, date(2026, 1, 3))
    get_counted()


def _names(response) -> list[str]:
    """The department names of the table, in the order shown."""
    return re.findall(
        r'<a href="/league/\d+/\d+/\?as_of=[^"]+">([^<]+)</a>', response.content.decode()
    )


def _export(client, user, comp, export="csv", **params):
    response = get(
        client, user, "/league/", competition=comp.pk, as_of=AS_OF, _export=export, **params
    )
    assert response.status_code == 200
    if export == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        return [
            ["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)
        ]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _signings_for_finance(finance):
    """Enough for 财政局 to overtake 商务局 by 2026-01-10."""
    for code in ("F1", "F2"):
        make_milestone(make_project(finance, code), Stage.SIGNED, date(2026, 1, 8))
    make_visit(finance, date(2026, 1, 8), persons=1)
    make_visit(finance, date(2026, 1, 8), persons=1)
    make_receipt(make_project(finance, "F3"), date(2026, 1, 9), "5000")


# --- stored or live, never written ------------------------------------------------------


def test_a_date_without_a_snapshot_is_computed_live_and_nothing_is_stored(client, comp, leader):
    response = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF)
    assert _names(response) == ["商务局", "财政局"]
    assert "3250.5 / 1000" in response.content.decode()
    assert _export(client, leader, comp) == _command_csv(comp)
    assert not Snapshot.objects.exists()


def test_the_stored_snapshot_is_shown_with_a_notice_until_the_recompute(
    client, comp, leader, finance
):
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    _signings_for_finance(finance)  # marks the competition stale from 2026-01-08
    Competition.objects.filter(pk=comp.pk).update(stale_from=date(2026, 1, 8))
    stale = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF)
    assert _names(stale) == ["商务局", "财政局"]  # the stored ranks
    assert "排名数据将稍后自动更新" in stale.content.decode()
    # A snapshot of a date before the change is not behind: no notice.
    recompute_snapshots(comp, as_of=date(2026, 1, 7))
    earlier = get(client, leader, "/league/", competition=comp.pk, as_of="2026-01-07")
    assert "排名数据将稍后自动更新" not in earlier.content.decode()

    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    Competition.objects.filter(pk=comp.pk).update(stale_from=None)
    fresh = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF)
    assert _names(fresh) == ["财政局", "商务局"]
    assert "排名数据将稍后自动更新" not in fresh.content.decode()


def test_rank_change_names_the_snapshot_it_compares_with(client, comp, leader, finance):
    _signings_for_finance(finance)
    page = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF).content.decode()
    assert "↑1" not in page and "名次变化与" not in page  # nothing stored a week before
    recompute_snapshots(comp, as_of=date(2026, 1, 3))  # 商务局 first then
    page = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF).content.decode()
    assert "↑1" in page and "↓1" in page
    assert "名次变化与 2026-01-03 的快照相比" in page
    assert Snapshot.objects.filter(as_of=date(2026, 1, 10)).count() == 0  # shown live


def test_group_filter_and_sort_apply_to_the_page_and_the_export(
    client, comp, leader, groups, finance
):
    finance.group = groups["party"]
    finance.save()
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    party = get(
        client, leader, "/league/", competition=comp.pk, as_of=AS_OF, group=groups["party"].pk
    )
    assert _names(party) == ["财政局"]
    assert f"group={groups['party'].pk}" in party.content.decode()  # the sort links keep it
    assert [row[1] for row in _export(client, leader, comp, group=groups["party"].pk)] == [
        "部门",
        "财政局",
    ]
    by_name = get(
        client, leader, "/league/", competition=comp.pk, as_of=AS_OF, sort="-department_name"
    )
    assert _names(by_name) == ["财政局", "商务局"]
    by_rank = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF, sort="-rank")
    assert _names(by_rank) == ["财政局", "商务局"]


def test_the_ledger_link_is_for_the_office_and_leaders_only(client, comp, leader, office, liaison):
    for user, shown in ((leader, True), (office, True), (liaison, False)):
        page = get(client, user, "/league/", competition=comp.pk, as_of=AS_OF).content.decode()
        assert ("导出台账" in page) is shown


def test_renamed_department_and_group_show_at_once_on_page_and_exports(
    client, comp, office, commerce, groups
):
    """Names are read from the departments as they are now, not from the snapshot."""
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    commerce.name = "商务和投资促进局"
    commerce.save()
    DepartmentGroup.objects.filter(pk=groups["economic"].pk).update(name="经济部门")
    snapshot = Snapshot.objects.get(as_of=date(2026, 1, 10), department=commerce)
    assert (snapshot.department_name, snapshot.group_name) == ("商务局", "综合经济部门")

    page = get(client, office, "/league/", competition=comp.pk, as_of=AS_OF)
    assert _names(page) == ["商务和投资促进局", "财政局"]
    assert "经济部门" in page.content.decode() and "综合经济部门" not in page.content.decode()
    for export in ("csv", "xlsx"):
        rows = _export(client, office, comp, export)
        assert rows[1][1:3] == ["商务和投资促进局", "经济部门"], export
        assert "商务局" not in {row[1] for row in rows}


# --- constant queries ---------------------------------------------------------------------


def _table(response) -> str:
    page = response.content.decode()
    return page[page.index("<table") : page.index("</table>")]


def _more_departments(comp, n):
    for i in range(n):
        d = Department.objects.create(name=f"部门{i}", order=10 + i)
        Quota.objects.create(competition=comp, department=d, visit_batches=5)
        make_visit(d, date(2026, 1, 3))


# session, user joined to person + liaison departments (roles: 1), the form's competition, the
# versions of the date's and last week's snapshots (one query), the form's competition
# and group choices (read for the drawn form's key, web.forms), the header's unread
# notifications count: a page whose drawn table and form are cached reads no snapshot row
# and draws no option.
STORED_LEAGUE_QUERIES = 7
# When both are drawn: also the snapshot rows joined to their departments and groups
# (last week's ranks are read only when last week has a snapshot: not here), and the
# form's choices again (3: the required select reads its first choice).
DRAWN_LEAGUE_QUERIES = STORED_LEAGUE_QUERIES + 1 + 3


@pytest.mark.parametrize("more", [0, 30])
def test_league_page_query_count_is_constant(client, comp, leader, django_assert_num_queries, more):
    _more_departments(comp, more)
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    client.force_login(leader)
    params = {"competition": comp.pk, "as_of": AS_OF}
    with django_assert_num_queries(DRAWN_LEAGUE_QUERIES):
        first = client.get("/league/", params)  # draws and caches the table
    with django_assert_num_queries(STORED_LEAGUE_QUERIES):
        again = client.get("/league/", params)
    assert len(_names(again)) == 2 + more and _table(again) == _table(first)
    # A group adds the form's lookup of it.
    group = DepartmentGroup.objects.get(name="综合经济部门")
    with django_assert_num_queries(DRAWN_LEAGUE_QUERIES + 1):
        client.get("/league/", {**params, "group": group.pk})
    with django_assert_num_queries(STORED_LEAGUE_QUERIES + 1):
        client.get("/league/", {**params, "group": group.pk})


# As above with the form cached (the versions find none, so no row is read), plus
# compute_league's: quotas with their departments, weights, visits by department, stage
# figures by department (4).
LIVE_LEAGUE_QUERIES = STORED_LEAGUE_QUERIES + 4


@pytest.mark.parametrize("more", [0, 30])
def test_live_league_page_query_count_is_constant(
    client, comp, leader, django_assert_num_queries, more
):
    _more_departments(comp, more)
    client.force_login(leader)
    params = {"competition": comp.pk, "as_of": AS_OF}
    client.get("/league/", params)
    with django_assert_num_queries(LIVE_LEAGUE_QUERIES):
        response = client.get("/league/", params)
    assert len(_names(response)) == 2 + more


@pytest.fixture
def drawn(monkeypatch) -> list:
    """One item for each league table django-tables2 draws."""
    from django_tables2.templatetags.django_tables2 import RenderTableNode

    drawn = []
    render = RenderTableNode.render
    monkeypatch.setattr(
        RenderTableNode, "render", lambda self, context: drawn.append(1) or render(self, context)
    )
    return drawn


def test_the_drawn_table_is_reused_until_the_snapshot_changes(client, comp, leader, drawn):
    """The table of a stored snapshot is drawn once per version, language and query string
    (the "shared" cache); a recompute (new rows) draws it again with the new figures."""
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    first = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF)
    again = client.get("/league/", {"competition": comp.pk, "as_of": AS_OF})
    assert len(drawn) == 1 and _table(first) == _table(again)
    client.get("/league/", {"competition": comp.pk, "as_of": AS_OF, "sort": "-score"})
    assert len(drawn) == 2  # another sort is another entry
    Department.objects.filter(name="商务局").update(name="商务和投资促进局")
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    page = client.get("/league/", {"competition": comp.pk, "as_of": AS_OF}).content.decode()
    assert len(drawn) == 3 and "商务和投资促进局" in page
    # Last week's snapshot stored anew changes the rank change column: drawn again.
    recompute_snapshots(comp, as_of=date(2026, 1, 3))
    page = client.get("/league/", {"competition": comp.pk, "as_of": AS_OF}).content.decode()
    assert len(drawn) == 4 and "名次变化与 2026-01-03 的快照相比" in page


def test_the_drawn_table_is_drawn_once_for_every_web_process(client, comp, leader, drawn):
    """Kept on the "shared" cache (Redis in production), not each process's "pages": a
    second process, whose own cache is empty, reads the table the first one drew."""
    from django.core.cache import caches

    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    first = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF)
    caches["pages"].clear()  # another process: nothing of its own kept yet
    again = client.get("/league/", {"competition": comp.pk, "as_of": AS_OF})
    assert len(drawn) == 1 and _table(again) == _table(first)


def test_a_shared_cache_that_cannot_be_reached_is_a_miss_not_a_500(
    client, comp, leader, monkeypatch, caplog
):
    from django.core.cache import caches

    def unreachable(*args, **kwargs):
        raise ConnectionError("Redis is down")

    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    monkeypatch.setattr(caches["shared"], "get", unreachable)
    monkeypatch.setattr(caches["shared"], "set", unreachable)
    response = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="table league-table"' in page and "商务局" in page and "财政局" in page
    assert "shared cache unavailable: league_table drawn without it" in caplog.text


def test_a_changed_record_shows_once_the_recompute_stores_it(client, comp, leader, finance):
    """The cached table keeps the stored figures until a recompute stores new ones, and
    then shows the new figure (the key names the snapshot's version)."""
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    params = {"competition": comp.pk, "as_of": AS_OF}
    before = get(client, leader, "/league/", **params).content.decode()
    assert "0 / 1000" in before  # 财政局's funds
    make_receipt(make_project(finance, "F9"), date(2026, 1, 9), "777")
    assert "0 / 1000" in client.get("/league/", params).content.decode()  # not recomputed yet
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    after = client.get("/league/", params).content.decode()
    assert "777 / 1000" in after


def test_a_league_computed_live_is_drawn_every_time(client, comp, leader, drawn):
    assert not Snapshot.objects.filter(as_of=date(2026, 1, 10)).exists()
    get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF)
    client.get("/league/", {"competition": comp.pk, "as_of": AS_OF})
    assert len(drawn) == 2


def test_the_league_has_a_total_row_arrows_tie_notes_and_the_rule(
    client, commerce, finance, leader
):
    """合计 of every metric (city-wide, as the speech quotes them), the change against the
    snapshot of a week earlier (持平 when unchanged), a line saying which tie-breaker
    decided between equal scores, and the rule in words."""
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10)
    )
    for d in (commerce, finance):
        Quota.objects.create(competition=comp, department=d, visit_batches=10)
    make_visit(commerce, date(2026, 1, 2), persons=2)
    make_visit(finance, date(2026, 1, 2), persons=5)
    recompute_snapshots(comp, as_of=date(2026, 1, 3))
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    page = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF).content.decode()
    tfoot = page[page.index("<tfoot") : page.index("</tfoot>")]
    assert "合计" in tfoot and ">2<" in tfoot.replace(" ", "") and ">7<" in tfoot.replace(" ", "")
    assert page.count("持平") == 2
    assert "商务局、财政局得分相同，依次因部门排序排列。" in page
    assert 'href="#how-scored"' in page and 'id="how-scored"' in page
    assert "黄牌线（70%）" in page


def test_scores_read_as_percentages_with_one_decimal(client, comp, leader):
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    page = get(client, leader, "/league/", competition=comp.pk, as_of=AS_OF).content.decode()
    assert re.search(r"\d+\.\d%</td>", page)
    assert not re.search(r">\d\.\d{4}<", page)  # never the 4-decimal ratio on a page


def test_the_drawn_form_shows_a_new_competition_and_the_chosen_date(client, comp, leader):
    """The parameters form is kept under its values and choices (web.forms.form_cache_key):
    a competition added and another date show at once."""
    params = {"competition": comp.pk, "as_of": AS_OF}
    get(client, leader, "/league/", **params)
    Competition.objects.create(
        name="第二届竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 2, 1)
    )
    page = client.get("/league/", params).content.decode()
    assert "第二届竞赛" in page and 'value="2026-01-10"' in page
    page = client.get("/league/", {**params, "as_of": "2026-01-12"}).content.decode()
    assert 'value="2026-01-12"' in page
