"""No dead ends: every link a role sees leads to a page that role may open.

From each role's home, follow every link of this site (GET, breadth first, query strings
included) and fail on any that answers 403 or 404 (or 500) for that role. A figure the
role may not open is shown without a link.
"""

import re
from collections import deque
from datetime import date
from html import unescape
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from competition.cards import submit_rectification, sync_cards
from competition.league.snapshots import recompute_snapshots
from competition.models import Competition, Quota, Report, YellowCard
from projects.models import Stage
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

LINK = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')
SKIPPED = ("/static/", "/media/", "/admin/", "/accounts/logout/", "/i18n/")
PAGE_LIMIT = 150


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-04-30 10:00 +08:00")


@pytest.fixture
def world(commerce, finance, staff_member):
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 3, 1), end_date=date(2026, 6, 8)
    )
    for d in (commerce, finance):
        Quota.objects.create(
            competition=comp, department=d, visit_batches=4, signed_projects=2, funds_amount=500
        )
    for d, code in ((commerce, "C1"), (finance, "F1")):
        p = make_project(d, code, submitted_by=staff_member if d == commerce else None)
        make_milestone(p, Stage.INTENT, date(2026, 3, 5))
        make_milestone(p, Stage.SIGNED, date(2026, 3, 20))
        make_receipt(p, date(2026, 4, 1), amount="120")
        make_milestone(p, Stage.GROUNDBREAKING, date(2026, 4, 20), status="pending")
        make_visit(d, date(2026, 3, 10), persons=3)
    recompute_snapshots(comp, as_of=date(2026, 4, 30))
    # A bulletin that carded both departments, and 商务局's 整改 with an attachment.
    report = Report.objects.create(
        competition=comp, kind=Report.Kind.BULLETIN, as_of=date(2026, 4, 25), issue_number=1
    )
    sync_cards(report, today=date(2026, 4, 26))
    assert YellowCard.objects.count() == 2
    card = YellowCard.objects.get(department=commerce)
    upload = SimpleUploadedFile("z.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    upload.name = "z.pdf"
    submit_rectification(card, measures="措施", attachment=upload, by=None)
    return comp


def _links(html: str) -> list[str]:
    found = []
    for href in LINK.findall(html):
        href = urldefrag(unescape(href))[0]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/"):
            continue
        if href.startswith(SKIPPED) or "_export=" in href:
            continue
        found.append(href)
    return found


def crawl(client) -> dict[str, int]:
    """Every page reachable from home: URL -> status, and where each was linked from."""
    seen: dict[str, int] = {}
    origin: dict[str, str] = {}
    queue = deque([reverse("home")])
    while queue and len(seen) < PAGE_LIMIT:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for link in _links(response.content.decode()):
            if link not in seen:
                origin.setdefault(link, url)
                queue.append(link)
    return {url: (status, origin.get(url, "")) for url, status in seen.items()}


@pytest.mark.parametrize(
    "persona", ["liaison", "other_liaison", "staff_member", "office", "leader"]
)
def test_every_link_a_role_sees_opens(client, request, world, persona):
    client.force_login(request.getfixturevalue(persona))
    pages = crawl(client)
    dead = {url: hit for url, hit in pages.items() if hit[0] in (403, 404) or hit[0] >= 500}
    assert not dead, f"{persona} sees links that do not open (url: status, linked from): {dead}"
    assert len(pages) > 3  # the crawl did get somewhere
    if persona != "staff_member":  # the card and 红黑榜 pages were walked too
        assert any(url.startswith("/cards/") for url in pages)
        assert any(url.startswith("/honours/") for url in pages)
