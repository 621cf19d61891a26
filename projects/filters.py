"""Filter forms of the list pages, and the counts shown beside them.

Every list page filters a queryset already scoped by `projects.access`; the department
choices offered are the user's own.
"""

import django_filters as filters
from django import forms
from django.conf import settings
from django.db.models import (
    Count,
    Q,
    QuerySet,
)
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget, DateRangeWidget, SuffixedMultiWidget

from departments.models import DepartmentGroup
from departments.roles import roles_of
from projects.access import readable_departments
from projects.lateness import late_entry_q
from projects.models import (
    Industry,
    Milestone,
    Project,
    ReviewStatus,
    SourceChannel,
    Stage,
    Visit,
    reward_eligible_q,
)
from web.dates import BoundedDateFromToRangeFilter


# Counts --------------------------------------------------------------------------------
def lead_counts_by_submitter(leads: QuerySet[Project]) -> list[dict]:
    """Leads per submitter (one aggregate query): who mobilised whom.

    `advanced` counts those whose reported progress (`stage_reached`) is past the lead stage.
    """
    return list(
        leads.filter(submitted_by__isnull=False)
        .values(
            "submitted_by",
            "submitted_by__username",
            "submitted_by__person__name",
            "submitted_by__person__department__name",
        )
        .annotate(
            leads=Count("id"),
            advanced=Count("id", filter=Q(stage_reached__gt=Stage.LEAD)),
            lost=Count("id", filter=Q(lost_on__isnull=False)),
        )
        .order_by("-leads", "submitted_by__person__name")
    )


def lead_counts_by_channel(leads: QuerySet[Project]) -> list[dict]:
    """Leads per source channel (one aggregate query), most first, ties in the choices' order."""
    labels = dict(SourceChannel.choices)
    order = {value: i for i, value in enumerate(labels)}
    rows = list(leads.values("source_channel").annotate(leads=Count("id")).order_by())
    for row in rows:
        row["label"] = labels.get(row["source_channel"], _("未填写"))
    rows.sort(key=lambda row: (-row["leads"], order.get(row["source_channel"], len(order))))
    return rows


# Widgets -------------------------------------------------------------------------------
class AnyYesNo(BooleanWidget):
    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("全部")), ("true", _("是")), ("false", _("否"))]


class DateRange(DateRangeWidget):
    """Two native date pickers (phones show their own calendar)."""

    def __init__(self, attrs=None):
        date_input = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
        SuffixedMultiWidget.__init__(self, (date_input, date_input), attrs)


def _departments(request):
    return readable_departments(roles_of(request.user)) if request else Project.objects.none()


def _search(queryset, name, value):
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(
        Q(name__icontains=value) | Q(investor__icontains=value) | Q(code__icontains=value)
    )


# Filter sets ---------------------------------------------------------------------------
class OneDepartmentFilters:
    """A user who reads one department's rows only (the liaison of one department) gets
    no department or group filter: every row is that department's, so both selects could
    narrow nothing. Two selects fewer on the form, and two queries fewer per list page
    (their choices: README, Performance)."""

    DEPARTMENT_FILTERS = ("department", "group")

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None and reads_one_department(roles_of(request.user)):
            for name in self.DEPARTMENT_FILTERS:
                self.filters.pop(name, None)


def reads_one_department(roles) -> bool:
    return not roles.can_read_all and len(roles.liaison_department_ids) == 1


