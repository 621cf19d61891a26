"""Dates read from requests (issue 16): the ends of the calendar and garbage get a clear
message on the page, never a server error; the league pages' as-of date is moved into the
competition's window and today, and the page says so."""

from datetime import date

import pytest
from django.urls import reverse

from competition.models import Competition, Quota, Report
from projects.models import Milestone, Project, Receipt, Stage, Visit
from tests.conftest import make_project

OUT_OF_RANGE = "日期须在2000-01-01至2099-12-31之间"
MALFORMED = "请输入有效的日期"
EXTREMES = [("0001-01-01", OUT_OF_RANGE), ("9999-12-31", OUT_OF_RANGE)]
GARBAGE = [("2026-02-30", MALFORMED), ("yesterday", MALFORMED), ("2026-1-1'--", MALFORMED)]
BAD_DATES = EXTREMES + GARBAGE
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-04-30 12:00 +08:00")


@pytest.fixture
def comp(commerce, finance):
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 3, 1), end_date=date(2026, 6, 8)
    )
    for department in (commerce, finance):
        Quota.objects.create(competition=comp, department=department, signed_projects=1)
    return comp


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# Query strings of pages that read ------------------------------------------------------
@pytest.mark.parametrize(("text", "message"), BAD_DATES)
@pytest.mark.parametrize(
    ("url_name", "fields"),
    [
        ("league", ["as_of"]),
        ("dashboard", ["as_of"]),
        ("audit:changes", ["date_from", "date_to"]),
        ("audit:security", ["date_from", "date_to"]),
        ("projects:list", ["last_after", "last_before"]),
        ("projects:visit_list", ["date_after", "date_before"]),
    ],
)
def test_a_bad_date_in_a_query_string_gets_a_message(
    client, office, comp, url_name, fields, text, message
):
    client.force_login(office)
    params = dict.fromkeys(fields, text)
    if url_name == "league":
        params["competition"] = comp.pk
    assert message in _page(client.get(reverse(url_name), params))


def test_the_audit_log_takes_both_ends_of_the_calendar_at_once(client, office):
    client.force_login(office)
    for url_name in ("audit:changes", "audit:security"):
        page = _page(
            client.get(reverse(url_name), {"date_from": "0001-01-01", "date_to": "9999-12-31"})
        )
        assert page.count(OUT_OF_RANGE) == 2


@pytest.mark.parametrize(("text", "message"), BAD_DATES)
@pytest.mark.parametrize("url_name", ["league_explain", "league_records"])
def test_the_explain_pages_say_a_bad_date_was_not_used(
    client, leader, comp, commerce, url_name, text, message
):
    args = [comp.pk, commerce.pk] + (["signed_projects"] if url_name == "league_records" else [])
    client.force_login(leader)
    response = client.get(reverse(url_name, args=args), {"as_of": text})
    page = _page(response)
    assert message in page and "已按 2026-04-30 显示" in page
    assert response.context["as_of"] == date(2026, 4, 30)


@pytest.mark.parametrize(
    ("text", "shown"),
    [("2000-01-01", "2026-03-01"), ("2026-02-28", "2026-03-01"), ("2099-12-31", "2026-04-30")],
)
@pytest.mark.parametrize("url_name", ["league", "dashboard", "league_explain", "league_records"])
def test_as_of_is_moved_into_the_window_and_today_and_the_page_says_so(
    client, leader, comp, commerce, url_name, text, shown
):
    args = {
        "league_explain": [comp.pk, commerce.pk],
        "league_records": [comp.pk, commerce.pk, "signed_projects"],
    }.get(url_name, [])
    client.force_login(leader)
    response = client.get(reverse(url_name, args=args), {"competition": comp.pk, "as_of": text})
    page = _page(response)
    assert response.context["as_of"] == date.fromisoformat(shown)
    assert f"统计日期 {text} 不在可统计的范围内" in page and f"已按 {shown} 显示" in page


def test_a_date_inside_the_window_is_shown_as_asked(client, leader, comp, commerce):
    client.force_login(leader)
    for url in (reverse("league"), reverse("league_explain", args=[comp.pk, commerce.pk])):
        response = client.get(url, {"competition": comp.pk, "as_of": "2026-04-01"})
        assert response.context["as_of"] == date(2026, 4, 1)
        assert "不在可统计的范围内" not in _page(response)


def test_after_the_window_the_last_day_is_shown(client, leader, comp, time_machine):
    time_machine.move_to("2026-07-01 12:00 +08:00")
    client.force_login(leader)
    response = client.get(reverse("league"), {"competition": comp.pk, "as_of": "2026-06-30"})
    assert response.context["as_of"] == date(2026, 6, 8)
    assert "已按 2026-06-08 显示" in _page(response)


# Forms that write: a bad date is refused next to its field, nothing is stored -----------
@pytest.mark.parametrize(("text", "message"), BAD_DATES)
def test_a_report_for_a_bad_date_is_refused(client, office, comp, text, message):
    client.force_login(office)
    data = {"competition": comp.pk, "kind": Report.Kind.BULLETIN, "as_of": text}
    assert message in _page(client.post(reverse("reports"), data))
    assert not Report.objects.exists()


@pytest.mark.parametrize(("text", "message"), EXTREMES)
def test_records_with_dates_at_the_ends_of_the_calendar_are_refused(
    client, liaison, commerce, text, message
):
    project = make_project(commerce)
    client.force_login(liaison)
    posts = [
        ("projects:lost", [project.pk], {"lost_on": text, "lost_reason": "转投外省"}),
        ("projects:milestone_create", [project.pk], {"stage": Stage.LEAD, "occurred_on": text}),
        ("projects:receipt_create", [project.pk], {"occurred_on": text, "amount": "10"}),
        ("projects:visit_create", [], {"occurred_on": text, "investor_org": "客商", "persons": 2}),
    ]
    for url_name, args, data in posts:
        page = _page(client.post(reverse(url_name, args=args), data))
        assert message in page, url_name
    assert not Milestone.objects.exists() and not Receipt.objects.exists()
    assert not Visit.objects.exists()
    assert Project.objects.get().lost_on is None


def test_the_admin_refuses_a_competition_window_at_the_ends_of_the_calendar(admin_client):
    data = {
        "name": "千年竞赛",
        "start_date": "0001-01-01",
        "end_date": "9999-12-31",
        "yellow_threshold": "0.70",
        "cap": "1.5",
        "is_active": "on",
        "weights-TOTAL_FORMS": 0,
        "weights-INITIAL_FORMS": 0,
        "quotas-TOTAL_FORMS": 0,
        "quotas-INITIAL_FORMS": 0,
    }
    page = _page(admin_client.post(reverse("admin:competition_competition_add"), data))
    assert page.count(OUT_OF_RANGE) == 2
    assert not Competition.objects.exists()
