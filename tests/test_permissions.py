"""Every URL of the site × every persona × (own department, other department).

Two checks:

1. Walking the URL conf (config.urls, every include; the admin has Django's own
   permissions): every view declares who may use it, `@require(Role.…)` or `@public`
   (web.access). A new URL without a declaration fails here.
2. The table below: every named URL, requested by each persona, answers as expected. A
   URL missing from the table fails `test_every_url_is_in_the_table`.

"Own" records belong to 商务局: the department of `staff_member` and of `liaison`.
"Other" records belong to 财政局, where `other_liaison` is the liaison. `nobody` is logged
in but holds no role (no Person). Rows about no department have one column of codes.

Expected codes: 200 page, 302 done (anonymous: sent to log in, unless the page is public),
403 the role may not do this at all (or only read it), 404 the record is outside the
user's departments, 405 the method is not accepted.
"""

# ruff: noqa: E501  (the table keeps one URL a line, to be read down its columns)

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone

from competition.models import Rectification, Report, YellowCard
from notifications.models import Notification
from notifications.services import notify
from projects.forms import version_of
from projects.models import EvidencePolicy, Milestone, Receipt, Stage, Visit
from projects.services import policy_rows
from tests.conftest import make_competition, make_project, make_visit
from web.access import declaration, public, require

ROLES = ("anonymous", "nobody", "staff_member", "liaison", "other_liaison", "office", "leader")
PDF = b"%PDF-1.4\n%%EOF\n"

