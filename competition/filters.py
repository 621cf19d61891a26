"""The league page's filter form (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from competition.models import Competition, Snapshot
from departments.models import DepartmentGroup


class LeagueFilter(django_filters.FilterSet):
    """Which competition, as of which date, and optionally one group.

    The competition and date pick the snapshot; the view fills in defaults (the active
    competition, today) before the form is bound, so both are always present.
    """

    competition = django_filters.ModelChoiceFilter(
        queryset=Competition.objects.all(), label=_("竞赛"), required=True, empty_label=None
    )
    as_of = django_filters.DateFilter(
        label=_("统计日期"),
        required=True,
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    group = django_filters.ModelChoiceFilter(
        queryset=DepartmentGroup.objects.all(), label=_("分组"), empty_label=_("全部分组")
    )

    class Meta:
        model = Snapshot
        fields = ["competition", "as_of", "group"]
