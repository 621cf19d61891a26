"""还需 / 日均, the yellow-line plan and 报送数 / 核实数 on the pages (issue #20, 1 and 8):
the liaison's home, the league's department page (explain) and the briefing pack.

The competition runs 2026-03-01..2026-06-08 (100 days); today is 2026-04-30, day 61.
商务局 has one verified signing and one pending; 财政局 has nothing.
"""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competition.league.snapshots import recompute_snapshots
from competition.league.stored import league_to_show
from competition.models import Competition, Metric, Quota, Report
from competition.reports.content import pack_content
from competition.reports.html import render_document
from competition.scoring import compute_league
from competition.scoring.pace import department_pace
from competition.scoring.reported import reported_and_verified
from projects.models import Stage
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

TODAY = date(2026, 4, 30)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime(2026, 4, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def competition(commerce, finance):
    competition = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 3, 1), end_date=date(2026, 6, 8)
    )
    for department in (commerce, finance):
        Quota.objects.create(
            competition=competition,
            department=department,
            visit_batches=20,
            intent_projects=4,
            signed_projects=3,
            funded_projects=2,
            funds_amount=Decimal(1000),
            groundbreaking_projects=1,
        )
    return competition


@pytest.fixture
def records(commerce, competition):
    make_visit(commerce, date(2026, 3, 10), persons=3)
    make_visit(commerce, date(2026, 4, 1), persons=5)
    verified = make_project(commerce, "P001", name="新能源电池")
    make_milestone(verified, Stage.INTENT, date(2026, 3, 5))
    make_milestone(verified, Stage.SIGNED, date(2026, 3, 20))
    make_receipt(verified, date(2026, 4, 1), amount="300")
    waiting = make_project(commerce, "P002", name="物流园")
    make_milestone(waiting, Stage.INTENT, date(2026, 3, 15))
    make_milestone(waiting, Stage.SIGNED, date(2026, 4, 20), status="pending")
    make_receipt(waiting, date(2026, 4, 25), amount="50", status="pending")
    return {"verified": verified, "waiting": waiting}


def _login(client, user):
    client.force_login(user)
    return client


def _row(league, department):
    return next(r for r in league.rows if r.department_id == department.id)


def _links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"#]+)"', html)]


# --- the liaison's home -----------------------------------------------------------------


@pytest.mark.django_db
def test_home_shows_the_pace_of_the_league_row(client, liaison, commerce, competition, records):
    recompute_snapshots(competition, as_of=TODAY)
    league, stored = league_to_show(competition, as_of=TODAY)
    assert stored
    pace = department_pace(_row(league, commerce), league=league, weights=competition.weights())
    html = _login(client, liaison).get(reverse("home")).content.decode()
    assert "还需与日均" in html
    visits = next(m for m in pace.metrics if m.metric == Metric.VISIT_BATCHES)
    assert visits.remaining == 18 and visits.days_left == 39
    assert "还需18批次" in html and f"日均{visits.required_daily.normalize()}" in html
    funds = next(m for m in pace.metrics if m.metric == Metric.FUNDS_AMOUNT)
    assert funds.remaining == Decimal(700) and "还需700万元" in html
    # Below the line next week: the plan names what to add and the score it gives.
    plan = pace.plan
    assert plan.needed and plan.reachable and plan.by == date(2026, 5, 7)
    assert "2026-05-07" in html and "在此之前至少还需新增" in html
    for addition in plan.additions:
        assert f"{addition.label}{addition.amount.normalize()}{addition.unit}" in html


