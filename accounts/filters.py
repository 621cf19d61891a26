"""Filters (django-filter) of the people list and the security event log."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from departments.models import Department

ROLE_CHOICES = [
    ("office", _("竞赛办")),
    ("leader", _("领导")),
    ("liaison", _("联络员")),
    ("staff", _("职工")),
]


class PeopleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("用户名或姓名"), method="filter_q")
    department = django_filters.ModelChoiceFilter(
        label=_("部门"), queryset=Department.objects.all(), method="filter_department"
    )
    role = django_filters.ChoiceFilter(
        label=_("角色"), choices=ROLE_CHOICES, method="filter_role", empty_label=_("全部")
    )
    is_active = django_filters.BooleanFilter(
        label=_("状态"),
        widget=forms.Select(choices=[("", _("全部")), ("true", _("启用")), ("false", _("停用"))]),
    )

    class Meta:
        model = get_user_model()
        fields = ["q", "department", "role", "is_active"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(person__name__icontains=value))

    def filter_department(self, queryset, name, value):
        return queryset.filter(
            Q(person__department=value) | Q(person__liaison_for=value)
        ).distinct()

    def filter_role(self, queryset, name, value):
        lookups = {
            "office": Q(person__is_office=True) | Q(is_superuser=True),
            "leader": Q(person__is_leader=True),
            "liaison": Q(person__liaison_for__isnull=False),
            "staff": Q(person__department__isnull=False),
        }
        return queryset.filter(lookups[value]).distinct()
