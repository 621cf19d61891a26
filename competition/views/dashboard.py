"""The leaders' dashboard (领导看板): headline figures, cards, 三有三不 and charts.

Leaders and the competition office only. The league is the stored snapshot of the date
(competition.league.stored: the league table's own figures, computed and stored first if the
date has none), with competition.scoring.diagnostics and competition.scoring.progress; this view parses
the query string, calls them and renders. The rendered figures are cached on the
snapshot's version (competition.pagecache explains why that is safe).

Queries, whatever the number of departments and records: session, user, roles (2), the
competition (1), the snapshot version (1), the form's competition choices (1), session
save (3). A cache miss adds the snapshot rows (1), the project mix (1) and progress (3);
a date never viewed before adds its recompute and a second version read. A date after
today is computed live (compute_league, 6 queries) and neither stored nor cached: a
snapshot is of a day that has happened.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competition import charts, pagecache
from competition.home import active_competition
from competition.league.snapshots import recompute_snapshots
from competition.league.stored import stored_league
from competition.models import Competition
from competition.scoring import League, compute_league, diagnostics, window_for
from competition.scoring.progress import cumulative_progress
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


BODY_TEMPLATE = "competition/_dashboard_body.html"


def _body_context(league: League) -> dict:
    competition, window = league.competition, league.window
    found = diagnostics.diagnose(league=league)
    progress = cumulative_progress(competition, as_of=league.as_of)
    return {
        "competition": competition,
        "league": league,
        "window": window,
        "figures_date": window.end,
        "threshold": charts.plain_percent(competition.yellow_threshold),
        "major_min": f"{settings.MAJOR_PROJECT_MIN_INVESTMENT.normalize():f}",
        "time_share": window.elapsed / window.days * 100,
        "yellow_cards": [(r, charts.percent(r.score)) for r in league.rows if r.yellow_card],
        "zero_results": [r for r in league.rows if r.zero_result],
        "flagged": sum(1 for d in found if d.flagged),
        "clean_departments": sum(1 for d in found if not d.flagged),
        "weak_action": [
            (d, d.weak_action, charts.percent(d.weak_action.figures["ratio"]))
            for d in found
            if d.weak_action
        ],
        "slow_progress": [(d, d.slow_progress) for d in found if d.slow_progress],
        "few_projects": [(d, d.few_projects) for d in found if d.few_projects],
        "reason_counts": [
            (diagnostics.REASON_LABELS[code], n)
            for code, n in diagnostics.reason_counts(found).items()
        ],
        "time_bar": charts.time_progress_bar(elapsed=window.elapsed, days=window.days),
        "score_chart": charts.score_chart(league.rows, competition.yellow_threshold),
        "progress_panels": [charts.cumulative_panel(progress, m) for m in progress.metrics],
    }


def _render_body(league: League) -> str:
    # No request: the part is shared by every reader, so nothing of the user may enter it.
    return render_to_string(BODY_TEMPLATE, _body_context(league))


def dashboard_body(competition: Competition, *, as_of, today) -> str:
    """The dashboard below the form for `competition` as of `as_of`, as HTML."""
    window = window_for(competition, as_of=as_of)
    if not window.started:
        return render_to_string(BODY_TEMPLATE, {"competition": competition, "window": window})
    if as_of > today:
        return _render_body(compute_league(competition, as_of=as_of))
    version = pagecache.snapshot_version(competition, as_of=as_of, with_projects=True)
    computed = None
    if version.current is None:
        computed = recompute_snapshots(competition, as_of=as_of)
        version = pagecache.snapshot_version(competition, as_of=as_of, with_projects=True)

    def render_stored() -> str:
        # No rows stored even now: a competition without participants; show what we computed.
        league = stored_league(competition, as_of=as_of) if version.current else computed
        return _render_body(league)

    return pagecache.cached_html(
        "dashboard",
        competition_id=competition.pk,
        as_of=as_of,
        version=version,
        render=render_stored,
    )


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
        context.update(
            body=dashboard_body(competition, as_of=as_of, today=today),
            # Outside the cached part: the marker changes without a new snapshot. Only the
            # stored figures can be behind (not those before the window or after today).
            stale=competition.stale_from is not None and competition.start_date <= as_of <= today,
        )
    return render(request, "competition/dashboard.html", context)
