"""黄牌记录 and 整改 (competition.cards): the lifecycle at each bulletin, 整改 reviews, the pages.

The city: 百日竞赛 from 2026-03-01 (100 days); 商务局 has no records (yellow card and zero
result at every bulletin), 财政局 is ahead from March on. Bulletins are built weekly.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competition import cards
from competition.models import Rectification, Report, YellowCard
from competition.reports import content
from departments.models import Department
from notifications.models import Notification
from projects.models import Stage
from tests.conftest import (
    make_competition,
    make_milestone,
    make_person,
    make_project,
    make_receipt,
    make_visit,
)

PDF = b"%PDF-1.4\n%%EOF\n"
Kind = Notification.Kind


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-04-30 10:00 +08:00")


def make_ahead(department, code="F1"):
    """Records that keep `department` far above the yellow line from mid-March."""
    project = make_project(department, code)
    make_milestone(project, Stage.INTENT, date(2026, 3, 5))
    make_milestone(project, Stage.SIGNED, date(2026, 3, 6))
    make_receipt(project, date(2026, 3, 7), amount="500")
    make_milestone(project, Stage.GROUNDBREAKING, date(2026, 3, 8))
    for day in (3, 4, 9):
        make_visit(department, date(2026, 3, day))
    return project


@pytest.fixture
def comp(commerce, finance):
    competition = make_competition(commerce, finance)
    make_ahead(finance)
    return competition


def issue(comp, as_of: date, number: int | None = None) -> Report:
    """A bulletin row of `as_of` (numbered next) and its cards, built the day after."""
    number = number or (Report.objects.filter(competition=comp).count() + 1)
    report = Report.objects.create(
        competition=comp, kind=Report.Kind.BULLETIN, as_of=as_of, issue_number=number
    )
    cards.sync_cards(report, today=as_of + timedelta(days=1))
    return report


def card_of(department) -> YellowCard:
    return YellowCard.objects.get(department=department, lifted_on__isnull=True)


# The lifecycle ---------------------------------------------------------------------------
def test_a_bulletin_issues_cards_to_the_carded_departments_only(comp, commerce, finance, liaison):
    report = issue(comp, date(2026, 3, 15))
    card = YellowCard.objects.get()
    assert card.department == commerce and card.issued_report == report
    assert card.issued_on == date(2026, 3, 15) and card.consecutive_issues == 1
    assert card.score_at_issue == Decimal(0) and card.lifted_on is None
    assert card.rectification_due_on == date(2026, 3, 16) + timedelta(days=7)
    kinds = set(Notification.objects.filter(recipient=liaison).values_list("kind", flat=True))
    assert kinds == {Kind.CARD_ISSUED, Kind.RECTIFICATION_DUE}
    assert card.history.count() == 1


def test_an_open_card_continues_and_counts_consecutive_issues(comp, commerce, liaison):
    first = issue(comp, date(2026, 3, 15))
    issue(comp, date(2026, 3, 22))
    third = issue(comp, date(2026, 3, 29))
    card = YellowCard.objects.get()
    assert card.issued_report == first and card.last_report == third
    assert card.consecutive_issues == 3
    # One card, one notice: continuing tells nobody again.
    assert Notification.objects.filter(kind=Kind.CARD_ISSUED).count() == 1


def test_a_card_is_lifted_by_the_first_bulletin_that_no_longer_cards_the_department(
    comp, commerce, liaison
):
    issue(comp, date(2026, 3, 15))
    issue(comp, date(2026, 3, 22))
    make_ahead(commerce, code="C1")
    lifting = issue(comp, date(2026, 3, 29))
    card = YellowCard.objects.get()
    assert card.lifted_on == date(2026, 3, 29) and card.lifted_report == lifting
    assert card.score_at_lift > Decimal("0.7") and card.consecutive_issues == 2
    assert Notification.objects.filter(recipient=liaison, kind=Kind.CARD_LIFTED).count() == 1


def test_rebuilding_an_issue_gives_the_same_cards(comp, commerce):
    issue(comp, date(2026, 3, 15))
    second = issue(comp, date(2026, 3, 22))
    before = list(YellowCard.objects.values())
    notices = Notification.objects.count()
    for _ in range(2):
        cards.sync_cards(second, today=date(2026, 3, 23))
    assert list(YellowCard.objects.values()) == before
    assert Notification.objects.count() == notices
    assert YellowCard.history.count() == 2  # issued, continued: a rebuild changes nothing


def test_rebuilding_the_issue_that_lifted_a_card_reopens_it_when_carded_again(comp, commerce):
    issue(comp, date(2026, 3, 15))
    project = make_ahead(commerce, code="C1")
    lifting = issue(comp, date(2026, 3, 22))
    assert not YellowCard.objects.filter(lifted_on__isnull=True).exists()
    # The office returns the records that lifted it and rebuilds the issue.
    project.milestones.update(status="returned", return_reason="佐证不清")
    project.receipts.update(status="returned", return_reason="佐证不清")
    cards.sync_cards(lifting, today=date(2026, 3, 23))
    card = YellowCard.objects.get()
    assert card.lifted_on is None and card.consecutive_issues == 2


def test_a_rebuilt_issue_that_no_longer_cards_a_department_withdraws_its_new_card(comp, commerce):
    report = issue(comp, date(2026, 3, 15))
    assert YellowCard.objects.filter(issued_report=report).exists()
    make_ahead(commerce, code="C1")
    cards.sync_cards(report, today=date(2026, 3, 16))
    assert not YellowCard.objects.exists()
    assert YellowCard.history.filter(history_type="-").count() == 1


def test_an_older_issue_rebuilt_leaves_the_cards_to_the_newer_one(comp, commerce):
    first = issue(comp, date(2026, 3, 15))
    issue(comp, date(2026, 3, 22))
    before = list(YellowCard.objects.values())
    assert cards.sync_cards(first, today=date(2026, 4, 1)).skipped
    assert list(YellowCard.objects.values()) == before


def test_no_card_before_the_window_starts(comp):
    issue(comp, date(2026, 2, 20))
    assert not YellowCard.objects.exists()


def test_a_pack_is_no_bulletin_and_issues_nothing(comp):
    pack = Report.objects.create(competition=comp, kind=Report.Kind.PACK, as_of=date(2026, 3, 15))
    assert cards.sync_cards(pack) is None
    assert not YellowCard.objects.exists()


def test_building_a_bulletin_syncs_its_cards(comp, commerce, monkeypatch):
    from competition.reports import service

    monkeypatch.setattr(service, "render_report", lambda report: b"%PDF-fake")
    report = service.build_now(comp, kind=Report.Kind.BULLETIN, as_of=date(2026, 4, 29))
    assert report.status == Report.Status.DONE
    assert YellowCard.objects.get().issued_report == report


# 整改 ----------------------------------------------------------------------------------
@pytest.fixture
def card(comp, commerce):
    issue(comp, date(2026, 3, 15))
    return card_of(commerce)


def test_submit_then_return_then_resubmit_then_accept(card, liaison, office):
    rect = cards.submit_rectification(card, measures="一、加强走访。", by=liaison)
    assert rect.status == Rectification.Status.SUBMITTED
    assert Notification.objects.filter(recipient=office, kind=Kind.RECTIFICATION_SUBMITTED).exists()
    with pytest.raises(cards.RectificationError):
        cards.submit_rectification(card, measures="again", by=liaison)

    cards.return_rectification(card, by=office, reason="措施不具体")
    rect.refresh_from_db()
    assert rect.status == "returned" and rect.return_reason == "措施不具体"
    assert Notification.objects.filter(recipient=liaison, kind=Kind.RECTIFICATION_RETURNED).exists()
    with pytest.raises(cards.RectificationError):
        cards.accept_rectification(card, by=office)

    cards.submit_rectification(card, measures="一、每周走访三家企业。", by=liaison)
    cards.accept_rectification(card, by=office)
    rect.refresh_from_db()
    assert rect.status == "accepted" and rect.reviewed_by == office
    assert Notification.objects.filter(recipient=liaison, kind=Kind.RECTIFICATION_ACCEPTED).exists()
    # Every transition is a history row: submitted, returned, submitted, accepted.
    statuses = list(rect.history.order_by("history_date").values_list("status", flat=True))
    assert statuses == ["submitted", "returned", "submitted", "accepted"]


def test_a_return_needs_a_reason(card, liaison, office):
    cards.submit_rectification(card, measures="措施", by=liaison)
    with pytest.raises(cards.RectificationError):
        cards.return_rectification(card, by=office, reason="  ")


def test_rectification_states_over_time(card, liaison, office):
    due = card.rectification_due_on
    assert cards.rectification_state(card, today=due) == "due"
    assert cards.rectification_state(card, today=due + timedelta(days=1)) == "overdue"
    assert YellowCard.objects.filter(cards.overdue_q(today=due + timedelta(days=1))).exists()
    cards.submit_rectification(card, measures="措施", by=liaison)
    card = YellowCard.objects.select_related("rectification").get(pk=card.pk)
    assert cards.rectification_state(card, today=due + timedelta(days=1)) == "submitted"
    assert not YellowCard.objects.filter(cards.overdue_q(today=due + timedelta(days=1))).exists()
    cards.return_rectification(card, by=office, reason="不具体")
    card = YellowCard.objects.select_related("rectification").get(pk=card.pk)
    assert cards.rectification_state(card, today=due + timedelta(days=1)) == "overdue"
    assert YellowCard.objects.filter(cards.overdue_q(today=due + timedelta(days=1))).exists()


def test_a_lifted_card_owes_no_rectification(comp, commerce, liaison):
    issue(comp, date(2026, 3, 15))
    make_ahead(commerce, code="C1")
    issue(comp, date(2026, 3, 22))
    card = YellowCard.objects.get()
    assert cards.rectification_state(card, today=date(2026, 4, 30)) == "closed"
    assert not YellowCard.objects.filter(cards.overdue_q(today=date(2026, 4, 30))).exists()
    with pytest.raises(cards.RectificationError):
        cards.submit_rectification(card, measures="措施", by=liaison)


# Pages ---------------------------------------------------------------------------------
def test_the_liaison_submits_through_the_form_with_an_attachment(client, card, liaison):
    client.force_login(liaison)
    url = reverse("rectification_submit", args=[card.pk])
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("整改.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {"measures": "一、加强走访。", "attachment": upload})
    assert response.status_code == 302
    rect = Rectification.objects.get()
    assert rect.attachment.name.endswith(".pdf") and "整改" not in rect.attachment.name
    got = client.get(reverse("rectification_attachment", args=[card.pk]))
    assert got.status_code == 200 and got["X-Content-Type-Options"] == "nosniff"


def test_the_form_refuses_a_file_that_is_not_evidence(client, card, liaison):
    client.force_login(liaison)
    upload = SimpleUploadedFile("x.pdf", b"<html>", content_type="application/pdf")
    response = client.post(
        reverse("rectification_submit", args=[card.pk]), {"measures": "措施", "attachment": upload}
    )
    assert response.status_code == 200 and not Rectification.objects.exists()
    assert "只能上传PDF、JPEG或PNG文件" in response.content.decode()


def test_the_office_returns_and_accepts_from_the_pages(client, card, liaison, office):
    cards.submit_rectification(card, measures="措施", by=liaison)
    client.force_login(office)
    queue = client.get(reverse("rectification_queue")).content.decode()
    assert "商务局" in queue
    url = reverse("rectification_return", args=[card.pk])
    assert client.post(url, {"reason": "不具体"}).status_code == 302
    assert Rectification.objects.get().status == "returned"
    cards.submit_rectification(card, measures="措施二", by=liaison)
    assert client.post(reverse("rectification_accept", args=[card.pk])).status_code == 302
    assert Rectification.objects.get().status == "accepted"


def test_the_department_page_shows_its_card_history(client, comp, commerce, other_liaison):
    issue(comp, date(2026, 3, 15))
    issue(comp, date(2026, 3, 22))
    client.force_login(other_liaison)  # another department's liaison: figures, no links
    page = client.get(reverse("league_explain", args=[comp.pk, commerce.pk])).content.decode()
    assert "card-history" in page and "连续2期" in page
    assert reverse("card_detail", args=[card_of(commerce).pk]) not in page


def test_a_liaison_sees_only_its_own_cards(client, comp, commerce, finance, liaison, other_liaison):
    issue(comp, date(2026, 3, 15))
    client.force_login(other_liaison)
    assert "商务局" not in _table(client.get(reverse("cards")).content.decode())
    client.force_login(liaison)
    assert "商务局" in _table(client.get(reverse("cards")).content.decode())


def _table(html: str) -> str:
    return html[html.index("<table") :]


def _more_departments(comp, n):
    from competition.models import Quota

    for i in range(n):
        d = Department.objects.create(name=f"部门{i}", order=20 + i)
        Quota.objects.create(competition=comp, department=d, visit_batches=3, signed_projects=1)
        make_person(f"liaison{i}", department=d, liaison_for=[d])


def test_card_pages_cost_the_same_queries_for_few_and_many(client, comp, office, liaison):
    def count(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    issue(comp, date(2026, 3, 15))
    cards.submit_rectification(
        card_of(Department.objects.get(name="商务局")), measures="m", by=liaison
    )
    client.force_login(office)
    few = [count(reverse("cards")), count(reverse("rectification_queue"))]
    _more_departments(comp, 6)
    issue(comp, date(2026, 3, 22))
    for card in YellowCard.objects.filter(rectification__isnull=True):
        cards.submit_rectification(card, measures="m", by=office)
    assert YellowCard.objects.count() == 7 and Rectification.objects.count() == 7
    many = [count(reverse("cards")), count(reverse("rectification_queue"))]
    # Card list: session, user, roles (2), department and competition choices, count, cards
    # with their department, bulletins and 整改. Queue: session, user, roles (2), count, rows.
    assert few == many


# The printed bulletin and pack -------------------------------------------------------------
def test_the_bulletin_lists_consecutive_cards_and_the_pack_puts_them_first(comp, commerce):
    statistics = Department.objects.create(name="统计局", order=3)
    from competition.models import Quota

    Quota.objects.create(competition=comp, department=statistics, visit_batches=20)
    make_visit(statistics, date(2026, 3, 2), persons=1)  # some score, still carded
    issue(comp, date(2026, 3, 15))
    issue(comp, date(2026, 3, 22))
    issue(comp, date(2026, 3, 29))
    # 统计局 carded from the first issue; 商务局 too: make 商务局's run start later.
    YellowCard.objects.filter(department=commerce).update(
        issued_on=date(2026, 3, 22), consecutive_issues=2
    )
    summary = content.bulletin_content(comp, as_of=date(2026, 3, 29))
    streaks = {line.result.department_name: line.streak for line in summary.yellow_cards}
    assert streaks == {"商务局": 2, "统计局": 3}
    ordered = [line.result.department_name for line in summary.yellow_cards_by_streak]
    assert ordered == ["统计局", "商务局"]
    from competition.reports.html import render_document

    html = render_document(
        comp,
        kind=Report.Kind.BULLETIN,
        as_of=date(2026, 3, 29),
        issue_number=3,
        issued_on=date(2026, 3, 30),
    )
    assert "连续3期" in html and "连续2期" in html and "六、红黑榜" in html
    pack = render_document(
        comp,
        kind=Report.Kind.PACK,
        as_of=date(2026, 3, 29),
        issue_number=None,
        issued_on=date(2026, 3, 30),
    )
    cards_part = pack[pack.index('id="yellow-cards"') :]
    assert cards_part.index("统计局") < cards_part.index("商务局")


def test_the_department_page_costs_the_same_queries_for_one_card_or_many(
    client, comp, commerce, leader
):
    def count():
        url = reverse("league_explain", args=[comp.pk, commerce.pk])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"as_of": "2026-04-30"}).status_code == 200
        return len(captured)

    client.force_login(leader)
    issue(comp, date(2026, 3, 15))
    few = count()
    project = make_ahead(commerce, code="C1")
    issue(comp, date(2026, 3, 22))  # lifted
    project.milestones.update(status="returned", return_reason="佐证不清")
    project.receipts.update(status="returned", return_reason="佐证不清")
    issue(comp, date(2026, 3, 29))  # carded again: a second card
    assert YellowCard.objects.filter(department=commerce).count() == 2
    # The cards of the department with their bulletins and 整改: one query, any number.
    assert count() == few


def test_cards_and_rectifications_are_in_the_audit_log_of_their_department(
    client, card, commerce, finance, liaison, office
):
    from audit import changes as audit

    cards.submit_rectification(card, measures="措施", by=liaison)
    cards.return_rectification(card, by=office, reason="不具体")
    own = {row["audit_label"] for row in audit.change_rows(department_id=commerce.pk)}
    assert {"competition.YellowCard", "competition.Rectification"} <= own
    other = {row["audit_label"] for row in audit.change_rows(department_id=finance.pk)}
    assert "competition.Rectification" not in other
    client.force_login(office)
    page = client.get(reverse("audit:changes"), {"model": "competition.Rectification"})
    assert page.status_code == 200 and "不具体" in page.content.decode()