class ProjectFilter(OneDepartmentFilters, filters.FilterSet):
    q = filters.CharFilter(label=_("搜索"), method=_search)
    department = filters.ModelChoiceFilter(
        label=_("责任部门"), queryset=_departments, empty_label=_("全部"), widget=forms.Select
    )
    group = filters.ModelChoiceFilter(
        label=_("部门分组"),
        field_name="department__group",
        queryset=DepartmentGroup.objects.all(),
        empty_label=_("全部"),
        widget=forms.Select,
    )
    stage = filters.ChoiceFilter(
        label=_("已达阶段"),
        field_name="stage_reached",
        choices=Stage.choices,
        empty_label=_("全部"),
        widget=forms.Select,
    )
    industry = filters.ChoiceFilter(
        label=_("行业"), choices=Industry.choices, empty_label=_("全部"), widget=forms.Select
    )
    high_tech = filters.BooleanFilter(
        label=_("高新技术"), field_name="is_high_tech", widget=AnyYesNo
    )
    major = filters.BooleanFilter(label=_("重大项目"), method="filter_major", widget=AnyYesNo)
    reward = filters.BooleanFilter(label=_("符合奖励条件"), method="filter_reward", widget=AnyYesNo)
    zone = filters.CharFilter(label=_("落户区域"), lookup_expr="icontains")
    origin = filters.CharFilter(
        label=_("来源地"), field_name="origin_region", lookup_expr="icontains"
    )
    channel = filters.ChoiceFilter(
        label=_("信息来源"),
        field_name="source_channel",
        choices=SourceChannel.choices,
        empty_label=_("全部"),
        widget=forms.Select,
    )
    person = filters.CharFilter(
        label=_("责任人"), field_name="responsible_person", lookup_expr="icontains"
    )
    lost = filters.BooleanFilter(label=_("已流失"), method="filter_lost", widget=AnyYesNo)
    last = BoundedDateFromToRangeFilter(
        label=_("最近节点日期"), field_name="last_milestone_on", widget=DateRange
    )

    class Meta:
        model = Project
        fields: list[str] = []

    def filter_major(self, queryset, name, value):
        threshold = settings.MAJOR_PROJECT_MIN_INVESTMENT
        if value:
            return queryset.filter(planned_investment__gte=threshold)
        return queryset.exclude(planned_investment__gte=threshold)

    def filter_reward(self, queryset, name, value):
        return (
            queryset.filter(reward_eligible_q()) if value else queryset.exclude(reward_eligible_q())
        )

    def filter_lost(self, queryset, name, value):
        return queryset.filter(lost_on__isnull=not value)


class LeadFilter(OneDepartmentFilters, filters.FilterSet):
    q = filters.CharFilter(label=_("搜索"), method=_search)
    department = filters.ModelChoiceFilter(
        label=_("责任部门"), queryset=_departments, empty_label=_("全部"), widget=forms.Select
    )
    channel = filters.ChoiceFilter(
        label=_("信息来源"),
        field_name="source_channel",
        choices=SourceChannel.choices,
        empty_label=_("全部"),
        widget=forms.Select,
    )
    taken = filters.BooleanFilter(label=_("已接手"), method="filter_taken", widget=AnyYesNo)
    stage = filters.ChoiceFilter(
        label=_("已达阶段"),
        field_name="stage_reached",
        choices=Stage.choices,
        empty_label=_("全部"),
        widget=forms.Select,
    )
    lost = filters.BooleanFilter(label=_("已流失"), method="filter_lost", widget=AnyYesNo)

    class Meta:
        model = Project
        fields: list[str] = []

    def filter_taken(self, queryset, name, value):
        # Taken over = the liaison has named a responsible person.
        if value:
            return queryset.exclude(responsible_person="")
        return queryset.filter(responsible_person="")

    def filter_lost(self, queryset, name, value):
        return queryset.filter(lost_on__isnull=not value)


def _search_visits(queryset, name, value):
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(
        Q(investor_org__icontains=value) | Q(purpose__icontains=value) | Q(host__icontains=value)
    )


class VisitFilter(OneDepartmentFilters, filters.FilterSet):
    q = filters.CharFilter(label=_("搜索"), method=_search_visits)
    department = filters.ModelChoiceFilter(
        label=_("接待部门"), queryset=_departments, empty_label=_("全部"), widget=forms.Select
    )
    group = filters.ModelChoiceFilter(
        label=_("部门分组"),
        field_name="department__group",
        queryset=DepartmentGroup.objects.all(),
        empty_label=_("全部"),
        widget=forms.Select,
    )
    date = BoundedDateFromToRangeFilter(
        label=_("接待日期"), field_name="occurred_on", widget=DateRange
    )
    has_project = filters.BooleanFilter(
        label=_("有关联项目"),
        field_name="project",
        lookup_expr="isnull",
        exclude=True,
        widget=AnyYesNo,
    )
    status = filters.ChoiceFilter(
        label=_("核实状态"),
        choices=ReviewStatus.choices,
        empty_label=_("全部"),
        widget=forms.Select,
    )
    late = filters.BooleanFilter(label=_("补录"), method="filter_late", widget=AnyYesNo)

    class Meta:
        model = Visit
        fields: list[str] = []

    def filter_late(self, queryset, name, value):
        return queryset.filter(late_entry_q()) if value else queryset.exclude(late_entry_q())


class QueueFilter(filters.FilterSet):
    """Verification queue: narrow by department (milestones and receipts alike)."""

    department = filters.ModelChoiceFilter(
        label=_("责任部门"),
        field_name="project__department",
        queryset=_departments,
        empty_label=_("全部"),
        widget=forms.Select,
    )

    class Meta:
        model = Milestone
        fields: list[str] = []
