"""Every URL of the projects app × every role × (own department, other department).

"Own" records belong to 商务局: the department of `staff_member` and of `liaison`.
"Other" records belong to 财政局, where `other_liaison` is the liaison. Pages that show no
single record answer the same for both columns (what they list is tested elsewhere).

Expected codes: 200 page, 302 done (or anonymous sent to log in), 403 the role may not
do this at all (or only read it), 404 the record is outside the user's departments.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from projects.forms import version_of
from projects.models import Milestone, Receipt, Stage
from tests.conftest import make_project, make_visit

ROLES = ("anonymous", "staff_member", "liaison", "other_liaison", "office", "leader")
PDF = b"%PDF-1.4\n%%EOF\n"

# url name, method, the record it is about, codes for own records, codes for other records
# (codes in the order of ROLES: anonymous, staff, liaison, other liaison, office, leader)
TABLE = [
    ("list", "GET", None, "302 403 200 200 200 200", "302 403 200 200 200 200"),
    ("create", "GET", None, "302 403 200 200 200 403", "302 403 200 200 200 403"),
    ("detail", "GET", "project", "302 404 200 404 200 200", "302 404 404 200 200 200"),
    ("edit", "GET", "project", "302 404 200 404 200 403", "302 404 404 200 200 403"),
    ("edit", "POST", "project", "302 404 302 404 302 403", "302 404 404 302 302 403"),
    ("lost", "GET", "project", "302 404 200 404 200 403", "302 404 404 200 200 403"),
    ("lost", "POST", "project", "302 404 302 404 302 403", "302 404 404 302 302 403"),
    ("milestone_create", "GET", "project", "302 404 200 404 200 403", "302 404 404 200 200 403"),
    ("receipt_create", "GET", "project", "302 404 200 404 200 403", "302 404 404 200 200 403"),
    ("milestone_edit", "GET", "milestone", "302 404 200 404 200 403", "302 404 404 200 200 403"),
    ("receipt_edit", "GET", "receipt", "302 404 200 404 200 403", "302 404 404 200 200 403"),
    ("resubmit", "POST", "returned", "302 404 302 404 302 403", "302 404 404 302 302 403"),
    ("evidence", "GET", "milestone", "302 404 200 404 200 200", "302 404 404 200 200 200"),
    ("evidence", "GET", "receipt", "302 404 200 404 200 200", "302 404 404 200 200 200"),
    ("returned", "GET", None, "302 403 200 200 200 200", "302 403 200 200 200 200"),
    ("queue", "GET", None, "302 403 403 403 200 403", "302 403 403 403 200 403"),
    ("queue_bulk", "POST", "bulk", "302 403 403 403 302 403", "302 403 403 403 302 403"),
    ("verify", "POST", "milestone", "302 403 403 403 302 403", "302 403 403 403 302 403"),
    ("return", "GET", "milestone", "302 403 403 403 200 403", "302 403 403 403 200 403"),
    ("return", "POST", "receipt", "302 403 403 403 302 403", "302 403 403 403 302 403"),
    ("visit_list", "GET", None, "302 403 200 200 200 200", "302 403 200 200 200 200"),
    ("visit_create", "GET", None, "302 403 200 200 200 403", "302 403 200 200 200 403"),
    ("visit_edit", "GET", "visit", "302 404 200 404 200 403", "302 404 404 200 200 403"),
    ("lead_list", "GET", None, "302 403 200 200 200 200", "302 403 200 200 200 200"),
    ("lead_create", "GET", None, "302 200 200 200 200 403", "302 200 200 200 200 403"),
    ("my_leads", "GET", None, "302 200 200 200 200 403", "302 200 200 200 200 403"),
]


def _cases():
    cases = []
    for name, method, about, own, other in TABLE:
        for side, codes in (("own", own), ("other", other)):
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
    return {
        "project": project,
        "milestone": pending,
        "returned": returned,
        "receipt": receipt,
        "visit": visit,
    }


def _request(name, method, about, records):
    """(url, POST data) for one row of the table."""
    kind = {"milestone": "milestone", "receipt": "receipt", "returned": "milestone"}.get(about)
    record = records.get(about)
    if name in {"evidence", "resubmit", "verify", "return"}:
        url = reverse(f"projects:{name}", args=[kind, record.pk])
    elif record is not None:
        url = reverse(f"projects:{name}", args=[record.pk])
    else:
        url = reverse(f"projects:{name}")
    data = {}
    if name == "queue_bulk":
        data = {"action": "verify", "milestone": records["milestone"].pk}
    elif name == "return":
        data = {"reason": "佐证不清"}
    elif name == "edit":
        project = records["project"]
        data = {"name": "改名", "code": project.code, "department": project.department_id}
        data |= {"industry": "industrial", "loaded_at": version_of(project.updated_at)}
    elif name == "lost":
        data = {"lost_on": "2026-04-01", "lost_reason": "转投外省"}
    return url, data


@pytest.fixture(autouse=True)
def _fast_and_fixed(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.mark.parametrize(("name", "method", "about", "side", "role", "expected"), _cases())
def test_permission(request, client, commerce, finance, name, method, about, side, role, expected):
    records = _records(commerce if side == "own" else finance)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    url, data = _request(name, method, about, records)
    before = _state(records)
    response = client.post(url, data) if method == "POST" else client.get(url)
    assert response.status_code == expected, response.content.decode()[:500]
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    if role == "anonymous" or expected in (403, 404):
        assert _state(records) == before, "a refused request changed something"


def _state(records):
    project = type(records["project"]).objects.get(pk=records["project"].pk)
    return (
        project.name,
        project.lost_on,
        *(
            type(r).objects.get(pk=r.pk).status
            for k, r in records.items()
            if k != "project" and k != "visit"
        ),
    )


def test_every_projects_url_is_in_the_table():
    from projects.urls import urlpatterns

    assert {p.name for p in urlpatterns} == {row[0] for row in TABLE}
