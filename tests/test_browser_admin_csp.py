"""The admin under our Content-Security-Policy (issue 16): its pages raise no violation in
Chromium, and the rest of the site keeps the strict policy (no inline style anywhere).

Named test_browser_*: like tests/test_browser.py it runs after tests/test_backup.py,
whose serialized restore clashes with the content types a transactional test run before
it leaves behind."""

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from competition.models import Competition, Quota
from tests.conftest import make_project

PASSWORD = "Pass-word-2026"

# Collects every violation the page reports, before any of its own scripts run.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _policy(response) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts if p[0]}


# Headers (no browser) ------------------------------------------------------------------
def test_admin_pages_allow_inline_styles_and_nothing_else_more(admin_client):
    policy = _policy(admin_client.get(reverse("admin:index")))
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["script-src"] == "'self'"  # scripts stay strict
    assert policy["default-src"] == "'self'" and policy["frame-ancestors"] == "'none'"


def test_the_rest_of_the_site_keeps_the_strict_policy(client, office, admin_client):
    client.force_login(office)
    for response in (
        client.get(reverse("home")),
        client.get(reverse("league")),
        admin_client.get(reverse("projects:list")),  # a superuser outside the admin
        client.get(reverse("login")),
    ):
        policy = _policy(response)
        assert policy["style-src"] == "'self'"
        assert policy["script-src"] == "'self'"


def test_a_path_merely_starting_like_the_admin_is_not_the_admin(client, office):
    client.force_login(office)
    response = client.get("/administrator/")  # not found, and not the admin
    assert _policy(response)["style-src"] == "'self'"


# In Chromium ----------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_pages_raise_no_csp_violation(browser, live_server, settings, commerce):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain HTTP
    User.objects.create_superuser("root", password=PASSWORD)
    project = make_project(commerce, "P1", name="风电装备项目")
    competition = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 3, 1), end_date=date(2026, 6, 8)
    )
    Quota.objects.create(competition=competition, department=commerce, signed_projects=1)

    context = browser.new_context(locale="zh-CN")
    context.add_init_script(LISTEN)
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}{reverse('admin:index')}")

    paths = [reverse("admin:index")]
    for model, obj in (
        ("departments_department", commerce),
        ("projects_project", project),
        ("competition_competition", competition),
    ):
        paths += [
            reverse(f"admin:{model}_changelist"),
            reverse(f"admin:{model}_change", args=[obj.pk]),
            reverse(f"admin:{model}_add"),
            reverse(f"admin:{model}_history", args=[obj.pk]),
        ]
    # Autocomplete widgets, read-only admins, Django's own.
    for name in (
        "competition_quota_add",
        "projects_milestone_add",
        "competition_snapshot_changelist",
        "accounts_securityevent_changelist",
        "auth_user_changelist",
    ):
        paths.append(reverse(f"admin:{name}"))
    seen = {}
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # violations are reported as tasks after the load
        assert "服务器错误" not in page.content(), path
        seen[path] = page.evaluate("window.__csp")
    # (simple-history's history page has style="border-top: 0": refused without the fix)
    assert {path: found for path, found in seen.items() if found} == {}
    assert [text for text in console if "Content Security Policy" in text] == []