# url name, method, what it is about, codes for own records, codes for other records (None:
# the page is about no department). Codes in the order of ROLES: anonymous, nobody, staff,
# liaison (商务局), other liaison (财政局), office, leader.
TABLE = [
    # Public: anyone, logged in or not
    ("healthz", "GET", None, "200 200 200 200 200 200 200", None),
    ("login", "GET", None, "200 200 200 200 200 200 200", None),
    ("logout", "POST", None, "302 302 302 302 302 302 302", None),
    ("set_language", "POST", None, "302 302 302 302 302 302 302", None),
    # One's own login
    ("home", "GET", None, "302 200 200 200 200 200 200", None),
    ("accounts:password_change", "GET", None, "302 200 200 200 200 200 200", None),
    # Projects
    ("projects:list", "GET", None, "302 403 403 200 200 200 200", None),
    ("projects:create", "GET", None, "302 403 403 200 200 200 403", None),
    ("projects:detail", "GET", "project", "302 403 403 200 404 200 200", "302 403 403 404 200 200 200"),
    ("projects:edit", "GET", "project", "302 403 403 200 404 200 403", "302 403 403 404 200 200 403"),
    ("projects:edit", "POST", "project", "302 403 403 302 404 302 403", "302 403 403 404 302 302 403"),
    ("projects:lost", "GET", "project", "302 403 403 200 404 200 403", "302 403 403 404 200 200 403"),
    ("projects:lost", "POST", "project", "302 403 403 302 404 302 403", "302 403 403 404 302 302 403"),
    # Credit decisions (归属认定): the office decides; the list of possible duplicates is read by leaders too
    ("projects:credit", "GET", "project", "302 403 403 403 403 200 403", "302 403 403 403 403 200 403"),
    ("projects:duplicates", "GET", None, "302 403 403 403 403 200 200", None),
    # Milestones and receipts
    ("projects:milestone_create", "GET", "project", "302 403 403 200 404 200 403", "302 403 403 404 200 200 403"),
    ("projects:receipt_create", "GET", "project", "302 403 403 200 404 200 403", "302 403 403 404 200 200 403"),
    ("projects:milestone_edit", "GET", "milestone", "302 403 403 200 404 200 403", "302 403 403 404 200 200 403"),
    ("projects:receipt_edit", "GET", "receipt", "302 403 403 200 404 200 403", "302 403 403 404 200 200 403"),
    ("projects:resubmit", "POST", "returned", "302 403 403 302 404 302 403", "302 403 403 404 302 302 403"),
    ("projects:evidence", "GET", "milestone", "302 403 403 200 404 200 200", "302 403 403 404 200 200 200"),
    ("projects:evidence", "GET", "receipt", "302 403 403 200 404 200 200", "302 403 403 404 200 200 200"),
    ("projects:returned", "GET", None, "302 403 403 200 200 200 200", None),
    # Verification: the office only
    ("projects:queue", "GET", None, "302 403 403 403 403 200 403", None),
    ("projects:queue_bulk", "POST", "bulk", "302 403 403 403 403 302 403", None),
    ("projects:verify", "POST", "milestone", "302 403 403 403 403 302 403", "302 403 403 403 403 302 403"),
    ("projects:return", "GET", "milestone", "302 403 403 403 403 200 403", "302 403 403 403 403 200 403"),
    ("projects:return", "POST", "receipt", "302 403 403 403 403 302 403", "302 403 403 403 403 302 403"),
    # Visits and leads
    ("projects:visit_list", "GET", None, "302 403 403 200 200 200 200", None),
    ("projects:visit_create", "GET", None, "302 403 403 200 200 200 403", None),
    ("projects:visit_edit", "GET", "visit", "302 403 403 200 404 200 403", "302 403 403 404 200 200 403"),
    ("projects:visit_detail", "GET", "visit", "302 403 403 200 404 200 200", "302 403 403 404 200 200 200"),
    # Visits are reviewed as milestones and receipts are (issue 20)
    ("projects:evidence", "GET", "pending_visit", "302 403 403 200 404 200 200", "302 403 403 404 200 200 200"),
    ("projects:verify", "POST", "pending_visit", "302 403 403 403 403 302 403", "302 403 403 403 403 302 403"),
    ("projects:return", "POST", "pending_visit", "302 403 403 403 403 302 403", "302 403 403 403 403 302 403"),
    ("projects:resubmit", "POST", "returned_visit", "302 403 403 302 404 302 403", "302 403 403 404 302 302 403"),
    # The evidence policy: the office only
    ("projects:evidence_policy", "GET", None, "302 403 403 403 403 200 403", None),
    ("projects:evidence_policy", "POST", None, "302 403 403 403 403 302 403", None),
    ("projects:lead_list", "GET", None, "302 403 403 200 200 200 200", None),
    ("projects:lead_create", "GET", None, "302 403 200 200 200 200 403", None),
    ("projects:my_leads", "GET", None, "302 403 200 200 200 200 403", None),
    # League: liaisons, the office and leaders; a figure's records only for one's departments
    ("league", "GET", None, "302 403 403 200 200 200 200", None),
    ("league_explain", "GET", "department", "302 403 403 200 200 200 200", "302 403 403 200 200 200 200"),
    ("league_records", "GET", "department", "302 403 403 200 404 200 200", "302 403 403 404 200 200 200"),
    # Leaders read everything; the office builds
    ("dashboard", "GET", None, "302 403 403 403 403 200 200", None),
    ("reports", "GET", None, "302 403 403 403 403 200 200", None),
    ("reports", "POST", None, "302 403 403 403 403 200 403", None),
    ("report_status", "GET", "report", "302 403 403 403 403 200 200", None),
    ("report_download", "GET", "report", "302 403 403 403 403 200 200", None),
    ("report_rebuild", "POST", "building_report", "302 403 403 403 403 302 403", None),
    ("report_rebuild", "GET", "building_report", "302 403 403 403 403 405 403", None),
    ("report_number", "POST", "building_report", "302 403 403 403 403 302 403", None),
    ("report_number", "GET", "building_report", "302 403 403 403 403 405 403", None),
    ("ledger_import", "GET", None, "302 403 403 403 403 200 403", None),
    ("ledger_confirm", "POST", None, "302 403 403 403 403 302 403", None),
    ("ledger_template", "GET", None, "302 403 403 403 403 200 403", None),
    ("ledger_export", "GET", "competition", "302 403 403 403 403 200 200", None),
    # Notifications: every signed-in user, their own only (another's answers 404)
    ("notifications:list", "GET", None, "302 200 200 200 200 200 200", None),
    ("notifications:read", "POST", "notification", "302 404 404 404 404 404 404", None),
    ("notifications:read", "GET", "notification", "302 405 405 405 405 405 405", None),
    ("notifications:read_all", "POST", None, "302 302 302 302 302 302 302", None),
    ("notifications:preference", "POST", None, "302 302 302 302 302 302 302", None),
    # Yellow cards and 整改: liaisons their own, leaders read, the office reviews
    ("cards", "GET", None, "302 403 403 200 200 200 200", None),
    ("card_detail", "GET", "card", "302 403 403 200 404 200 200", "302 403 403 404 200 200 200"),
    ("rectification_submit", "GET", "card", "302 403 403 200 404 200 403", "302 403 403 404 200 200 403"),
    ("rectification_submit", "POST", "card", "302 403 403 302 404 302 403", "302 403 403 404 302 302 403"),
    ("rectification_attachment", "GET", "card", "302 403 403 200 404 200 200", "302 403 403 404 200 200 200"),
    ("rectification_accept", "POST", "card", "302 403 403 403 403 302 403", "302 403 403 403 403 302 403"),
    ("rectification_accept", "GET", "card", "302 403 403 403 403 405 403", "302 403 403 403 403 405 403"),
    ("rectification_return", "GET", "card", "302 403 403 403 403 200 403", "302 403 403 403 403 200 403"),
    ("rectification_return", "POST", "card", "302 403 403 403 403 302 403", "302 403 403 403 403 302 403"),
    ("rectification_queue", "GET", None, "302 403 403 403 403 200 403", None),
    # 红黑榜 names departments like the league; a department's 基础工作 records are its own
    ("honours", "GET", None, "302 403 403 200 200 200 200", None),
    ("honour_basics", "GET", "department", "302 403 403 200 404 200 200", "302 403 403 404 200 200 200"),
    # People and the audit log: the office only
    ("accounts:people", "GET", None, "302 403 403 403 403 200 403", None),
    ("accounts:person_create", "GET", None, "302 403 403 403 403 200 403", None),
    ("accounts:person_active", "POST", "account", "302 403 403 403 403 302 403", None),
    ("accounts:person_reset_password", "POST", "account", "302 403 403 403 403 200 403", None),
    ("audit:changes", "GET", None, "302 403 403 403 403 200 403", None),
    ("audit:security", "GET", None, "302 403 403 403 403 200 403", None),
]  # fmt: skip


