"""Personas and builders shared by every test: the domain's people and records."""

import os
from datetime import date
from decimal import Decimal

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def groups(db):
    from departments.models import DepartmentGroup

    return {
        "economic": DepartmentGroup.objects.create(name="综合经济部门", order=1),
        "party": DepartmentGroup.objects.create(name="党群部门", order=2),
    }


@pytest.fixture
def commerce(groups):
    from departments.models import Department

    return Department.objects.create(name="商务局", group=groups["economic"], order=1)


@pytest.fixture
def finance(groups):
    from departments.models import Department

    return Department.objects.create(name="财政局", group=groups["economic"], order=2)


def make_person(
    username, *, name=None, department=None, liaison_for=(), office=False, leader=False
):
    from django.contrib.auth.models import User

    from departments.models import Person

    user = User.objects.create_user(username=username, password="Pass-word-2026")
    person = Person.objects.create(
        user=user, name=name or username, department=department, is_office=office, is_leader=leader
    )
    person.liaison_for.set(liaison_for)
    return user


@pytest.fixture
def liaison(commerce):
    """The liaison of 商务局."""
    return make_person(
        "liaison_commerce", name="商务联络员", department=commerce, liaison_for=[commerce]
    )


@pytest.fixture
def other_liaison(finance):
    """The liaison of 财政局."""
    return make_person(
        "liaison_finance", name="财政联络员", department=finance, liaison_for=[finance]
    )


@pytest.fixture
def staff_member(commerce):
    return make_person("staff_commerce", name="商务职工", department=commerce)


@pytest.fixture
def office(db):
    return make_person("office", name="竞赛办", office=True)


@pytest.fixture
def leader(db):
    return make_person("leader", name="领导", leader=True)


def make_project(department, code="P001", **fields):
    from projects.models import Project

    defaults = {"name": f"项目{code}", "investor": "某投资方"}
    defaults.update(fields)
    return Project.objects.create(code=code, department=department, **defaults)


def make_competition(*departments, name="百日竞赛", start=date(2026, 3, 1), end=date(2026, 6, 8)):
    """A competition with the same small quota for each department: 2 visit batches,
    1 project at each stage, 100 (万元) of funds."""
    from competition.models import Competition, Quota

    competition = Competition.objects.create(name=name, start_date=start, end_date=end)
    for department in departments:
        Quota.objects.create(
            competition=competition,
            department=department,
            visit_batches=2,
            intent_projects=1,
            signed_projects=1,
            funded_projects=1,
            funds_amount=Decimal(100),
            groundbreaking_projects=1,
        )
    return competition


# The record factories save through projects.services, as every write path does: the
# project's stored progress follows and the change is announced (after commit).
# Milestones and receipts carry a small evidence PDF unless told otherwise (evidence=""),
# as the forms ask for one: the evidence policy lets the office verify them without a
# reason (projects.policy).
EVIDENCE = object()  # "a fresh evidence file"


def _with_evidence(record, evidence):
    from django.core.files.base import ContentFile

    if evidence is EVIDENCE:
        record.evidence.save("evidence.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    else:
        record.evidence = evidence
    return record


def make_milestone(project, stage, on: date, status="verified", **fields):
    from projects import services
    from projects.models import Milestone

    evidence = fields.pop("evidence", EVIDENCE)
    m = Milestone(project=project, stage=stage, occurred_on=on, status=status, **fields)
    _with_evidence(m, evidence)
    m.full_clean()
    return services.save_record_as_office(m, by=None)


def make_receipt(project, on: date, amount="100", status="verified", evidence=EVIDENCE):
    from projects import services
    from projects.models import Receipt

    r = Receipt(project=project, occurred_on=on, amount=Decimal(amount), status=status)
    _with_evidence(r, evidence)
    r.full_clean()
    return services.save_record_as_office(r, by=None)


def make_visit(department, on: date, persons=3, status="verified", **fields):
    from projects import services
    from projects.models import Visit

    fields.setdefault("investor_org", "客商")
    v = Visit(department=department, occurred_on=on, persons=persons, status=status, **fields)
    v.full_clean()
    services.save_visit_as_office(v, by=None)
    return v


def make_open_records(project):
    """A pending intent milestone (5 March) and a receipt returned for 凭证不清 (1 April,
    600万元) on `project`: records awaiting the office that a ledger listing them verifies."""
    from projects.models import Receipt, ReviewStatus, Stage

    make_milestone(project, Stage.INTENT, date(2026, 3, 5), status="pending")
    Receipt.objects.create(
        project=project,
        occurred_on=date(2026, 4, 1),
        amount=Decimal("600"),
        status=ReviewStatus.RETURNED,
        return_reason="凭证不清",
    )


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Tasks run in-process in tests, whatever the environment says, except in the tests
    marked celery_worker, which use the real broker in CELERY_BROKER_URL and a real worker."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _chinese_after_each_test():
    """A request in English leaves English active in this thread; put Chinese back."""
    yield
    from django.utils import translation

    translation.activate("zh-hans")


@pytest.fixture
def artifacts_dir():
    """Where tests leave screenshots and rendered pages for people to look at (git-ignored)."""
    import os
    from pathlib import Path

    default = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"
    path = Path(os.environ.get("TEST_ARTIFACTS_DIR", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def _empty_caches():
    """Every test starts with empty caches: rate-limit counters are per user and minute,
    and user ids and frozen clocks repeat from one test to the next."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture
def worker(tmp_path):
    """A real Celery worker process for the tests marked celery_worker, stopped and reaped
    whatever the test did (tests/worker_process.py)."""
    from tests.worker_process import running_worker

    with running_worker(tmp_path) as proc:
        yield proc


def download_name(response) -> str:
    """The file name a browser saves `response` as, read from its Content-Disposition the
    way browsers read it (RFC 6266: `filename*=UTF-8''…` before `filename="…"`)."""
    from email.message import Message

    message = Message()
    message["Content-Disposition"] = response["Content-Disposition"]
    return message.get_filename()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (`playwright install` cannot download here),
    headless, with the flags this machine's closed network needs."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + sync Playwright
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
