"""Every form of the projects pages, posted through its view with generated input.

The property, for each form: any input is answered below 500, and the post changes
nothing unless what it stores is valid. "Changes nothing" is every row of projects,
milestones, receipts and visits, their history rows and the create forms' tokens; "valid"
is the models' own full_clean() of every row that is new or changed, which a refused
post must leave untouched. A refused post that shows its form again says why, and a
create form posted again with a token already used stores nothing.

The values are a mix of the plausible (so that many posts are accepted) and the hostile
(out-of-range numbers, malformed dates, markup, unknown choices, other departments' ids).
Examples are bounded (HYPOTHESIS_EXAMPLES, default 30) and the same every run.
"""

import os
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from projects.forms import version_of
from projects.models import Milestone, Project, Receipt, Stage, Submission, Visit
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "30"))
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples every run: no flaky CI
)
MODELS = (Project, Milestone, Receipt, Visit)
PDF = b"%PDF-1.4\n%%EOF\n"

HOSTILE = st.sampled_from(
    [
        "<script>x</script>",
        '"><img src=x onerror=alert(1)>',
        "=1+1",
        "a\x00b",
        "x" * 300,
        " ",
        "NaN",
        "sNaN",
        "-Infinity",
        "1e309",
        "９９",
        "2147483648",
        "99999999999999999999",
        "0001-01-01",
        "9999-12-31",
        "2026-02-30",
        "-1",
        "0",
    ]
)
NAMES = st.sampled_from(["某集团", "上海某公司", "洽谈", "王明", "新能源电池项目"])
TEXT = st.one_of(st.just(""), NAMES, st.text(max_size=30), HOSTILE)
PAST = st.dates(min_value=date(2026, 6, 1), max_value=date(2026, 6, 30)).map(str)
DATES = st.one_of(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 7, 3)).map(str), TEXT)
MONEY = st.decimals(min_value=0, max_value=99999, places=2).map(str)
AMOUNTS = st.one_of(
    st.decimals(min_value=-5, max_value=10**11, places=2).map(str),
    st.sampled_from(["9999999999.99", "10000000000", "0.01", "-0.01"]),
    TEXT,
)
PERSONS = st.one_of(st.integers(min_value=-3, max_value=3_000_000_000).map(str), TEXT)
CODES = st.one_of(st.from_regex(r"[A-Z]{1,3}(-[0-9A-Za-z]{1,6}){0,2}", fullmatch=True), TEXT)
DEPARTMENTS = st.sampled_from(["own", "other", "junk", ""])
TOKEN = st.sampled_from(["fresh", "fresh", "reuse", "junk", "none"])


def choice(values):
    return st.one_of(st.sampled_from(values), TEXT)


def near_valid(valid: dict, hostile: dict):
    """A post that is valid (every field from `valid`) unless a few of its fields were
    replaced by a value of `hostile` or left out: so that some posts are accepted."""
    fields = sorted(valid.keys() | hostile.keys())

    @st.composite
    def build(draw):
        data = {name: draw(strategy) for name, strategy in valid.items()}
        for name in draw(st.lists(st.sampled_from(fields), max_size=3, unique=True)):
            data[name] = draw(st.one_of(st.none(), hostile.get(name, TEXT)))
        return data

    return build()


PROJECT = near_valid(
    {
        "name": NAMES,
        "code": st.one_of(st.just(""), st.from_regex(r"[A-Z]{2}-[0-9]{1,6}", fullmatch=True)),
        "investor": NAMES,
        "department": st.just("own"),
        "industry": st.sampled_from(["industrial", "services", "agriculture", "other"]),
        "is_high_tech": st.sampled_from(["on", ""]),
        "planned_investment": st.one_of(st.just(""), MONEY),
        "registered_capital": st.one_of(st.just(""), MONEY),
        "zone": NAMES,
        "source_channel": st.sampled_from(["classmate", "fair", ""]),
    },
    {
        "code": CODES,
        "department": DEPARTMENTS,
        "industry": choice(["other"]),
        "planned_investment": AMOUNTS,
        "registered_capital": AMOUNTS,
        "source_channel": choice(["fair"]),
        "responsible_person": TEXT,
        "origin_region": TEXT,
    },
)
VISIT = near_valid(
    {
        "department": st.just("own"),
        "occurred_on": PAST,
        "investor_org": NAMES,
        "persons": st.integers(min_value=1, max_value=500).map(str),
        "host": NAMES,
        "project": st.sampled_from(["own", ""]),
    },
    {
        "department": DEPARTMENTS,
        "occurred_on": DATES,
        "persons": PERSONS,
        "project": DEPARTMENTS,
        "purpose": TEXT,
    },
)
LEAD = near_valid(
    {
        "department": st.just("own"),
        "name": NAMES,
        "source_channel": st.sampled_from(["classmate", "comrade", "fair"]),
        "industry": st.sampled_from(["industrial", "services"]),
        "planned_investment": st.one_of(st.just(""), MONEY),
    },
    {
        "department": DEPARTMENTS,
        "source_channel": choice(["fair"]),
        "industry": choice(["other"]),
        "planned_investment": AMOUNTS,
        "origin_region": TEXT,
        "investor": TEXT,
    },
)
STAGES = [str(s.value) for s in Stage if s != Stage.FUNDED]
MILESTONE = near_valid(
    {"stage": st.sampled_from(STAGES), "occurred_on": PAST},
    {"stage": choice([str(Stage.FUNDED.value), "9", "-1"]), "occurred_on": DATES},
)
RECEIPT = near_valid(
    {"occurred_on": PAST, "amount": st.decimals(min_value="0.01", max_value=99999, places=2)},
    {"occurred_on": DATES, "amount": AMOUNTS},
)
LOST = near_valid(
    {"lost_on": PAST, "lost_reason": st.sampled_from(["转投外省", "资金链断裂，投资方撤回"])},
    {"lost_on": DATES, "lost_reason": TEXT},
)
EVIDENCE = st.one_of(
    st.just(("意向书.pdf", PDF)),
    st.just(("意向书.pdf", PDF)),
    st.none(),
    st.tuples(st.sampled_from(["a.pdf", "a.png", "a.exe"]), st.binary(max_size=40)),
)