# The URL conf ---------------------------------------------------------------------------
def url_views(patterns, namespace=""):
    """(name, view) of every URL in `patterns`, through includes; the admin is left out."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # Django's own permissions (is_staff, model permissions)
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_views(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name or pattern.pattern}", pattern.callback


def undeclared(patterns) -> list[str]:
    return [name for name, view in url_views(patterns) if declaration(view) is None]


def test_every_view_declares_who_may_use_it():
    from config.urls import urlpatterns

    assert undeclared(urlpatterns) == []


def test_a_view_without_a_declaration_is_found():
    def bare(request): ...

    patterns = [
        path("open/", public(bare), name="open"),
        path("office/", require(lambda request: True)(bare), name="declared"),
        path("bare/", bare, name="bare"),
    ]
    assert undeclared(patterns) == ["bare"]


def test_every_url_is_in_the_table():
    from config.urls import urlpatterns

    assert {name for name, _view in url_views(urlpatterns)} == {row[0] for row in TABLE}


# The table ------------------------------------------------------------------------------
def _cases():
    cases = []
    for name, method, about, own, other in TABLE:
        for side, codes in (("own", own), ("other", other)):
            if codes is None:
                continue
            for role, code in zip(ROLES, codes.split(), strict=True):
                label = f"{method} {name}:{about or '-'} {side} {role}"
                cases.append(pytest.param(name, method, about, side, role, int(code), id=label))
    return cases


def _records(department):
    """One of each record in `department`, pending with evidence (one milestone returned)."""
    project = make_project(department, code=f"P-{department.pk}")
    pending = Milestone(project=project, stage=Stage.INTENT, occurred_on=date(2026, 3, 1))
    pending.evidence.save("m.pdf", ContentFile(PDF), save=False)
    pending.save()
    returned = Milestone.objects.create(
        project=project,
        stage=Stage.LEAD,
        occurred_on=date(2026, 2, 1),
        status="returned",
        return_reason="信息不全",
    )
    receipt = Receipt(project=project, occurred_on=date(2026, 3, 5), amount=100)
    receipt.evidence.save("r.pdf", ContentFile(PDF), save=False)
    receipt.save()
    visit = make_visit(department, date(2026, 3, 2))
    pending_visit = Visit(
        department=department, occurred_on=date(2026, 3, 3), investor_org="客商", persons=2
    )
    pending_visit.evidence.save("v.pdf", ContentFile(PDF), save=False)
    pending_visit.save()
    returned_visit = make_visit(
        department, date(2026, 3, 4), status="returned", return_reason="人数不符"
    )
    return {
        "pending_visit": pending_visit,
        "returned_visit": returned_visit,
        "department": department,
        "project": project,
        "milestone": pending,
        "returned": returned,
        "receipt": receipt,
        "visit": visit,
    }


def _site(commerce, finance):
    """What the pages about no department need: a competition, reports, an account."""
    competition = make_competition(commerce, finance)
    report = Report.objects.create(
        competition=competition,
        kind=Report.Kind.BULLETIN,
        as_of=date(2026, 6, 8),
        issue_number=1,
        status=Report.Status.DONE,
        finished_at=timezone.now(),
    )
    report.file.save("x.pdf", ContentFile(PDF))
    # Rendering since just now: a rebuild is refused, so no PDF is built here.
    building = Report.objects.create(
        competition=competition,
        kind=Report.Kind.BULLETIN,
        as_of=date(2026, 6, 1),
        issue_number=2,
        status=Report.Status.RENDERING,
        started_at=timezone.now(),
    )
    account = User.objects.create_user("target", password="Pass-word-2026")
    # Another user's notification: no persona may see or mark it.
    [notification] = notify(recipients=[account], kind=Notification.Kind.CARD_ISSUED, title="黄牌")
    return {
        "competition": competition,
        "report": report,
        "building_report": building,
        "account": account,
        "notification": notification,
    }


def _request(name, method, about, objects):
    """(url, POST data) for one row of the table."""
    record = objects.get(about)
    competition = objects["competition"]
    kind = {
        "milestone": "milestone",
        "receipt": "receipt",
        "returned": "milestone",
        "pending_visit": "visit",
        "returned_visit": "visit",
    }.get(about)
    if name in {"projects:evidence", "projects:resubmit", "projects:verify", "projects:return"}:
        args = [kind, record.pk]
    elif name == "honour_basics":
        args = [competition.pk, record.pk]
    elif name == "league_explain":
        args = [competition.pk, record.pk]
    elif name == "league_records":
        args = [competition.pk, record.pk, "signed_projects"]
    elif about == "bulk" or record is None:
        args = []
    else:
        args = [record.pk]
    data = {}
    if name == "projects:queue_bulk":
        data = {"action": "verify", "milestone": objects["milestone"].pk}
    elif name == "projects:return":
        data = {"reason": "佐证不清"}
    elif name == "projects:edit":
        project = objects["project"]
        data = {"name": "改名", "code": project.code, "department": project.department_id}
        data |= {"industry": "industrial", "loaded_at": version_of(project.updated_at)}
    elif name == "projects:lost":
        data = {"lost_on": "2026-04-01", "lost_reason": "转投外省"}
    elif name == "projects:evidence_policy":
        rows = policy_rows()
        data = {"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": len(rows)}
        for i, row in enumerate(rows):
            data |= {f"form-{i}-id": row.pk, f"form-{i}-document": row.document or "材料"}
            data |= {f"form-{i}-required": "on"}
    elif name == "set_language":
        data = {"language": "en", "next": "/"}
    elif name == "rectification_submit":
        data = {"measures": "一、加强走访。"}
    elif name == "rectification_return":
        data = {"reason": "措施不具体"}
    elif name == "accounts:person_active":
        data = {"action": "deactivate"}
    return reverse(name, args=args), data


def _state(objects):
    """What a refused request must leave as it was."""
    project = type(objects["project"]).objects.get(pk=objects["project"].pk)
    account = User.objects.get(pk=objects["account"].pk)
    records = ("milestone", "returned", "receipt", "pending_visit", "returned_visit")
    return (
        project.name,
        project.lost_on,
        *(type(objects[k]).objects.get(pk=objects[k].pk).status for k in records),
        account.is_active,
        account.password,
        objects["notification"].__class__.objects.get(pk=objects["notification"].pk).read_at,
        *EvidencePolicy.objects.order_by("kind").values_list("required", "document"),
        *Report.objects.order_by("issue_number").values_list("status", flat=True),
        Report.objects.count(),
        *Rectification.objects.order_by("pk").values_list("status", "measures"),
    )


def _card(objects):
    """A card of the records' department issued at the site's bulletin, its 整改 submitted
    with an attachment."""
    card = YellowCard.objects.create(
        competition=objects["competition"],
        department=objects["department"],
        issued_report=objects["report"],
        issued_on=date(2026, 6, 8),
        score_at_issue=Decimal("0.3"),
        last_report=objects["report"],
        last_score=Decimal("0.3"),
        rectification_due_on=date(2026, 6, 16),
    )
    rect = Rectification(card=card, measures="措施", submitted_at=timezone.now())
    rect.attachment.save("a.pdf", ContentFile(PDF), save=False)
    rect.save()
    return {"card": card}


@pytest.fixture
def nobody(db):
    """Logged in, but no Person: no role at all."""
    return User.objects.create_user("nobody", password="Pass-word-2026")


@pytest.fixture(autouse=True)
def _fast_and_fixed(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.mark.parametrize(("name", "method", "about", "side", "role", "expected"), _cases())
def test_permission(request, client, commerce, finance, name, method, about, side, role, expected):
    objects = _site(commerce, finance) | _records(commerce if side == "own" else finance)
    objects |= _card(objects)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    url, data = _request(name, method, about, objects)
    before = _state(objects)
    response = client.post(url, data) if method == "POST" else client.get(url)
    assert response.status_code == expected, response.content.decode(errors="replace")[:500]
    sent_to_log_in = role == "anonymous" and declaration(response.resolver_match.func) is not True
    if sent_to_log_in:
        assert response["Location"].startswith(reverse("login"))
    if sent_to_log_in or expected in (403, 404, 405):
        assert _state(objects) == before, "a refused request changed something"
