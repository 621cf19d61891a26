"""The league page's query string as a form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from competition.models import Competition
from departments.models import DepartmentGroup
from web.dates import BoundedDateField


class LeagueParams(forms.Form):
    """Which competition, as of which date, and optionally one group.

    The competition and date pick the league; the view fills in defaults (the active
    competition, today) before the form is bound, so both are always present. The group
    filters the league's rows in Python: the table is a list, not a queryset.
    """

    competition = forms.ModelChoiceField(
        queryset=Competition.objects.all(), label=_("竞赛"), empty_label=None
    )
    as_of = BoundedDateField(label=_("统计日期"))
    group = forms.ModelChoiceField(
        queryset=DepartmentGroup.objects.all(),
        label=_("分组"),
        required=False,
        empty_label=_("全部分组"),
    )