@pytest.mark.django_db
def test_home_shows_reported_and_verified_with_links_to_what_waits(
    client, liaison, commerce, competition, records
):
    html = _login(client, liaison).get(reverse("home")).content.decode()
    assert "报送与核实" in html
    table = html.split('class="table reported"')[1].split("</table>")[0]
    signed = table.split("签约项目")[1].split("</tr>")[0]
    # Reported: P001 verified and P002 pending; verified: P001.
    assert re.findall(r">(\d+)</a>", signed) == ["2", "1"]
    waiting_url = (
        reverse("league_records", args=[competition.pk, commerce.pk, Metric.SIGNED_PROJECTS])
        + "?as_of=2026-04-30&basis=waiting"
    )
    assert waiting_url in _links(html)
    page = client.get(waiting_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "物流园" in body and "新能源电池" not in body
    # Every link of the two tables opens for the liaison.
    for url in _links(table):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_reported_figures_are_the_rule_with_pending_counted(commerce, competition, records):
    league = compute_league(competition, as_of=TODAY)
    lines = {
        line.metric: line
        for line in reported_and_verified(league, department_ids=[commerce.id])[commerce.id]
    }
    assert (lines[Metric.SIGNED_PROJECTS].reported, lines[Metric.SIGNED_PROJECTS].verified) == (
        2,
        1,
    )
    assert lines[Metric.FUNDS_AMOUNT].reported == Decimal(350)
    assert lines[Metric.FUNDS_AMOUNT].verified == Decimal(300)
    assert lines[Metric.INTENT_PROJECTS].waiting is False  # both intents are verified
    # With "count pending" on, the league's figure is the reported one, and the same
    # function gives the same two figures.
    competition.count_pending = True
    competition.save()
    counting = compute_league(competition, as_of=TODAY)
    assert _row(counting, commerce).actuals[Metric.SIGNED_PROJECTS] == 2
    again = reported_and_verified(counting, department_ids=[commerce.id])[commerce.id]
    assert {line.metric: line for line in again} == lines


# --- the league's department page -------------------------------------------------------


def _explain(client, competition, department):
    url = reverse("league_explain", args=[competition.pk, department.pk])
    return client.get(url, {"as_of": TODAY.isoformat()})


@pytest.mark.django_db
def test_explain_page_shows_pace_plan_and_reported(client, leader, commerce, competition, records):
    response = _explain(_login(client, leader), competition, commerce)
    html = response.content.decode()
    assert "还需与日均" in html and "报送与核实" in html
    league = compute_league(competition, as_of=TODAY)
    pace = department_pace(_row(league, commerce), league=league, weights=competition.weights())
    signed = next(m for m in pace.metrics if m.metric == Metric.SIGNED_PROJECTS)
    assert signed.remaining == 2 and "还需2个" in html
    assert f"得分{pace.plan.score_now_value * 100:.1f}%" in html
    # A leader may open every records page: the links are there and answer 200.
    table = html.split('class="table reported"')[1].split("</table>")[0]
    links = _links(table)
    assert any("basis=waiting" in url for url in links)
    for url in links:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_another_liaison_sees_the_figures_without_links(
    client, other_liaison, commerce, competition, records
):
    response = _explain(_login(client, other_liaison), competition, commerce)
    html = response.content.decode()
    table = html.split('class="table reported"')[1].split("</table>")[0]
    assert _links(table) == [] and "有待核实记录" in table
    waiting = reverse("league_records", args=[competition.pk, commerce.pk, Metric.SIGNED_PROJECTS])
    assert client.get(waiting, {"basis": "waiting"}).status_code == 404


@pytest.mark.django_db
def test_office_sees_the_pending_receipt_as_waiting(client, office, commerce, competition, records):
    url = reverse("league_records", args=[competition.pk, commerce.pk, Metric.FUNDS_AMOUNT])
    _login(client, office)
    waiting = client.get(url, {"as_of": TODAY.isoformat(), "basis": "waiting"})
    body = waiting.content.decode()
    assert "待核实" in body and "50" in body and "300" not in body
    verified = client.get(url, {"as_of": TODAY.isoformat(), "basis": "verified"}).content
    assert "300" in verified.decode() and "物流园" not in verified.decode()
    # An unknown basis is the league's own figure.
    assert client.get(url, {"basis": "bogus"}).status_code == 200


def _more_records(commerce, finance, n=8):
    for i in range(n):
        for department in (commerce, finance):
            project = make_project(department, f"M{department.pk}-{i}")
            make_milestone(project, Stage.INTENT, date(2026, 3, 2 + i))
            make_milestone(project, Stage.SIGNED, date(2026, 4, 2 + i), status="pending")
            make_receipt(project, date(2026, 4, 12 + i), amount="10", status="pending")
            make_visit(department, date(2026, 3, 20 + i))


@pytest.mark.django_db
def test_explain_page_runs_a_constant_number_of_queries(
    client, leader, commerce, finance, competition, records
):
    _login(client, leader)
    _explain(client, competition, commerce)  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert _explain(client, competition, commerce).status_code == 200
    _more_records(commerce, finance)
    with CaptureQueriesContext(connection) as many:
        assert _explain(client, competition, commerce).status_code == 200
    assert len(few) == len(many)


# --- the briefing pack ------------------------------------------------------------------


@pytest.mark.django_db
def test_pack_prints_the_pace_of_each_department(commerce, finance, competition, records):
    pack = pack_content(competition, as_of=TODAY)
    league = pack.summary.league
    weights = competition.weights()
    for page in pack.pages:
        expected = department_pace(page.result, league=league, weights=weights)
        assert page.pace == expected
        cells = {m.metric: m for m in page.metrics}
        for pace in expected.metrics:
            assert cells[pace.metric].remaining == f"{pace.remaining.normalize():f}"
        assert cells[Metric.VISITORS].remaining == "—"  # no target
    finance_page = next(p for p in pack.pages if p.result.department_id == finance.id)
    assert finance_page.result.yellow_card
    assert "在此之前至少还需新增" in finance_page.plan_text
    html = render_document(
        competition, kind=Report.Kind.PACK, as_of=TODAY, issue_number=None, issued_on=TODAY
    )
    assert html.count('<tr class="pace">') == 2 * len(pack.pages)
    assert finance_page.plan_text in html


@pytest.mark.django_db
def test_home_after_the_window_plans_nothing(
    client, liaison, commerce, competition, records, time_machine
):
    time_machine.move_to(datetime(2026, 6, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    html = _login(client, liaison).get(reverse("home")).content.decode()
    assert "竞赛已结束，之后的记录不再计入。" in html
    assert "下期简报" not in html
    # No day is left: no daily pace is asked for.
    rows = html.split('class="table pace"')[1].split("<tbody>")[1].split("</tbody>")[0]
    assert "日均" not in rows and "还需18批次" in rows


@pytest.mark.django_db
def test_a_pending_visit_is_reported_not_verified_and_listed_as_waiting(
    client, office, commerce, competition, records
):
    make_visit(commerce, date(2026, 4, 2), persons=7, investor_org="待核客商", status="pending")
    league = compute_league(competition, as_of=TODAY)
    lines = {
        line.metric: line
        for line in reported_and_verified(league, department_ids=[commerce.id])[commerce.id]
    }
    assert (lines[Metric.VISIT_BATCHES].reported, lines[Metric.VISIT_BATCHES].verified) == (3, 2)
    assert (lines[Metric.VISITORS].reported, lines[Metric.VISITORS].verified) == (15, 8)

    url = reverse("league_records", args=[competition.pk, commerce.pk, Metric.VISIT_BATCHES])
    _login(client, office)
    waiting = client.get(url, {"as_of": TODAY.isoformat(), "basis": "waiting"}).content.decode()
    assert "待核客商" in waiting
    verified = client.get(url, {"as_of": TODAY.isoformat(), "basis": "verified"}).content
    assert "待核客商" not in verified.decode()
