"""From visit to project (转化率), issue 20 item 10: the dashboard's funnel per department."""

import re
from datetime import date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from competition.funnel import conversion_funnel, rate, totals
from competition.scoring import compute_league
from projects import credit
from projects.models import Stage
from tests.conftest import (
    make_competition,
    make_milestone,
    make_project,
    make_receipt,
    make_visit,
)

AS_OF = date(2026, 4, 30)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime(2026, 4, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def world(commerce, finance):
    """商务局: 4 visits in the window (2 led to projects), 2 intents, 1 signing with funds;
    one visit before the window. 财政局: nothing."""
    competition = make_competition(commerce, finance)
    battery = make_project(commerce, "SW-1", investor="华为技术", name="电池")
    park = make_project(commerce, "SW-2", investor="顺丰", name="物流园")
    make_visit(commerce, date(2026, 2, 20), project=battery)  # before the window
    make_visit(commerce, date(2026, 3, 2), project=battery)
    make_visit(commerce, date(2026, 3, 3), project=park)
    make_visit(commerce, date(2026, 3, 4))
    make_visit(commerce, date(2026, 3, 5))
    make_milestone(battery, Stage.INTENT, date(2026, 3, 6))
    make_milestone(battery, Stage.SIGNED, date(2026, 3, 20))
    make_receipt(battery, date(2026, 4, 1), amount="500")
    make_milestone(park, Stage.INTENT, date(2026, 3, 8))
    return competition, battery, park


def test_the_funnel_counts_as_the_league_does(world, commerce, finance):
    competition, _battery, _park = world
    league = compute_league(competition, as_of=AS_OF)
    rows = {r.department_id: r for r in conversion_funnel(league)}
    ours = rows[commerce.pk]
    assert (ours.visits, ours.linked_visits, ours.intent, ours.signed, ours.funded) == (
        4,
        2,
        2,
        1,
        1,
    )
    league_row = next(r for r in league.rows if r.department_id == commerce.pk)
    assert ours.visits == league_row.actuals["visit_batches"]
    assert ours.intent == league_row.actuals["intent_projects"]
    assert (ours.linked_rate, ours.intent_rate, ours.signed_rate, ours.funded_rate) == (
        Fraction(1, 2),
        Fraction(1, 2),
        Fraction(1, 2),
        Fraction(1),
    )
    # A department with nothing: every rate is "nothing to convert", not 0%.
    theirs = rows[finance.pk]
    assert theirs.visits == 0 and theirs.intent_rate is None and theirs.funded_rate is None
    city = totals(list(rows.values()))
    assert (city.visits, city.linked_visits, city.funded) == (4, 2, 1)


def test_rate():
    assert rate(1, 3) == Fraction(1, 3) and rate(0, 5) == 0 and rate(2, 0) is None


def test_a_denied_project_leaves_the_funnel_as_it_leaves_the_league(
    world, commerce, finance, office
):
    competition, battery, _park = world
    other = make_project(finance, "CZ-1", investor="华为技术有限公司", name="电池")
    make_milestone(other, Stage.SIGNED, date(2026, 3, 21))
    credit.deny_credit(other, in_favour_of=battery, by=office, reason="商务局首谈")
    rows = {r.department_id: r for r in conversion_funnel(compute_league(competition, as_of=AS_OF))}
    assert (rows[finance.pk].intent, rows[finance.pk].signed) == (0, 0)


def test_the_dashboard_shows_the_funnel_and_every_figure_leads_to_its_records(
    client, world, leader, commerce
):
    competition, _battery, _park = world
    client.force_login(leader)
    html = client.get(reverse("dashboard")).content.decode()
    section = html.split('id="funnel"')[1].split("</table>")[0]
    assert "接待→意向" in section and "50.0%" in section and "100.0%" in section
    links = re.findall(r'href="([^"]+)"', section.replace("&amp;", "&"))
    records = reverse("league_records", args=[competition.pk, commerce.pk, "signed_projects"])
    assert f"{records}?as_of=2026-04-30" in links
    linked = next(u for u in links if "has_project=true" in u and f"department={commerce.pk}" in u)
    # Traceable: the linked visits listed are the two the funnel counts.
    page = client.get(linked).content.decode()
    assert client.get(linked).status_code == 200
    assert page.count("<tr") - 1 == 2  # the header row and the two visits
    for url in links:
        assert client.get(url).status_code == 200, url


def test_a_liaison_links_a_visit_to_a_project_and_its_page_lists_it(client, liaison, commerce):
    project = make_project(commerce, "SW-9", investor="远景能源", name="风电装备")
    client.force_login(liaison)
    form = client.get(reverse("projects:visit_create")).content.decode()
    assert f'<option value="{project.pk}">SW-9 风电装备</option>' in form
    response = client.post(
        reverse("projects:visit_create"),
        {
            "department": commerce.pk,
            "occurred_on": "2026-04-29",
            "investor_org": "远景能源",
            "persons": "4",
            "project": project.pk,
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "2026-04-29" in page and "远景能源" in page
