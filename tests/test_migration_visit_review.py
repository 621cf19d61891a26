"""Migration 0009_visit_review: visits stored before review are verified (they counted),
their history rows too, and the evidence policy's defaults are stored."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("projects", "0006_submission")]
AFTER = [("projects", "0009_visit_review")]


@pytest.mark.django_db(transaction=True)
def test_existing_visits_become_verified_and_the_policy_has_its_defaults():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    department = old.get_model("departments", "Department").objects.create(name="商务局")
    Visit = old.get_model("projects", "Visit")
    visit = Visit.objects.create(
        department=department, occurred_on=date(2026, 3, 2), investor_org="客商", persons=3
    )
    old.get_model("projects", "HistoricalVisit").objects.create(
        id=visit.pk,
        department_id=department.pk,
        occurred_on=visit.occurred_on,
        investor_org="客商",
        persons=3,
        created_at=visit.created_at,
        updated_at=visit.updated_at,
        history_date=visit.created_at,
        history_type="+",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    assert new.get_model("projects", "Visit").objects.get(pk=visit.pk).status == "verified"
    history = new.get_model("projects", "HistoricalVisit").objects.get(id=visit.pk)
    assert history.status == "verified"
    policy = {
        p.kind: (p.required, p.document)
        for p in new.get_model("projects", "EvidencePolicy").objects.all()
    }
    assert policy == {
        "intent": (False, "意向书"),
        "signed": (True, "合同"),
        "funded": (True, "到账凭证"),
        "groundbreaking": (True, "开工照片"),
        "visit": (False, "接待单或照片"),
    }

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest state
