"""The league table page, its exports, the explain page and the records behind a figure."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competition.league.snapshots import recompute_snapshots
from competition.models import Competition, Quota
from departments.models import Department
from projects.models import Stage
from tests.conftest import empty_caches, make_milestone, make_project, make_receipt, make_visit

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
    assert "150%" in html  # capped timeline ratio
    assert "黄牌" in html and "无实绩" in html  # 财政局 has neither visits nor signings


def test_league_defaults_to_the_active_competition_and_today(client, comp, leader):
    response = get(client, leader, "/league/")
    assert response.status_code == 200
    assert "百日竞赛" in response.content.decode()
    assert response.context["as_of"] == date(2026, 1, 20)


def test_future_date_is_refused_with_a_message(client, comp, leader):
    response = get(client, leader, "/league/", competition=comp.pk, as_of="2026-02-01")
    assert response.context["table"] is None
    assert "统计日期不能晚于今天" in response.content.decode()


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


def test_league_page_query_count_is_constant(client, comp, leader):
    client.force_login(leader)
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    params = {"competition": comp.pk, "as_of": AS_OF}
    client.get("/league/", params)  # warm up the session and caches
    empty_caches()  # a miss, like the one after the recompute below (tests/test_page_cache.py)
    with CaptureQueriesContext(connection) as few:
        client.get("/league/", params)
    for i in range(30):
        d = Department.objects.create(name=f"部门{i}", order=10 + i)
        Quota.objects.create(competition=comp, department=d, visit_batches=5)
        make_visit(d, date(2026, 1, 3))
    recompute_snapshots(comp, as_of=date(2026, 1, 10))
    with CaptureQueriesContext(connection) as many:
        response = client.get("/league/", params)
    assert len(response.context["table"].rows) == 32
    # session, user, person + liaison departments, competition, snapshot version, snapshot
    # rows, last week's ranks, competition choices (2: the required select probes its first
    # choice), group choices, session save (3)
    assert len(few) == len(many) == 14
