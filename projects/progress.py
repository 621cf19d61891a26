"""Each project's reported progress, stored on its row and kept in step with its records.

`Project.stage_reached` and `Project.last_milestone_on` hold what
`ProjectQuerySet.with_computed_progress()` computes for pending and verified records up to
the loss: list pages filter and sort on plain indexed columns instead of a correlated
subquery per project. Every write that can change them calls `refresh_progress` in its
own transaction: the services of projects.services (each save, delete, review transition
and loss of a record or project), and the bulk writers (ledger import, bench data) once
at their end. What is computed is projects.rules' `progress` (tests/test_stage_rule.py):
for a few projects by that function itself from their records, for more by one UPDATE
whose subqueries compute the same in the database (`progress_expressions`).
"""

from collections import defaultdict
from collections.abc import Collection, Iterable

from django.db import connection, transaction
from django.db.models import QuerySet

from projects import rules, validation
from projects.models import (
    REPORTED_STATUSES,
    Milestone,
    Project,
    Receipt,
    Stage,
    progress_expressions,
)

CHUNK = 2000  # project ids per statement: well under every database's parameter limit
# Up to this many projects (a form's save, a review, a loss: one), their records are read
# and projects.rules computes the progress; beyond it the UPDATE below does. Compiling
# that UPDATE's correlated subqueries was most of a refresh: one project, CPU per refresh
# 8.2 → 3.3 ms (bench database, scale 0.5; a milestone POST is about 25).
FEW = 20


def refresh_progress(project_ids: Iterable[int], *, check_order: Collection[int] = ()) -> int:
    """Recompute the stored progress of the projects `project_ids` from their records.

    One row lock and one UPDATE per chunk of ids, inside the caller's transaction (or a
    transaction of its own). Returns how many projects were updated.

    `check_order`: projects (a few, among `project_ids`) whose stage dates must not go
    backwards: a ValidationError on "occurred_on" (projects.validation) otherwise. Read
    under the lock, their records include what was saved together with the caller's
    record (the admin's inline rows) or by another user since the form checked it.
    """
    ids = sorted({pk for pk in project_ids if pk is not None})
    updated = 0
    with transaction.atomic(savepoint=False):
        if len(ids) <= FEW:
            return _refresh_few(ids, check_order=check_order)
        if check_order:
            raise ValueError("check_order is for the few projects of one record's save")
        for start in range(0, len(ids), CHUNK):
            updated += _refresh(Project.objects.filter(pk__in=ids[start : start + CHUNK]))
    return updated


def refresh_all_progress() -> int:
    """Recompute the stored progress of every project (after bulk writes, or to check)."""
    with transaction.atomic(savepoint=False):
        return _refresh(Project.objects.all())


def _refresh_few(ids: list[int], *, check_order: Collection[int] = ()) -> int:
    """`_refresh` for a few projects: their rows locked as there, then their records read
    (each read is a new statement, so it sees what a writer that held the lock committed)
    and the progress computed by projects.rules; a project is written only when it moved."""
    projects = Project.objects.filter(pk__in=ids).order_by("pk")
    if connection.features.has_select_for_update:
        projects = projects.select_for_update(no_key=True)
    stored = list(projects.values_list("pk", "lost_on", "stage_reached", "last_milestone_on"))
    records: dict[int, list[tuple[int, object, str]]] = defaultdict(list)
    reported = {"project_id__in": ids, "status__in": REPORTED_STATUSES}
    for pk, stage, on, status in Milestone.objects.filter(**reported).values_list(
        "project_id", "stage", "occurred_on", "status"
    ):
        records[pk].append((stage, on, status))
    for pk, on, status in Receipt.objects.filter(**reported).values_list(
        "project_id", "occurred_on", "status"
    ):
        records[pk].append((Stage.FUNDED, on, status))
    for pk in check_order:
        validation.check_recorded_order(records[pk])
    for pk, lost_on, stage_reached, last_on in stored:
        counted = rules.counted_dates(records[pk], statuses=REPORTED_STATUSES, lost_on=lost_on)
        progress = rules.progress(counted)
        if progress != (stage_reached, last_on):
            Project.objects.filter(pk=pk).update(
                stage_reached=progress[0], last_milestone_on=progress[1]
            )
    return len(stored)


def _refresh(projects: QuerySet[Project]) -> int:
    if connection.features.has_select_for_update:
        # Lock the rows first, in pk order (two writers never wait on each other in a
        # cycle; NO KEY UPDATE leaves alone the key-share locks that inserting a record
        # takes on its project). Under READ COMMITTED the UPDATE below is a new statement
        # with a fresh snapshot taken once the locks are ours, so its subqueries see the
        # records of a concurrent writer that refreshed the same project and committed
        # while we waited. Without the lock the UPDATE would wait on the row and then
        # recheck only the row, computing from the records of its older snapshot.
        list(projects.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
    stage_reached, last_milestone_on = progress_expressions(REPORTED_STATUSES)
    return projects.order_by().update(
        stage_reached=stage_reached, last_milestone_on=last_milestone_on
    )
