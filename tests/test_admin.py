"""The Django admin: every page opens, changelists run a constant number of queries,
the stage-order rules apply there too, and league snapshots cannot be edited."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_person, make_project

pytestmark = pytest.mark.django_db


def _days_ago(n):
    return timezone.localdate() - timedelta(days=n)


def _competition(name="2026年百日竞赛"):
    from competition.models import Competition

    return Competition.objects.create(
        name=name, start_date=_days_ago(40), end_date=_days_ago(40) + timedelta(days=99)
    )


# Builders: each creates `n` rows of its model with every related row the changelist
# shows; `tag` keeps unique names apart when a test builds twice.


def build_groups(n, commerce, tag="a"):
    from departments.models import Department, DepartmentGroup

    for i in range(n):
        group = DepartmentGroup.objects.create(name=f"分组{tag}{i}", order=10 + i)
        Department.objects.create(name=f"分组{tag}{i}部门", group=group)


def build_departments(n, commerce, tag="a"):
    from departments.models import Department, DepartmentGroup

    group = DepartmentGroup.objects.create(name=f"社会事业部门{tag}")
    for i in range(n):
        Department.objects.create(name=f"部门{tag}{i}", group=group, order=i)


def build_persons(n, commerce, tag="a"):
    from departments.models import Department

    for i in range(n):
        other = Department.objects.create(name=f"联络部门{tag}{i}")
        make_person(
            f"user{tag}{i}", name=f"人员{i}", department=commerce, liaison_for=[commerce, other]
        )


def build_competitions(n, commerce, tag="a"):
    from competition.models import MetricWeight, Quota

    for i in range(n):
        competition = _competition(f"竞赛{tag}{i}")
        Quota.objects.create(competition=competition, department=commerce, signed_projects=3)
        MetricWeight.objects.create(competition=competition, metric="visit_batches", weight=5)


def build_weights(n, commerce, tag="a"):
    from competition.models import METRICS, MetricWeight

    for i in range(n):
        competition = _competition(f"竞赛{tag}{i}")
        MetricWeight.objects.create(competition=competition, metric=METRICS[i % 7], weight=i)


def build_quotas(n, commerce, tag="a"):
    from competition.models import Quota
    from departments.models import Department

    competition = _competition(f"竞赛{tag}")
    for i in range(n):
        department = Department.objects.create(name=f"部门{tag}{i}", order=i)
        Quota.objects.create(competition=competition, department=department, visit_batches=i)


def build_snapshots(n, commerce, tag="a"):
    from competition.models import Snapshot

    competition = _competition(f"竞赛{tag}")
    for i in range(n):
        Snapshot.objects.create(
            competition=competition,
            as_of=_days_ago(i),
            department=commerce,
            department_name=commerce.name,
            group=commerce.group,
            group_name=commerce.group.name,
            elapsed_days=10,
            fraction=Decimal("0.1"),
            actuals={"signed_projects": 0},
            targets={"signed_projects": 3},
            ratios={"signed_projects": 0},
            score=Decimal("0.8"),
            yellow_card=False,
            zero_result=True,
            rank=1,
            group_rank=1,
        )


def build_projects(n, commerce, tag="a"):
    for i in range(n):
        make_project(
            commerce,
            code=f"{tag}{i:03}",
            industry="industrial",
            zone="经济开发区",
            planned_investment=Decimal(1000 * i),
            registered_capital=Decimal(3000),
        )


def build_milestones(n, commerce, tag="a"):
    from django.contrib.auth.models import User

    from projects.models import Milestone, Stage

    reviewer = User.objects.create_user(f"reviewer{tag}")
    for i in range(n):
        Milestone.objects.create(
            project=make_project(commerce, code=f"{tag}{i:03}"),
            stage=Stage.SIGNED,
            occurred_on=_days_ago(i),
            logged_by=reviewer,
            reviewed_by=reviewer,
            status="verified",
        )


def build_receipts(n, commerce, tag="a"):
    from projects.models import Receipt

    for i in range(n):
        project = make_project(commerce, code=f"{tag}{i:03}")
        Receipt.objects.create(project=project, occurred_on=_days_ago(i), amount=Decimal(100))


def build_visits(n, commerce, tag="a"):
    from projects.models import Visit

    for i in range(n):
        Visit.objects.create(
            department=commerce,
            occurred_on=_days_ago(i),
            investor_org=f"客商{i}",
            persons=3,
            project=make_project(commerce, code=f"{tag}{i:03}"),
        )


MODELS = [
    ("departments", "departmentgroup", build_groups),
    ("departments", "department", build_departments),
    ("departments", "person", build_persons),
    ("competition", "competition", build_competitions),
    ("competition", "metricweight", build_weights),
    ("competition", "quota", build_quotas),
    ("competition", "snapshot", build_snapshots),
    ("projects", "project", build_projects),
    ("projects", "milestone", build_milestones),
    ("projects", "receipt", build_receipts),
    ("projects", "visit", build_visits),
]
MODEL_IDS = [model for _, model, _ in MODELS]
HISTORY_MODELS = {
    "department",
    "person",
    "competition",
    "metricweight",
    "quota",
    "project",
    "milestone",
    "receipt",
    "visit",
}


def _model(app, model):
    from django.apps import apps

    return apps.get_model(app, model)


@pytest.mark.parametrize(("app", "model", "build"), MODELS, ids=MODEL_IDS)
def test_changelist_and_add_pages_open(admin_client, commerce, app, model, build):
    build(2, commerce)
    assert admin_client.get(reverse(f"admin:{app}_{model}_changelist")).status_code == 200
    add = admin_client.get(reverse(f"admin:{app}_{model}_add"))
    # Snapshots are computed, never typed in.
    assert add.status_code == (403 if model == "snapshot" else 200)


@pytest.mark.parametrize(("app", "model", "build"), MODELS, ids=MODEL_IDS)
def test_change_page_opens(admin_client, commerce, app, model, build):
    build(1, commerce)
    obj = _model(app, model).objects.order_by("-pk").first()
    response = admin_client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk]))
    assert response.status_code == 200
    if model in HISTORY_MODELS:
        history = admin_client.get(reverse(f"admin:{app}_{model}_history", args=[obj.pk]))
        assert history.status_code == 200


@pytest.mark.parametrize(("app", "model", "build"), MODELS, ids=MODEL_IDS)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, commerce, app, model, build):
    """Expected queries per changelist, none of them per row:
    1. session, 2. user, 3. the user's Person (roles context processor),
    4.-5. the row count, filtered and total, 6. the page of rows with their
    select_related joins (and the annotations of Project, Competition, DepartmentGroup),
    7. the liaison departments of the page (Person only, one prefetch),
    8. the choices of each related-field filter (department, group, competition),
    9.-10. the date hierarchy (first/last date, distinct dates) where there is one;
    then the session save (update inside a savepoint)."""
    url = reverse(f"admin:{app}_{model}_changelist")
    build(2, commerce)
    admin_client.get(url)  # warm caches (content types, site) outside the measurement
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200

    build(18, commerce, tag="b")
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 20
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# Data entry through the admin goes through the same rules as every other path.


def test_milestone_going_backwards_is_refused_in_the_admin(admin_client, commerce):
    from projects.models import Milestone, Stage
    from tests.conftest import make_milestone

    project = make_project(commerce)
    make_milestone(project, Stage.SIGNED, _days_ago(10))
    url = reverse("admin:projects_milestone_add")
    form = {"project": project.pk, "stage": Stage.GROUNDBREAKING, "status": "pending"}

    response = admin_client.post(url, {**form, "occurred_on": _days_ago(12).isoformat()})
    assert response.status_code == 200
    assert "开工建设日期" in response.context["adminform"].form.errors["occurred_on"][0]
    assert Milestone.objects.count() == 1

    response = admin_client.post(url, {**form, "occurred_on": _days_ago(5).isoformat()})
    assert response.status_code == 302
    added = Milestone.objects.get(stage=Stage.GROUNDBREAKING)
    assert added.logged_by.username == "admin"
    assert added.reviewed_by is None


def test_verifying_in_the_admin_records_the_reviewer(admin_client, commerce):
    from projects.models import Receipt

    project = make_project(commerce)
    receipt = Receipt.objects.create(project=project, occurred_on=_days_ago(3), amount=50)
    url = reverse("admin:projects_receipt_change", args=[receipt.pk])
    response = admin_client.post(
        url,
        {
            "project": project.pk,
            "occurred_on": receipt.occurred_on.isoformat(),
            "amount": "50",
            "status": "verified",
            "return_reason": "",
        },
    )
    assert response.status_code == 302
    receipt.refresh_from_db()
    assert receipt.status == "verified"
    assert receipt.reviewed_by.username == "admin"
    assert receipt.reviewed_at is not None


def _project_form(project, **inline_rows):
    """The POST data of the project change page, with new inline rows."""
    data = {
        "code": project.code,
        "name": project.name,
        "investor": project.investor,
        "department": project.department_id,
        "responsible_person": "",
        "industry": project.industry,
        "planned_investment": "",
        "registered_capital": "",
        "zone": "",
        "origin_region": "",
        "source_channel": "",
        "submitted_by": "",
        "lost_on": "",
        "lost_reason": "",
    }
    for prefix in ("milestones", "receipts", "visits"):
        rows = inline_rows.get(prefix, [])
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(len(rows)),
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for i, row in enumerate(rows):
            data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def test_receipt_before_signing_is_refused_in_the_project_inline(admin_client, commerce):
    from projects.models import Stage
    from tests.conftest import make_milestone

    project = make_project(commerce)
    make_milestone(project, Stage.SIGNED, _days_ago(10))
    url = reverse("admin:projects_project_change", args=[project.pk])
    row = {"amount": "200", "status": "pending", "return_reason": ""}

    early = {"receipts": [{**row, "occurred_on": _days_ago(12).isoformat()}]}
    response = admin_client.post(url, _project_form(project, **early))
    assert response.status_code == 200
    assert "不能早于正式签约日期" in str(
        response.context["inline_admin_formsets"][1].formset.errors
    )
    assert not project.receipts.exists()

    later = {"receipts": [{**row, "occurred_on": _days_ago(8).isoformat()}]}
    response = admin_client.post(url, _project_form(project, **later))
    assert response.status_code == 302
    assert project.receipts.get().logged_by.username == "admin"


def test_project_changelist_shows_and_filters_the_derived_flags(admin_client, commerce, settings):
    settings.REWARD_ZONES = ["经济开发区"]
    build_projects(7, commerce)  # investments 0, 1000, … 6000: a005 and a006 are major
    url = reverse("admin:projects_project_changelist")
    rows = {
        p.code: (p.major, p.reward_eligible)
        for p in admin_client.get(url).context["cl"].result_list
    }
    assert rows["a004"] == (False, False)
    assert rows["a005"] == (True, True)
    assert rows["a006"] == (True, True)

    major = admin_client.get(url, {"major": "1"}).context["cl"].result_list
    assert [p.code for p in major] == ["a005", "a006"]
    not_eligible = admin_client.get(url, {"reward_eligible": "0"}).context["cl"].result_list
    assert len(not_eligible) == 5


def test_snapshots_cannot_be_changed_or_deleted(admin_client, commerce):
    from competition.models import Snapshot

    build_snapshots(1, commerce)
    snapshot = Snapshot.objects.get()
    change = reverse("admin:competition_snapshot_change", args=[snapshot.pk])
    response = admin_client.get(change)
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert admin_client.post(change, {"rank": 2}).status_code == 403
    delete = reverse("admin:competition_snapshot_delete", args=[snapshot.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    snapshot.refresh_from_db()
    assert snapshot.rank == 1


def _queries_of(client, url):
    client.get(url)  # warm caches outside the measurement
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_project_change_page_query_count_does_not_grow_with_inline_rows(admin_client, commerce):
    """The inline rows name their project and reviewer (select_related) and the visit rows'
    department choices are read once per request, not once per row."""
    from projects.models import Milestone, Receipt, Stage, Visit

    counts = []
    for code, n in (("few", 2), ("many", 12)):
        project = make_project(commerce, code=code)
        for stage in (Stage.LEAD, Stage.SIGNED):
            Milestone.objects.create(project=project, stage=stage, occurred_on=_days_ago(30))
        for i in range(n):
            Receipt.objects.create(project=project, occurred_on=_days_ago(i), amount=10)
            Visit.objects.create(
                project=project, department=commerce, occurred_on=_days_ago(i), persons=2
            )
        counts.append(
            _queries_of(admin_client, reverse("admin:projects_project_change", args=[project.pk]))
        )
    assert counts[0] == counts[1]


def test_competition_change_page_query_count_does_not_grow_with_quotas(admin_client, commerce):
    from competition.models import Competition

    build_quotas(2, commerce, tag="a")
    build_quotas(20, commerce, tag="b")
    few, many = Competition.objects.order_by("name")
    assert many.quotas.count() == 20
    counts = [
        _queries_of(admin_client, reverse("admin:competition_competition_change", args=[c.pk]))
        for c in (few, many)
    ]
    assert counts[0] == counts[1]
