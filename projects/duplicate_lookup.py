"""Likely duplicates read from the database: the forms' warnings and the office's list.

The stored match keys (Project.investor_key and name_key, Visit.investor_key, indexed)
narrow the rows to the few that can match; projects.duplicates, the pure rule, then says
which do and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q

from projects import duplicates
from projects.duplicates import Candidate
from projects.models import CreditDecision, Project, Visit

# A warning names at most this many records: past that the name is too common to help.
WARNING_LIMIT = 10


@dataclass(frozen=True)
class Found:
    """A stored record that looks like the one being entered: the project or visit, and
    why ("investor", "name")."""

    record: Project | Visit
    reasons: tuple[str, ...]


def _candidate(project: Project) -> Candidate:
    return Candidate(
        pk=project.pk,
        department_id=project.department_id,
        name=project.name,
        investor=project.investor,
    )


def project_matches(
    *, name: str, investor: str, department_id: int, exclude_pk: int | None = None
) -> list[Found]:
    """Stored projects that look like a project (or lead) being entered (one query)."""
    investor_key, name_key = duplicates.investor_key(investor), duplicates.name_key(name)
    if not investor_key and not name_key:
        return []
    near = Q(pk__in=[])
    if investor_key:
        near |= Q(investor_key=investor_key)
    if name_key:
        near |= Q(name_key=name_key) & ~Q(department_id=department_id)
    stored = list(
        Project.objects.filter(near)
        .exclude(pk=exclude_pk)
        .select_related("department")
        .order_by("pk")[: WARNING_LIMIT * 2]
    )
    by_pk = {p.pk: p for p in stored}
    new = Candidate(pk=exclude_pk, department_id=department_id, name=name, investor=investor)
    found = duplicates.matches(new, [_candidate(p) for p in stored])
    return [Found(record=by_pk[m.record.pk], reasons=m.reasons) for m in found][:WARNING_LIMIT]


def visit_matches(
    *, investor_org: str, occurred_on: date, department_id: int, exclude_pk: int | None = None
) -> list[Found]:
    """Visits of the same investor on the same day logged by another department (one
    query on the stored key, indexed with the day: `visit_investor_key`)."""
    key = duplicates.investor_key(investor_org)
    if not key or occurred_on is None:
        return []
    stored = list(
        Visit.objects.filter(occurred_on=occurred_on, investor_key=key)
        .exclude(department_id=department_id)
        .exclude(pk=exclude_pk)
        .select_related("department")
        .order_by("pk")[: WARNING_LIMIT * 2]
    )
    by_pk = {v.pk: v for v in stored}
    new = Candidate(
        pk=exclude_pk,
        department_id=department_id,
        investor=investor_org,
        occurred_on=occurred_on,
    )
    rows = [
        Candidate(
            pk=v.pk,
            department_id=v.department_id,
            investor=v.investor_org,
            occurred_on=v.occurred_on,
        )
        for v in stored
    ]
    found = duplicates.visit_matches(new, rows)
    return [Found(record=by_pk[m.record.pk], reasons=m.reasons) for m in found][:WARNING_LIMIT]


@dataclass
class DuplicateGroup:
    """Projects of two or more departments sharing an investor or a project name, with at
    least one pair the office has not decided yet."""

    reason: str  # "investor" or "name"
    label: str  # the investor or project name as the first project writes it
    projects: list[Project] = field(default_factory=list)
    open_pairs: int = 0

    @property
    def departments(self) -> int:
        return len({p.department_id for p in self.projects})


def open_duplicate_groups() -> list[DuplicateGroup]:
    """The office's list of open possible duplicates (疑似重复), largest groups first.

    Counting projects only (a project denied the credit already has its answer); a pair
    marked DISTINCT is closed. Three queries: the keys shared across departments (one
    aggregate per key column is one query each), their projects, the closed pairs.
    """
    credited = Project.objects.credited()
    shared = {}
    for column in ("investor_key", "name_key"):
        shared[column] = set(
            credited.exclude(**{column: ""})
            .values(column)
            .annotate(n=Count("department_id", distinct=True))
            .filter(n__gte=2)
            .values_list(column, flat=True)
        )
    if not shared["investor_key"] and not shared["name_key"]:
        return []
    projects = list(
        credited.filter(
            Q(investor_key__in=shared["investor_key"]) | Q(name_key__in=shared["name_key"])
        )
        .select_related("department")
        .order_by("pk")
    )
    ids = [p.pk for p in projects]
    closed = {
        frozenset(pair)
        for pair in CreditDecision.objects.filter(
            outcome=CreditDecision.Outcome.DISTINCT, project_id__in=ids
        ).values_list("project_id", "counterpart_id")
    }
    groups: list[DuplicateGroup] = []
    for column, reason in (("investor_key", "investor"), ("name_key", "name")):
        by_key: dict[str, list[Project]] = {}
        for project in projects:
            key = getattr(project, column)
            if key in shared[column]:
                by_key.setdefault(key, []).append(project)
        for members in by_key.values():
            open_pairs = sum(
                1
                for i, a in enumerate(members)
                for b in members[i + 1 :]
                if a.department_id != b.department_id and frozenset((a.pk, b.pk)) not in closed
            )
            if open_pairs:
                first = members[0]
                groups.append(
                    DuplicateGroup(
                        reason=reason,
                        label=first.investor if reason == "investor" else first.name,
                        projects=members,
                        open_pairs=open_pairs,
                    )
                )
    groups.sort(key=lambda g: (-g.departments, -len(g.projects), g.label))
    return groups