@pytest.fixture(autouse=True)
def _today(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def world(commerce, finance, liaison, office, staff_member):
    project = make_project(commerce, code="SW-001", name="新能源电池项目")
    make_milestone(project, Stage.LEAD, date(2026, 5, 1), status="verified")
    return {
        "own": commerce,
        "other": finance,
        "project": project,
        "other_project": make_project(finance, code="CZ-001"),
        "milestone": make_milestone(project, Stage.INTENT, date(2026, 6, 10), status="pending"),
        "receipt": make_receipt(project, date(2026, 6, 20), status="pending"),
        "visit": make_visit(commerce, date(2026, 6, 5)),
        "tokens": [],  # tokens posted by earlier examples, to post again
    }


def state() -> dict:
    """Everything a post may change: each row, its history rows, the create tokens."""
    rows = {m: {r["id"]: r for r in m.objects.values()} for m in MODELS}
    return {
        "rows": rows,
        "history": {m: m.history.count() for m in MODELS},
        "tokens": Submission.objects.count(),
    }


def fill(data: dict, world) -> dict:
    """Turn the symbolic choices into what a browser would post."""
    data = dict(data)
    for key in ("department", "project"):
        if data.get(key) in ("own", "other"):
            data[key] = (world[data[key]] if key == "department" else _project(world, data[key])).pk
        elif data.get(key) == "junk":
            data[key] = "999999"
    return data


def _project(world, which):
    return world["project"] if which == "own" else world["other_project"]


def with_token(data: dict, token: str, world) -> dict:
    if token == "fresh":
        data["submission"] = str(uuid.uuid4())
    elif token == "reuse" and world["tokens"]:
        data["submission"] = world["tokens"][-1]
    elif token == "junk":
        data["submission"] = "not-a-token"
    if "submission" in data:
        world["tokens"].append(data["submission"])
    return data


def post(user, url, data, world, *, evidence=None):
    """Post `data`, then check the property; returns the response."""
    cache.clear()  # upload rate limits count per user and minute, and the clock stands still
    client = Client()
    client.force_login(user)
    repeat = _used(data.get("submission"))
    before = state()
    if evidence is not None:
        data = {**data, "evidence": SimpleUploadedFile(evidence[0], evidence[1])}
    # As browsers send it: a form post always carries its CSRF token, so it is never empty
    # (Django's views take an empty POST for a first showing of the form).
    sent = {"csrfmiddlewaretoken": "x", **{k: v for k, v in data.items() if v is not None}}
    response = client.post(url, sent)
    after = state()
    assert response.status_code < 500
    # --hypothesis-show-statistics shows how many examples each test saw stored.
    event("stored" if after != before else f"nothing stored ({response.status_code})")
    if after == before:
        if response.status_code == 200 and "<form" in response.content.decode():
            html = response.content.decode()
            assert 'class="errorlist' in html or 'class="form-errors"' in html, "says why"
        return response
    assert not repeat, "a create form posted again stored something"
    assert response.status_code == 302, "a post that stored something redirects"
    assert after["history"] != before["history"], "every change leaves a history row"
    for model in MODELS:
        for pk, row in after["rows"][model].items():
            if before["rows"][model].get(pk) != row:
                model.objects.get(pk=pk).full_clean()  # what was stored is valid
    return response


def _used(token) -> bool:
    try:
        return Submission.objects.filter(token=uuid.UUID(str(token))).exists()
    except ValueError:
        return False


# Projects ------------------------------------------------------------------------------
@HYPOTHESIS
@given(data=PROJECT, token=TOKEN)
def test_project_create(world, liaison, data, token):
    post(liaison, reverse("projects:create"), with_token(fill(data, world), token, world), world)


@HYPOTHESIS
@given(data=PROJECT, fresh_version=st.booleans())
def test_project_edit(world, liaison, data, fresh_version):
    project = Project.objects.get(pk=world["project"].pk)
    data = fill(data, world)
    if data.get("code") == "":  # required on an edit: keep the stored one
        data["code"] = project.code
    data["loaded_at"] = version_of(project.updated_at) if fresh_version else "2026-01-01"
    post(liaison, reverse("projects:edit", args=[project.pk]), data, world)


@HYPOTHESIS
@given(data=LOST)
def test_mark_lost(world, liaison, data):
    # A project of its own each time: a lost project cannot be marked again.
    project = fresh_project(world, with_intent=True)
    post(liaison, reverse("projects:lost", args=[project.pk]), fill(data, world), world)


# Milestones and receipts -------------------------------------------------------------
def fresh_project(world, *, with_intent=False) -> Project:
    """A project of its own for one example, so that earlier examples decide nothing."""
    project = make_project(world["own"], code=f"H{uuid.uuid4().hex[:8]}")
    if with_intent:
        make_milestone(project, Stage.INTENT, date(2026, 6, 1), status="verified")
    return project


@HYPOTHESIS
@given(data=MILESTONE, token=TOKEN, evidence=EVIDENCE)
def test_milestone_create(world, liaison, data, token, evidence):
    url = reverse("projects:milestone_create", args=[fresh_project(world).pk])
    post(liaison, url, with_token(dict(data), token, world), world, evidence=evidence)


@HYPOTHESIS
@given(data=MILESTONE, evidence=EVIDENCE)
def test_milestone_edit(world, liaison, data, evidence):
    url = reverse("projects:milestone_edit", args=[world["milestone"].pk])
    post(liaison, url, dict(data), world, evidence=evidence)


@HYPOTHESIS
@given(data=RECEIPT, token=TOKEN, evidence=EVIDENCE)
def test_receipt_create(world, liaison, data, token, evidence):
    url = reverse("projects:receipt_create", args=[fresh_project(world).pk])
    post(liaison, url, with_token(dict(data), token, world), world, evidence=evidence)


@HYPOTHESIS
@given(data=RECEIPT, evidence=EVIDENCE)
def test_receipt_edit(world, liaison, data, evidence):
    url = reverse("projects:receipt_edit", args=[world["receipt"].pk])
    post(liaison, url, dict(data), world, evidence=evidence)


# Visits and leads ----------------------------------------------------------------------
@HYPOTHESIS
@given(data=VISIT, token=TOKEN)
def test_visit_create(world, liaison, data, token):
    url = reverse("projects:visit_create")
    post(liaison, url, with_token(fill(data, world), token, world), world)


@HYPOTHESIS
@given(data=VISIT)
def test_visit_edit(world, liaison, data):
    url = reverse("projects:visit_edit", args=[world["visit"].pk])
    post(liaison, url, fill(data, world), world)


@HYPOTHESIS
@given(data=LEAD, token=TOKEN)
def test_lead(world, staff_member, data, token):
    url = reverse("projects:lead_create")
    post(staff_member, url, with_token(fill(data, world), token, world), world)


# The office's review -------------------------------------------------------------------
def pending_records(world):
    """A fresh project with a pending milestone and receipt: something to review."""
    project = fresh_project(world)
    milestone = make_milestone(project, Stage.SIGNED, date(2026, 6, 1), status="pending")
    receipt = make_receipt(project, date(2026, 6, 2), status="pending")
    return milestone, receipt


@HYPOTHESIS
@given(reason=st.one_of(NAMES, st.none(), TEXT), kind=st.sampled_from(["milestone", "receipt"]))
def test_return_with_a_reason(world, office, reason, kind):
    milestone, receipt = pending_records(world)
    record = milestone if kind == "milestone" else receipt
    url = reverse("projects:return", args=[kind, record.pk])
    post(office, url, {"reason": reason}, world)


@HYPOTHESIS
@given(
    action=st.one_of(st.sampled_from(["verify", "return"]), st.none(), TEXT),
    reason=st.one_of(NAMES, st.none(), TEXT),
    picks=st.lists(
        st.sampled_from(["milestone", "receipt", "milestone", "receipt", "junk", "other"]),
        min_size=1,
        max_size=4,
    ),
)
def test_bulk_review(world, office, action, reason, picks):
    milestone, receipt = pending_records(world)
    ids = {"milestone": [], "receipt": []}
    for pick in picks:
        if pick == "milestone":
            ids["milestone"].append(str(milestone.pk))
        elif pick == "receipt":
            ids["receipt"].append(str(receipt.pk))
        elif pick == "junk":
            ids["milestone"].append("-1 OR 1=1")
        else:
            ids["receipt"].append("999999")
    data = {"action": action, "reason": reason, **ids}
    post(office, reverse("projects:queue_bulk"), data, world)
