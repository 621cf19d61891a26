"""Hardening (等保 2.0 level 2): CSP without inline script or style, clickjacking and
sniffing headers, CSRF on every form, uploads never run from our origin, upload rate limit.

`manage.py check --deploy` with production settings is tests/test_deploy_check.py.
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from competition.models import Competition, Quota
from projects.models import Milestone, Project, Receipt, Stage, Visit
from tests.conftest import make_milestone, make_project, make_receipt, make_visit
from web import ratelimit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
}


@pytest.fixture(autouse=True)
def _today(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()  # upload rate limits count per user and minute; ids and clocks repeat
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def world(commerce, liaison, staff_member):
    """A competition, a project with every kind of record, a visit and a lead."""
    competition = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 6, 1), end_date=date(2026, 9, 8)
    )
    Quota.objects.create(competition=competition, department=commerce, signed_projects=2)
    project = make_project(commerce, code="SW-001", name="新能源电池项目")
    milestone = make_milestone(project, Stage.INTENT, date(2026, 6, 10), status="pending")
    milestone.evidence.save("a.pdf", ContentFile(PDF))
    receipt = make_receipt(project, date(2026, 6, 20), status="pending")
    visit = make_visit(commerce, date(2026, 6, 5))
    return {
        "competition": competition,
        "project": project,
        "milestone": milestone,
        "receipt": receipt,
        "visit": visit,
        "commerce": commerce,
    }


def office_pages(world) -> list[str]:
    c, p = world["competition"], world["project"]
    dept = world["commerce"]
    m, r, v = world["milestone"], world["receipt"], world["visit"]
    return [
        reverse("home"),
        reverse("league"),
        reverse("league_explain", args=[c.pk, dept.pk]),
        reverse("league_records", args=[c.pk, dept.pk, "signed_projects"]),
        reverse("dashboard"),
        reverse("reports"),
        reverse("ledger_import"),
        reverse("projects:list"),
        reverse("projects:detail", args=[p.pk]),
        reverse("projects:create"),
        reverse("projects:edit", args=[p.pk]),
        reverse("projects:lost", args=[p.pk]),
        reverse("projects:milestone_create", args=[p.pk]),
        reverse("projects:receipt_create", args=[p.pk]),
        reverse("projects:milestone_edit", args=[m.pk]),
        reverse("projects:receipt_edit", args=[r.pk]),
        reverse("projects:return", args=["milestone", m.pk]),
        reverse("projects:queue"),
        reverse("projects:returned"),
        reverse("projects:visit_list"),
        reverse("projects:visit_create"),
        reverse("projects:visit_edit", args=[v.pk]),
        reverse("projects:lead_list"),
        reverse("projects:lead_create"),
        reverse("projects:my_leads"),
        reverse("accounts:people"),
        reverse("accounts:person_create"),
        reverse("accounts:password_change"),
        reverse("audit:changes"),
        reverse("audit:security"),
    ]


@pytest.fixture
def rendered(client, office, world):
    """Every page as the office sees it, and the login page as anyone does."""
    pages = {reverse("login"): Client().get(reverse("login"))}
    client.force_login(office)
    for url in office_pages(world):
        pages[url] = client.get(url)
    for url, response in pages.items():
        assert response.status_code == 200, url
    return pages


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)


def test_every_page_has_the_content_security_policy(rendered):
    for url, response in rendered.items():
        header = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in header.split(";"))
        assert directives == EXPECTED_CSP, url
        assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_no_page_needs_inline_script_or_style(rendered):
    """What the CSP would block: inline <script>, on*= handlers, style="" and <style>."""
    for url, response in rendered.items():
        html = response.content.decode()
        for pattern in (INLINE_SCRIPT, HANDLER, STYLE_ATTRIBUTE, STYLE_ELEMENT):
            found = pattern.findall(html)
            assert not found, (url, found[:3])


def test_templates_have_no_inline_script_or_style():
    """The same check over the template files, for pages no test renders.

    templates/competition/reports/ are PDFs rendered by WeasyPrint, never served as HTML:
    their <style> is not subject to the browser's CSP.
    """
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        if "reports" in path.relative_to(root).parts:
            continue
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, STYLE_ATTRIBUTE, STYLE_ELEMENT):
            offenders += [(str(path.relative_to(root)), m) for m in pattern.findall(text)]
    assert offenders == []


def test_markup_is_marked_safe_only_where_it_is_built():
    """Only the SVG charts build markup in Python, escaping every piece of text themselves;
    everything else is a template or format_html, which escape for us."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    apps = [p for p in root.iterdir() if (p / "__init__.py").exists() and p.name != "tests"]
    marked = sorted(
        str(path.relative_to(root))
        for app in apps
        for path in app.rglob("*.py")
        if "mark_safe" in path.read_text()
    )
    assert marked == ["competition/charts.py"]
    unescaped = [
        str(path.relative_to(root))
        for path in (root / "templates").rglob("*.html")
        if re.search(r"\|\s*safe\b|autoescape\s+off", path.read_text())
    ]
    assert unescaped == []


def test_framing_sniffing_and_referrer_headers(rendered):
    for url, response in rendered.items():
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url


def test_session_cookie_is_http_only_and_csrf_is_a_cookie_not_a_header(settings):
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.X_FRAME_OPTIONS == "DENY"


# CSRF --------------------------------------------------------------------------------
POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.I | re.S)


def test_every_post_form_carries_a_csrf_token(rendered):
    forms = 0
    for url, response in rendered.items():
        for body in POST_FORM.findall(response.content.decode()):
            forms += 1
            assert 'name="csrfmiddlewaretoken"' in body, url
    assert forms >= 20  # the crawl did reach the forms (logout on every page, and more)


