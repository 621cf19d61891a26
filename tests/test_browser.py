"""End to end in Debian's Chromium (Playwright): a liaison on a phone, the office, a leader."""

from datetime import timedelta

import pytest
from django.utils import timezone

from competition.models import Competition, Quota, Snapshot
from projects.models import Milestone, Stage, Visit
from tests.conftest import make_milestone, make_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Pass-word-2026"  # tests.conftest.make_person


@pytest.fixture(autouse=True)
def _plain_http_cookies(settings):
    """The live server speaks plain HTTP; secure-only cookies would never come back."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def login(browser, live_server, username, **context):
    page = browser.new_context(locale="zh-CN", **context).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


@pytest.fixture
def competition(commerce):
    today = timezone.localdate()
    comp = Competition.objects.create(
        name="百日竞赛", start_date=today - timedelta(days=42), end_date=today + timedelta(days=57)
    )
    Quota.objects.create(competition=comp, department=commerce, visit_batches=5, signed_projects=1)
    return comp


def test_liaison_logs_a_visit_on_a_phone(browser, live_server, liaison, competition):
    page = login(
        browser, live_server, "liaison_commerce", viewport={"width": 390, "height": 844},
        is_mobile=True, has_touch=True,
    )  # fmt: skip
    page.goto(f"{live_server.url}/projects/visits/new/")
    page.fill("input[name=investor_org]", "上海某新能源公司")
    page.fill("input[name=persons]", "4")
    page.fill("input[name=host]", "王局长")
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()
    visit = Visit.objects.get()
    assert (visit.investor_org, visit.persons, visit.occurred_on) == (
        "上海某新能源公司", 4, timezone.localdate(),
    )  # fmt: skip
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1


def test_visit_form_refuses_zero_persons_with_a_chinese_message(
    browser, live_server, liaison, competition
):
    page = login(browser, live_server, "liaison_commerce")
    page.goto(f"{live_server.url}/projects/visits/new/")
    page.fill("input[name=investor_org]", "客商")
    # The form has novalidate: the server's message is what the liaison sees.
    page.fill("input[name=persons]", "0")
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()
    assert "人数至少为1" in page.content()
    assert not Visit.objects.exists()


def test_office_verifies_and_the_league_follows(
    browser, live_server, office, leader, commerce, competition
):
    project = make_project(commerce, "P1", name="风电装备项目")
    two_days_ago = timezone.localdate() - timedelta(days=2)
    make_milestone(project, Stage.SIGNED, two_days_ago, status="pending")
    page = login(browser, live_server, "office")
    page.goto(f"{live_server.url}/projects/verification/")
    assert "风电装备项目" in page.content()
    page.locator("button[formaction*='/verify/']").first.click()
    page.wait_for_load_state()
    assert Milestone.objects.get().status == "verified"
    # No broker here: the recompute ran in-process after the commit.
    snap = Snapshot.objects.get(competition=competition, as_of=timezone.localdate())
    assert snap.actuals["signed_projects"] == "1"

    leader_page = login(browser, live_server, "leader")
    leader_page.goto(f"{live_server.url}/league/")
    row = leader_page.locator("table.league-table tbody tr").first
    assert "商务局" in row.inner_text()
    assert "1 / 1" in row.inner_text()


def test_pages_load_no_external_resources(browser, live_server, leader, competition):
    page = login(browser, live_server, "leader")
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    for path in ("/", "/league/", "/dashboard/", "/projects/"):
        page.goto(f"{live_server.url}{path}")
    assert requested and all(url.startswith(live_server.url) for url in requested)
    assert "服务器错误" not in page.content()


def test_signing_with_evidence_verified_by_the_office_moves_stage_and_queue(
    browser, live_server, liaison, office, commerce, competition, artifacts_dir, tmp_path
):
    """The week in one test: the liaison logs a signing with its contract, the office
    verifies it; the project's stage and the verification queue change on the pages."""
    project = make_project(commerce, "P9", name="智能装备产业园")
    contract = tmp_path / "合同.pdf"
    contract.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    signed_on = (timezone.localdate() - timedelta(days=1)).isoformat()

    page = login(browser, live_server, "liaison_commerce", viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/projects/{project.pk}/milestones/new/")
    page.select_option("select[name=stage]", str(int(Stage.SIGNED)))
    page.fill("input[name=occurred_on]", signed_on)
    page.set_input_files("input[name=evidence]", str(contract))
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()
    page.screenshot(path=str(artifacts_dir / "1-liaison-logged-signing.png"), full_page=True)
    milestone = Milestone.objects.get(project=project)
    assert milestone.status == "pending" and milestone.evidence

    office_page = login(browser, live_server, "office")
    office_page.goto(f"{live_server.url}/projects/verification/")
    assert "智能装备产业园" in office_page.content()
    office_page.screenshot(path=str(artifacts_dir / "2-queue-before.png"), full_page=True)
    office_page.locator("button[formaction*='/verify/']").first.click()
    office_page.wait_for_load_state()
    office_page.goto(f"{live_server.url}/projects/verification/")
    assert "智能装备产业园" not in office_page.content()
    office_page.screenshot(path=str(artifacts_dir / "3-queue-after.png"), full_page=True)

    page.goto(f"{live_server.url}/projects/{project.pk}/")
    detail = page.content()
    page.screenshot(path=str(artifacts_dir / "4-project-signed.png"), full_page=True)
    assert "已核实" in detail and "正式签约" in detail
    page.goto(f"{live_server.url}/projects/?q=智能装备")
    row = page.locator("table tbody tr").first.inner_text()
    assert "正式签约" in row  # the list's stage reached


PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


def _overflow(page) -> int:
    """How far the page body is wider than the screen (0: nothing cut off or scrolling
    the whole page sideways; a wide table scrolls inside its own box)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def test_daily_pages_fit_a_375_pixel_phone(browser, live_server, liaison, competition, commerce):
    project = make_project(commerce, "PH1", name="手机上看的一个名字相当长的新能源装备制造项目")
    make_milestone(project, Stage.INTENT, timezone.localdate() - timedelta(days=3))
    page = login(browser, live_server, "liaison_commerce", **PHONE)
    urls = [
        "/",
        "/projects/",
        "/projects/visits/",
        "/projects/visits/new/",
        f"/projects/{project.pk}/milestones/new/",
        "/league/",
    ]
    wide = {}
    for url in urls:
        page.goto(f"{live_server.url}{url}")
        if (extra := _overflow(page)) > 0:
            wide[url] = extra
    assert not wide, f"pages wider than a 375 px screen (url: extra pixels): {wide}"
