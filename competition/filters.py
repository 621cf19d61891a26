"""Filter forms of competition's list pages (django-filter): the yellow cards."""

import django_filters as filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competition.cards import overdue_q
from competition.models import Competition, Rectification
from departments.roles import roles_of
from projects.access import readable_departments

STATE_CHOICES = [
    ("open", _("未撤销")),
    ("lifted", _("已撤销")),
]
RECTIFICATION_CHOICES = [
    ("missing", _("未提交")),
    ("overdue", _("逾期未交")),
    (Rectification.Status.SUBMITTED, _("待审核")),
    (Rectification.Status.RETURNED, _("退回待改")),
    (Rectification.Status.ACCEPTED, _("已通过")),
]


class CardFilter(filters.FilterSet):
    """Cards by competition, department (the user's own), open or lifted, 整改 status."""

    competition = filters.ModelChoiceFilter(
        queryset=Competition.objects.all(), label=_("竞赛"), empty_label=_("全部竞赛")
    )
    department = filters.ModelChoiceFilter(
        queryset=None, label=_("部门"), empty_label=_("全部部门")
    )
    state = filters.ChoiceFilter(
        choices=STATE_CHOICES, label=_("黄牌"), empty_label=_("全部"), method="filter_state"
    )
    rectification = filters.ChoiceFilter(
        choices=RECTIFICATION_CHOICES,
        label=_("整改"),
        empty_label=_("全部"),
        method="filter_rectification",
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["department"].queryset = readable_departments(roles_of(request.user))

    def filter_state(self, queryset, name, value):
        return queryset.filter(lifted_on__isnull=value == "open")

    def filter_rectification(self, queryset, name, value):
        if value == "missing":
            return queryset.filter(rectification__isnull=True)
        if value == "overdue":
            return queryset.filter(overdue_q(today=timezone.localdate()))
        return queryset.filter(Q(rectification__status=value))
