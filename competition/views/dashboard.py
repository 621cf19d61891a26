"""The leaders' dashboard (领导看板): headline figures, cards, 三有三不 and charts.

Leaders and the competition office only. Every figure comes from competition.scoring
(compute_league), competition.diagnostics and competition.progress; this view parses
the query string, calls them and renders.

Queries, whatever the number of departments and records: roles (2), the competition (1),
compute_league (6), project mix (1), progress (4), the form's competition choices (1).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competition import charts, diagnostics
from competition.home import active_competition
from competition.models import Competition
from competition.progress import cumulative_progress
from competition.scoring import compute_league
from departments.roles import roles_of


class DashboardParams(forms.Form):
    """The query string: which competition, as of which date (both optional)."""

    competition = forms.ModelChoiceField(
        label=_("竞赛"),
        queryset=Competition.objects.order_by("-start_date", "name"),
        required=False,
        empty_label=_("进行中的竞赛"),
    )
    as_of = forms.DateField(
        label=_("统计日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _require_reader(request):
    """Leaders and the office read the dashboard; liaisons and staff get 403."""
    if not roles_of(request.user).can_read_all:
        raise PermissionDenied


@login_required
def dashboard(request):
    _require_reader(request)
    today = timezone.localdate()
    # Unbound without a query string, so that the date field shows today.
    params = DashboardParams(request.GET or None, initial={"as_of": today})
    chosen, as_of = None, today
    if params.is_valid():
        chosen = params.cleaned_data["competition"]
        as_of = params.cleaned_data["as_of"] or today
    competition = chosen or active_competition(today=today)
    context = {"params": params, "competition": competition, "as_of": as_of}
    if competition is not None:
        league = compute_league(competition, as_of=as_of)
        window = league.window
        found = diagnostics.diagnose(league=league)
        progress = cumulative_progress(competition, as_of=as_of)
        context.update(
            league=league,
            window=window,
            figures_date=window.end,
            threshold=charts.plain_percent(competition.yellow_threshold),
            major_min=f"{settings.MAJOR_PROJECT_MIN_INVESTMENT.normalize():f}",
            time_share=window.elapsed / window.days * 100,
            yellow_cards=[(r, charts.percent(r.score)) for r in league.rows if r.yellow_card],
            zero_results=[r for r in league.rows if r.zero_result],
            flagged=sum(1 for d in found if d.flagged),
            clean_departments=sum(1 for d in found if not d.flagged),
            weak_action=[
                (d, d.weak_action, charts.percent(d.weak_action.figures["ratio"]))
                for d in found
                if d.weak_action
            ],
            slow_progress=[(d, d.slow_progress) for d in found if d.slow_progress],
            few_projects=[(d, d.few_projects) for d in found if d.few_projects],
            reason_counts=[
                (diagnostics.REASON_LABELS[code], n)
                for code, n in diagnostics.reason_counts(found).items()
            ],
            time_bar=charts.time_progress_bar(elapsed=window.elapsed, days=window.days),
            score_chart=charts.score_chart(league.rows, competition.yellow_threshold),
            progress_panels=[charts.cumulative_panel(progress, m) for m in progress.metrics],
        )
    return render(request, "competition/dashboard.html", context)
