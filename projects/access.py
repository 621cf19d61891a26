"""Which records a user may see and change. Every view of this app asks here and nowhere else.

What a role may do at all is declared on each view (`@require(Role.…)`, web.access and
departments.roles: 403 when missing). This module holds what follows:

- scopes: querysets narrowed to the user's departments before anything else, and one
  access helper per object type returning `(obj, can_write)`: 404 for objects outside
  the user's departments, `can_write` False for read-only users (views answer 403);
- the same rules as plain predicates on Roles (`may_log`, `may_verify`) for pages that
  show or hide a button.
"""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from departments.models import Department
from departments.roles import Role, Roles, roles_of
from projects.models import Milestone, Project, Receipt, Visit

# The declared rules, as predicates on Roles -------------------------------------------
may_log = Role.LIAISON_OR_OFFICE.allows
may_verify = Role.OFFICE.allows


# Scopes --------------------------------------------------------------------------------
def _scope(qs: QuerySet, roles: Roles, department_field: str) -> QuerySet:
    if roles.can_read_all:
        return qs
    if roles.liaison_department_ids:
        return qs.filter(**{f"{department_field}__in": roles.liaison_department_ids})
    return qs.none()


def projects_for(roles: Roles) -> QuerySet[Project]:
    return _scope(Project.objects.all(), roles, "department_id")


def milestones_for(roles: Roles) -> QuerySet[Milestone]:
    return _scope(Milestone.objects.all(), roles, "project__department_id")


def receipts_for(roles: Roles) -> QuerySet[Receipt]:
    return _scope(Receipt.objects.all(), roles, "project__department_id")


def visits_for(roles: Roles) -> QuerySet[Visit]:
    return _scope(Visit.objects.all(), roles, "department_id")


def readable_departments(roles: Roles) -> QuerySet[Department]:
    return _scope(Department.objects.select_related("group"), roles, "id")


def writable_departments(roles: Roles) -> QuerySet[Department]:
    """Departments the user may log records for (active ones only)."""
    qs = Department.objects.filter(is_active=True)
    if roles.is_office:
        return qs
    return qs.filter(id__in=roles.liaison_department_ids)


def lead_departments(roles: Roles) -> QuerySet[Department]:
    """Departments the user may submit leads for: their own, those they liaise for, or all."""
    qs = Department.objects.filter(is_active=True)
    if roles.is_office:
        return qs
    ids = set(roles.liaison_department_ids)
    if roles.staff_department_id is not None:
        ids.add(roles.staff_department_id)
    return qs.filter(id__in=ids)


# One access helper per object type -----------------------------------------------------
# What the project's pages show of its relations. A record's form reads only the
# department: joining the rest cost it 2.2 ms of CPU per request (bench database).
PROJECT_PAGE_RELATED = (
    "department__group",
    "submitted_by__person",
    "credit_denied_in_favour_of__department",
)


def get_project_for_user(
    request, pk: int, *, related: tuple[str, ...] = PROJECT_PAGE_RELATED
) -> tuple[Project, bool]:
    """The project `pk` if the user may see it (else 404), and whether they may change it;
    `related`: the relations read with it."""
    roles = roles_of(request.user)
    project = get_object_or_404(projects_for(roles).select_related(*related), pk=pk)
    return project, roles.can_write_department(project.department_id)


def get_milestone_for_user(request, pk: int) -> tuple[Milestone, bool]:
    roles = roles_of(request.user)
    milestone = get_object_or_404(
        milestones_for(roles).select_related("project__department"), pk=pk
    )
    return milestone, roles.can_write_department(milestone.project.department_id)


def get_receipt_for_user(request, pk: int) -> tuple[Receipt, bool]:
    roles = roles_of(request.user)
    receipt = get_object_or_404(receipts_for(roles).select_related("project__department"), pk=pk)
    return receipt, roles.can_write_department(receipt.project.department_id)


def get_visit_for_user(request, pk: int) -> tuple[Visit, bool]:
    roles = roles_of(request.user)
    visit = get_object_or_404(visits_for(roles).select_related("department", "project"), pk=pk)
    return visit, roles.can_write_department(visit.department_id)


RECORD_KINDS = {
    "milestone": get_milestone_for_user,
    "receipt": get_receipt_for_user,
    "visit": get_visit_for_user,
}


def get_record_for_user(request, kind: str, pk: int) -> tuple[Milestone | Receipt | Visit, bool]:
    """A reviewed record by kind ("milestone", "receipt" or "visit"); see the helpers above."""
    try:
        helper = RECORD_KINDS[kind]
    except KeyError:
        raise Http404 from None
    return helper(request, pk)