def test_posts_without_a_token_are_refused_and_change_nothing(office, liaison, world):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("login"), {"username": "office", "password": "x"}).status_code == 403
    strict.force_login(office)
    p, m = world["project"], world["milestone"]
    counts = (Project.objects.count(), Visit.objects.count(), Receipt.objects.count())
    posts = [
        (reverse("projects:create"), {"name": "x", "department": p.department_id}),
        (reverse("projects:edit", args=[p.pk]), {"name": "改名"}),
        (reverse("projects:visit_create"), {"investor_org": "x", "persons": 1}),
        (reverse("projects:receipt_create", args=[p.pk]), {"amount": "1"}),
        (reverse("projects:verify", args=["milestone", m.pk]), {}),
        (reverse("projects:queue_bulk"), {"action": "verify", "milestone": [m.pk]}),
        (reverse("accounts:person_create"), {"username": "x", "name": "x", "is_leader": "on"}),
        (reverse("accounts:person_active", args=[liaison.pk]), {"action": "deactivate"}),
        (reverse("logout"), {}),
    ]
    for url, data in posts:
        assert strict.post(url, data).status_code == 403, url
    assert (Project.objects.count(), Visit.objects.count(), Receipt.objects.count()) == counts
    m.refresh_from_db()
    p.refresh_from_db()
    liaison.refresh_from_db()
    assert m.status == "pending" and p.name == "新能源电池项目" and liaison.is_active


# Uploads -------------------------------------------------------------------------------
DISGUISED = [
    ("合同.pdf", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"),
    ("合同.pdf", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("合同.pdf", b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg' onload='x()'/>"),
    ("photo.jpg", b"GIF89a<script>alert(1)</script>"),
    ("scan.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
    ("page.html", PDF),
]


@pytest.mark.parametrize(("name", "content"), DISGUISED)
def test_html_or_svg_disguised_as_evidence_is_refused(client, liaison, world, name, content):
    client.force_login(liaison)
    project = world["project"]
    before = Milestone.objects.count()
    response = client.post(
        reverse("projects:milestone_create", args=[project.pk]),
        {
            "stage": Stage.SIGNED,
            "occurred_on": "2026-06-25",
            "evidence": SimpleUploadedFile(name, content, content_type="application/pdf"),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "只能上传PDF、JPEG或PNG文件" in html or "与扩展名不符" in html
    assert Milestone.objects.count() == before


def evidence_url(milestone) -> str:
    return reverse("projects:evidence", args=["milestone", milestone.pk])


def test_a_pdf_is_served_as_a_pdf_never_sniffed(client, office, world):
    client.force_login(office)
    response = client.get(evidence_url(world["milestone"]))
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]


def test_a_pdf_polyglot_carrying_html_is_still_only_a_pdf(client, office, world):
    milestone = world["milestone"]
    milestone.evidence.save("b.pdf", ContentFile(b"%PDF-1.4\n<html><script>alert(1)</script>"))
    client.force_login(office)
    response = client.get(evidence_url(milestone))
    assert response["Content-Type"] == "application/pdf"  # never text/html
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_stored_file_that_is_not_pdf_or_image_is_downloaded_never_shown(client, office, world):
    """A file stored before the checks existed, or put there by hand: attachment only."""
    milestone = world["milestone"]
    milestone.evidence.save("old.pdf", ContentFile(b"<html><script>alert(1)</script></html>"))
    client.force_login(office)
    response = client.get(evidence_url(milestone))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_media_is_not_served_from_media_url(client, office, world):
    client.force_login(office)
    name = world["milestone"].evidence.name
    assert client.get(f"/media/{name}").status_code == 404


# Upload rate limit ---------------------------------------------------------------------
@pytest.fixture
def limited_view():
    calls = []

    @ratelimit.rate_limited("upload")
    def view(request):
        calls.append(request.method)
        return HttpResponse("ok")

    return view, calls


def _request(user, method="post"):
    request = getattr(RequestFactory(), method)("/upload/", REMOTE_ADDR="10.0.0.1")
    request.user = user
    request.session = {}
    return request


def test_uploads_are_limited_per_user_and_minute(
    limited_view, liaison, other_liaison, settings, time_machine
):
    from django.core.cache import cache

    cache.clear()
    settings.UPLOAD_RATE_PER_MINUTE = 3
    view, calls = limited_view
    assert [view(_request(liaison)).status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = view(_request(liaison))
    assert "操作过于频繁" in refused.content.decode() and refused["Retry-After"] == "60"
    assert view(_request(liaison, "get")).status_code == 200  # showing the form is free
    assert view(_request(other_liaison)).status_code == 200  # per user
    time_machine.shift(61)
    assert view(_request(liaison)).status_code == 200  # a new minute
    assert calls.count("POST") == 5


def test_a_broken_cache_lets_uploads_through(limited_view, liaison, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(ratelimit.cache, "add", broken)
    view, calls = limited_view
    assert view(_request(liaison)).status_code == 200
    assert "not checked: cache unavailable" in caplog.text


def test_the_upload_views_are_rate_limited(client, liaison, office, world, settings):
    from django.core.cache import cache

    cache.clear()
    settings.UPLOAD_RATE_PER_MINUTE = 2
    client.force_login(liaison)
    url = reverse("projects:receipt_create", args=[world["project"].pk])
    answers = [
        client.post(url, {"occurred_on": "2026-06-25", "amount": "1"}).status_code for _ in range(3)
    ]
    assert answers[-1] == 429 and 429 not in answers[:2]
    client.force_login(office)
    ledger = [client.post(reverse("ledger_import"), {}).status_code for _ in range(3)]
    assert ledger[-1] == 429
