"""Writes of departments and department groups (the admin), each announcing the change.

A department's name, group and display order shape every league it takes part in (its
row, its group rank, the tie-break), whatever the date: each write announces the
departments it touches with dates=None through departments.changes, after commit.
"""

from collections.abc import Iterable

from django.db import transaction

from departments.changes import announce
from departments.models import Department, DepartmentGroup


def save_department(department: Department, *, by) -> Department:
    """Save a new or edited department (name, group, order, head, active) and announce it."""
    with transaction.atomic():
        department._history_user = by
        department.save()
        announce(department_ids={department.pk}, dates=None)
    return department


def delete_departments(departments: Iterable[Department], *, by) -> None:
    """Delete departments (those no project, visit or person refers to) and announce them."""
    departments = list(departments)
    ids = {d.pk for d in departments}  # delete() clears each instance's pk
    with transaction.atomic():
        for department in departments:
            department._history_user = by
            department.delete()
        if ids:
            announce(department_ids=ids, dates=None)


def save_group(group: DepartmentGroup) -> DepartmentGroup:
    """Save a new or edited department group and announce the departments in it (their
    group's name and order head their group's ranking)."""
    with transaction.atomic():
        group.save()
        members = set(group.departments.values_list("pk", flat=True))
        if members:
            announce(department_ids=members, dates=None)
    return group


def delete_groups(groups: Iterable[DepartmentGroup]) -> None:
    """Delete department groups; their departments are left without a group (no group
    rank) and announced."""
    groups = list(groups)
    with transaction.atomic():
        members = set(
            Department.objects.filter(group__in=[g.pk for g in groups]).values_list("pk", flat=True)
        )
        for group in groups:
            group.delete()
        if members:
            announce(department_ids=members, dates=None)
