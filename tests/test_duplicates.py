"""Likely duplicates (疑似重复) and credit decisions (归属认定), issue 20 item 6.

商务局 and 财政局 both enter 上海华为技术有限公司's battery plant; the forms warn, the office
gives the credit to 商务局, and 财政局's copy stops counting in the league with all its
stages and receipts, its history kept.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from competition.scoring import compute_league, counted_projects, stage_dates_by_project
from departments.changes import records_changed
from projects import credit, duplicates, services
from projects.duplicate_lookup import open_duplicate_groups, project_matches, visit_matches
from projects.duplicates import Candidate
from projects.models import CreditDecision, Project, Stage, Visit
from projects.services import Conflict
from tests.conftest import (
    make_competition,
    make_milestone,
    make_project,
    make_receipt,
)

TOKEN = re.compile(r'name="submission" value="([0-9a-f-]{36})"')


@pytest.fixture(autouse=True)
def _today(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


# Normalisation: pure functions ----------------------------------------------------------
@pytest.mark.parametrize(
    "a, b",
    [
        ("华为技术有限公司", "华为技术"),
        ("华为技术有限公司", "华为技术股份有限公司"),
        ("华为技术有限责任公司", "华为技术（集团）"),
        ("上海华为技术有限公司", "华为技术有限公司"),  # a region before the name
        ("江苏省华为技术有限公司", "华为技术"),
        ("华为技术（上海）有限公司", "华为技术"),  # a region in brackets
        ("ＡＢＣ Ｔｅｃｈ　Co., Ltd.", "abc tech"),  # full width, case, spaces, punctuation
        ("ABC-Tech Group", "abc tech"),
        ("远景控股集团有限公司", "远景"),
        ("苏州 某新能源 股份", "某新能源"),
    ],
)
def test_investor_names_that_are_one_investor(a, b):
    assert duplicates.investor_key(a) == duplicates.investor_key(b) != ""


@pytest.mark.parametrize(
    "a, b",
    [
        ("华为技术有限公司", "中兴通讯有限公司"),
        ("上海电气", "上海汽车"),
        ("新能源科技", "新能源材料"),
    ],
)
def test_investor_names_that_are_not(a, b):
    assert duplicates.investor_key(a) != duplicates.investor_key(b)


@pytest.mark.parametrize("name", ["", "某", "有限公司", "   ", "（）", "上海"])
def test_nothing_distinctive_gives_no_key(name):
    assert duplicates.investor_key(name) == ""


def test_project_names_ignore_width_spaces_and_the_word_project():
    assert duplicates.name_key("新能源电池项目") == duplicates.name_key("新能源 电池")
    assert duplicates.name_key("ＬＥＤ照明") == duplicates.name_key("led照明项目")
    assert duplicates.name_key("项目") == "" and duplicates.name_key("X") == ""


def test_matches_same_investor_anywhere_same_name_only_in_another_department():
    new = Candidate(pk=None, department_id=1, name="电池项目", investor="华为技术有限公司")
    stored = [
        Candidate(pk=1, department_id=1, name="别的", investor="华为技术"),  # same department
        Candidate(pk=2, department_id=2, name="电池", investor="别家"),  # name, other dept
        Candidate(pk=3, department_id=1, name="电池", investor="别家"),  # name, same dept
        Candidate(pk=4, department_id=3, name="无关", investor="无关公司"),
    ]
    found = duplicates.matches(new, stored)
    assert [(m.record.pk, m.reasons) for m in found] == [(1, ("investor",)), (2, ("name",))]
    # A project never matches itself (an edit).
    assert duplicates.matches(Candidate(pk=1, department_id=1, investor="华为技术"), stored) == []


def test_visits_match_the_same_investor_the_same_day_in_another_department():
    day = date(2026, 6, 1)
    new = Candidate(pk=None, department_id=1, investor="上海远景集团", occurred_on=day)
    stored = [
        Candidate(pk=1, department_id=2, investor="远景集团有限公司", occurred_on=day),
        Candidate(pk=2, department_id=1, investor="远景", occurred_on=day),  # own: a batch
        Candidate(pk=3, department_id=2, investor="远景", occurred_on=date(2026, 6, 2)),
    ]
    assert [m.record.pk for m in duplicates.visit_matches(new, stored)] == [1]


def test_every_project_stores_its_keys(commerce):
    project = make_project(commerce, investor="上海华为技术有限公司", name="电池项目")
    assert (project.investor_key, project.name_key) == ("华为技术", "电池")
    project.investor = "中兴通讯"
    project.save(update_fields=["investor"])
    project.refresh_from_db()
    assert project.investor_key == "中兴通讯"


def test_lookup_is_one_indexed_query(commerce, finance, django_assert_num_queries):
    make_project(commerce, "P1", investor="华为技术有限公司", name="电池")
    make_project(finance, "P2", investor="别家", name="电池项目")
    for i in range(20):
        make_project(finance, f"X{i}", investor=f"客商{i}", name=f"项目{i}")
    with django_assert_num_queries(1):
        found = project_matches(name="电池", investor="华为技术", department_id=commerce.pk)
    assert [(f.record.code, f.reasons) for f in found] == [("P1", ("investor",)), ("P2", ("name",))]


def test_every_visit_stores_its_key_and_the_lookup_reads_only_matches(
    commerce, finance, django_assert_num_queries
):
    day = date(2026, 6, 1)

    def visit(department, investor, on=day):
        return services.save_visit(
            Visit(department=department, occurred_on=on, investor_org=investor, persons=1),
            by=None,
        )

    stored = visit(finance, "上海远景集团有限公司")
    assert stored.investor_key == "远景"
    for i in range(30):  # the day's other visits: not read, let alone compared
        visit(finance, f"客商{i}")
    visit(finance, "远景集团", on=date(2026, 6, 2))  # another day
    visit(commerce, "远景")  # the department's own: a second batch
    with django_assert_num_queries(1):
        found = visit_matches(investor_org="远景集团", occurred_on=day, department_id=commerce.pk)
    assert [f.record.pk for f in found] == [stored.pk]
    stored.investor_org = "中兴通讯"
    stored.save(update_fields=["investor_org"])
    stored.refresh_from_db()
    assert stored.investor_key == "中兴通讯"


def test_keys_fit_their_column_whatever_normalising_makes_of_a_name(commerce):
    """NFKC writes "㍿" as "株式会社": 200 of them are 800 characters, the column 200."""
    name = "㍿" * 200
    assert len(duplicates.investor_key(name)) == len(duplicates.name_key(name)) == 200
    project = make_project(commerce, investor=name, name=name)  # PostgreSQL refuses overlong
    visit = services.save_visit(
        Visit(department=commerce, occurred_on=date(2026, 6, 1), investor_org=name, persons=1),
        by=None,
    )
    project.refresh_from_db()
    visit.refresh_from_db()
    assert len(project.investor_key) == len(visit.investor_key) == 200


# The forms warn, and save once the user confirms ---------------------------------------
def _token(client, url) -> str:
    return TOKEN.search(client.get(url).content.decode()).group(1)


def test_a_project_like_another_departments_is_saved_only_when_confirmed(
    client, liaison, commerce, finance
):
    theirs = make_project(finance, "CZ-1", investor="华为技术有限公司", name="电池")
    client.force_login(liaison)
    url = reverse("projects:create")
    data = {
        "name": "新能源电池",
        "investor": "上海华为技术有限公司",
        "department": commerce.pk,
        "industry": "industrial",
        "submission": _token(client, url),
    }
    warned = client.post(url, data)
    html = warned.content.decode()
    assert warned.status_code == 200 and Project.objects.count() == 1
    assert "疑似重复" in html and "CZ-1 电池" in html and "财政局" in html
    # 财政局's project is not the liaison's to open: named, not linked (no 404 link).
    assert reverse("projects:detail", args=[theirs.pk]) not in html
    assert 'id="id_confirm_duplicates_error"' in html and 'type="checkbox"' in html
    # The same form, confirmed: saved once, and a second click goes to the first result.
    confirmed = client.post(url, {**data, "confirm_duplicates": "on"})
    assert confirmed.status_code == 302
    again = client.post(url, {**data, "confirm_duplicates": "on"})
    assert again["Location"] == confirmed["Location"]
    assert Project.objects.count() == 2


def test_the_office_gets_links_to_the_matches(client, office, commerce, finance):
    theirs = make_project(finance, "CZ-1", investor="华为技术", name="电池")
    client.force_login(office)
    url = reverse("projects:create")
    data = {"name": "电池", "department": commerce.pk, "industry": "other"}
    html = client.post(url, {**data, "submission": _token(client, url)}).content.decode()
    assert f'href="{reverse("projects:detail", args=[theirs.pk])}"' in html
    assert "同名项目" in html


def test_nothing_alike_saves_at_once(client, liaison, commerce, finance):
    make_project(finance, "CZ-1", investor="华为技术", name="电池")
    client.force_login(liaison)
    url = reverse("projects:create")
    data = {"name": "冷链物流园", "investor": "顺丰", "department": commerce.pk}
    response = client.post(url, {**data, "industry": "services", "submission": _token(client, url)})
    assert response.status_code == 302


def test_a_staff_members_lead_warns_without_links(client, staff_member, commerce, finance):
    make_project(finance, "CZ-1", investor="华为技术", name="电池")
    client.force_login(staff_member)
    url = reverse("projects:lead_create")
    data = {
        "name": "电池项目",
        "investor": "华为技术股份有限公司",
        "source_channel": "classmate",
        "industry": "industrial",
        "department": commerce.pk,
        "submission": _token(client, url),
    }
    html = client.post(url, data).content.decode()
    assert "CZ-1 电池" in html and "/projects/" not in html.split("疑似重复")[1].split("</ul>")[0]
    assert client.post(url, {**data, "confirm_duplicates": "on"}).status_code == 302
    assert Project.objects.filter(submitted_by=staff_member).count() == 1


def test_a_visit_another_department_logged_the_same_day_is_warned(
    client, liaison, commerce, finance
):
    services.save_visit(
        Visit(
            department=finance,
            occurred_on=date(2026, 6, 29),
            investor_org="上海某新能源有限公司",
            persons=2,
        ),
        by=None,
    )
    client.force_login(liaison)
    url = reverse("projects:visit_create")
    data = {
        "department": commerce.pk,
        "occurred_on": "2026-06-29",
        "investor_org": "某新能源公司",
        "persons": "3",
        "submission": _token(client, url),
    }
    html = client.post(url, data).content.decode()
    assert "疑似重复" in html and "财政局" in html and Visit.objects.count() == 1
    assert client.post(url, {**data, "confirm_duplicates": "on"}).status_code == 302
    assert Visit.objects.count() == 2


def test_edits_are_not_checked(client, liaison, commerce, finance):
    make_project(finance, "CZ-1", investor="华为技术", name="电池")
    mine = make_project(commerce, "SW-1", investor="华为技术", name="电池")
    client.force_login(liaison)
    html = client.get(reverse("projects:edit", args=[mine.pk])).content.decode()
    assert "confirm_duplicates" not in html


# Credit decisions -----------------------------------------------------------------------
@pytest.fixture
def claimed(commerce, finance):
    """One plant claimed twice: 商务局 signed it on 10 March, 财政局 on 12 March with a
    receipt of 300万元 on 20 March."""
    ours = make_project(commerce, "SW-1", investor="华为技术有限公司", name="电池")
    theirs = make_project(finance, "CZ-1", investor="上海华为技术", name="新能源电池")
    make_milestone(ours, Stage.SIGNED, date(2026, 3, 10))
    make_milestone(theirs, Stage.SIGNED, date(2026, 3, 12))
    make_receipt(theirs, date(2026, 3, 20), amount="300")
    return ours, theirs


def _figures(competition, department):
    league = compute_league(competition, as_of=date(2026, 4, 30))
    row = next(r for r in league.rows if r.department_id == department.pk)
    return {m: row.actuals[m] for m in ("signed_projects", "funded_projects", "funds_amount")}


def test_a_denied_project_stops_counting_and_its_history_is_kept(
    claimed, commerce, finance, office, django_capture_on_commit_callbacks
):
    ours, theirs = claimed
    competition = make_competition(commerce, finance)
    assert _figures(competition, finance) == {
        "signed_projects": 1,
        "funded_projects": 1,
        "funds_amount": 300,
    }
    announced = []

    def listen(sender, **kwargs):
        announced.append(kwargs)

    records_changed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            credit.deny_credit(theirs, in_favour_of=ours, by=office, reason="商务局首谈并签约")
    finally:
        records_changed.disconnect(listen)

    # Both departments are announced with the dates of the denied project's records.
    assert announced[-1]["department_ids"] == {commerce.pk, finance.pk}
    assert set(announced[-1]["dates"]) == {date(2026, 3, 12), date(2026, 3, 20)}
    # Everywhere the league is computed: figures, the traced projects, the stage dates.
    assert _figures(competition, finance) == {
        "signed_projects": 0,
        "funded_projects": 0,
        "funds_amount": 0,
    }
    assert _figures(competition, commerce)["signed_projects"] == 1
    traced = counted_projects(
        competition, department_id=finance.pk, metric="signed_projects", as_of=date(2026, 4, 30)
    )
    assert not traced.exists()
    assert theirs.pk not in stage_dates_by_project(statuses=["verified"])
    # History: the decision row and the project's own history entry.
    decision = CreditDecision.objects.get()
    assert (decision.project, decision.counterpart, decision.outcome) == (theirs, ours, "denied")
    assert (decision.counted_before, decision.counted_after, decision.decided_by) == (
        True,
        False,
        office,
    )
    last = theirs.history.order_by("-history_date", "-history_id").first()
    assert last.credit_denied_in_favour_of_id == ours.pk and last.history_user == office
    assert "商务局首谈并签约" in last.history_change_reason

    # Restored: it counts again; both decisions stay.
    credit.restore_credit(theirs, by=office, reason="复核：两个不同地块")
    assert _figures(competition, finance)["signed_projects"] == 1
    assert list(CreditDecision.objects.values_list("outcome", flat=True)) == [
        "restored",
        "denied",
    ]


def test_decisions_that_cannot_stand(claimed, commerce, office):
    ours, theirs = claimed
    with pytest.raises(ValidationError):
        credit.deny_credit(ours, in_favour_of=ours, by=office, reason="x")
    with pytest.raises(ValidationError):
        credit.deny_credit(ours, in_favour_of=theirs, by=office, reason="  ")
    credit.deny_credit(theirs, in_favour_of=ours, by=office, reason="商务局首谈")
    with pytest.raises(Conflict):  # decided already (two offices at once: one wins)
        credit.deny_credit(theirs, in_favour_of=ours, by=office, reason="again")
    third = make_project(commerce, "SW-2", investor="华为技术")
    with pytest.raises(ValidationError):  # no chains: ours is credited with theirs
        credit.deny_credit(ours, in_favour_of=third, by=office, reason="x")
    with pytest.raises(ValidationError):  # nor in favour of a project that does not count
        credit.deny_credit(third, in_favour_of=theirs, by=office, reason="x")
    assert CreditDecision.objects.count() == 1


def test_the_office_list_shows_open_pairs_until_decided(claimed, commerce, office):
    ours, theirs = claimed
    groups = open_duplicate_groups()
    assert [(g.reason, [p.code for p in g.projects]) for g in groups] == [
        ("investor", ["SW-1", "CZ-1"])
    ]
    credit.mark_distinct(ours, theirs, by=office, reason="两个不同项目")
    assert open_duplicate_groups() == []
    with pytest.raises(Conflict):
        credit.mark_distinct(theirs, ours, by=office, reason="again")


def test_the_office_decides_on_the_page_and_both_pages_show_it(
    client, claimed, office, liaison, other_liaison, leader
):
    ours, theirs = claimed
    client.force_login(office)
    listed = client.get(reverse("projects:duplicates")).content.decode()
    assert reverse("projects:detail", args=[theirs.pk]) in listed
    url = reverse("projects:credit", args=[theirs.pk])
    assert "SW-1 电池" in client.get(url).content.decode()
    response = client.post(
        url, {"counterpart": ours.pk, "decision": "deny_this", "reason": "商务局首谈并签约"}
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.credit_denied_in_favour_of == ours

    # 财政局's liaison sees the decision on their project, 商务局's project named unlinked.
    client.force_login(other_liaison)
    html = client.get(reverse("projects:detail", args=[theirs.pk])).content.decode()
    assert "本项目不计入竞赛统计" in html and "商务局首谈并签约" in html
    assert "SW-1 电池" in html and reverse("projects:detail", args=[ours.pk]) not in html
    assert reverse("projects:credit", args=[theirs.pk]) not in html
    # 商务局's liaison sees it on theirs.
    client.force_login(liaison)
    html = client.get(reverse("projects:detail", args=[ours.pk])).content.decode()
    assert "归属本项目" in html and "CZ-1 新能源电池" in html
    # Leaders read, never decide; liaisons neither.
    client.force_login(leader)
    assert client.get(reverse("projects:duplicates")).status_code == 200
    page = client.get(reverse("projects:detail", args=[theirs.pk])).content.decode()
    assert "本项目不计入" in page
    for user in (leader, liaison, other_liaison):
        client.force_login(user)
        assert client.post(url, {"decision": "restore", "reason": "x"}).status_code == 403
    assert CreditDecision.objects.count() == 1


def test_restore_on_the_page(client, claimed, office):
    ours, theirs = claimed
    credit.deny_credit(theirs, in_favour_of=ours, by=office, reason="商务局首谈")
    client.force_login(office)
    url = reverse("projects:credit", args=[theirs.pk])
    refused = client.post(url, {"decision": "restore", "reason": ""})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    assert client.post(url, {"decision": "restore", "reason": "复核"}).status_code == 302
    theirs.refresh_from_db()
    assert theirs.is_credited


def test_the_demo_shows_a_decided_duplicate_and_keeps_the_speech_figures(db, settings):
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from competition.models import Competition
    from demo.loader import COMPETITION_NAME, SPEECH_FIGURES

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("loaddemo", stdout=StringIO())
    decision = CreditDecision.objects.select_related("project", "counterpart").get()
    lead, winner = decision.project, decision.counterpart
    assert decision.outcome == "denied" and decision.decided_by.username == "office1"
    assert lead.department_id != winner.department_id and not lead.is_credited
    assert duplicates.name_key(lead.name) == duplicates.name_key(winner.name)
    assert lead.investor != winner.investor and lead.investor_key == winner.investor_key
    assert open_duplicate_groups()  # others left for the office to decide
    competition = Competition.objects.get(name=COMPETITION_NAME)
    league = compute_league(competition, as_of=timezone.localdate())
    assert {m: league.totals[m] for m in SPEECH_FIGURES} == SPEECH_FIGURES


def test_same_names_in_two_departments_are_a_group_until_found_distinct(commerce, finance, office):
    ours = make_project(commerce, "SW-1", investor="甲公司", name="冷链物流园项目")
    theirs = make_project(finance, "CZ-1", investor="乙公司", name="冷链 物流园")
    make_project(commerce, "SW-2", investor="丙公司", name="冷链物流园")  # same department
    groups = open_duplicate_groups()
    assert [(g.reason, g.open_pairs, g.departments) for g in groups] == [("name", 2, 2)]
    credit.mark_distinct(ours, theirs, by=office, reason="两个不同地块")
    assert [g.open_pairs for g in open_duplicate_groups()] == [1]  # SW-2 and CZ-1 still open


def _groups(department_a, department_b, n):
    for i in range(n):
        make_project(department_a, f"A{i}", investor=f"客商{i}有限公司", name=f"甲{i}")
        make_project(department_b, f"B{i}", investor=f"上海客商{i}", name=f"乙{i}")


@pytest.mark.parametrize("more", [1, 30])
def test_the_duplicates_page_costs_the_same_queries_for_few_and_many(
    client, office, commerce, finance, django_assert_num_queries, more
):
    _groups(commerce, finance, more)
    client.force_login(office)
    client.get(reverse("projects:duplicates"))
    # session, user joined to their person and liaison departments (roles: 1), the investor
    # keys and the name keys shared by two departments (2), their projects with departments,
    # the pairs found distinct, the header's unread notifications count: 7.
    with django_assert_num_queries(7):
        html = client.get(reverse("projects:duplicates")).content.decode()
    assert html.count('href="/projects/') >= 2 * min(more, 25)
