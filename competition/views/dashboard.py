"""The leaders' dashboard (领导看板): headline figures, cards, 三有三不 and charts.

Leaders and the competition office only. The league is the stored snapshot of the date
(competition.league.stored: the league table's own figures), or computed live when the
date has none, and never stored from here; with competition.scoring.diagnostics and
competition.scoring.progress. This view parses the query string, calls them and renders.

Queries, whatever the number of departments and records: session, user, roles (2), the
competition (1), the snapshot's version (1), the departments' records versions (1; not
when the date has no snapshot), the form's competition choices (1); when the
body is not cached, also the snapshot rows (1; when the date has none, compute_league's 4
instead), the project mix (1), progress (3), the funnel's linked visits (1).
"""

from __future__ import annotations

import hashlib

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from competition import charts, funnel
from competition.home import active_competition
from competition.league.stored import is_behind, league_of_version, stored_versions
from competition.models import Competition
from competition.scoring import League, diagnostics, window_for
from competition.scoring.progress import cumulative_progress
from competition.tables import FunnelTable
from competition.views.as_of import moved_notice, shown_as_of
from departments.changes import records_versions
from departments.roles import Role
from web.access import require
from web.dates import BoundedDateField
from web.fragments import shared_fragment


class DashboardParams(forms.Form):
    """The query string: which competition, as of which date (both optional)."""

    competition = forms.ModelChoiceField(
        label=_("竞赛"),
        queryset=Competition.objects.order_by("-start_date", "name"),
        required=False,
        empty_label=_("进行中的竞赛"),
    )
    as_of = BoundedDateField(label=_("统计日期"), required=False)


def _body_context(league: League) -> dict:
    competition, window = league.competition, league.window
    found = diagnostics.diagnose(league=league)
    progress = cumulative_progress(competition, as_of=league.as_of)
    funnel_rows = funnel.conversion_funnel(league)
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
        "funnel_table": FunnelTable(
            funnel_rows, competition=competition, as_of=league.as_of, window=window
        ),
        "funnel_totals": funnel.totals(funnel_rows),
    }


BODY_TEMPLATE = "competition/_dashboard_body.html"


def dashboard_body(competition: Competition, *, as_of) -> tuple[str, bool]:
    """The dashboard below the form as HTML, and whether its league is stored.

    The body of a stored snapshot is rendered once per snapshot version, departments'
    records versions, count of writes and language, on the "shared" cache (web.fragments:
    drawn once for every web process, 321 ms of CPU on the load-test database): its 三有三不
    and cumulative progress cost 99 ms of the 105 ms page (bench, PostgreSQL, 100
    departments, 10,000 projects) and change only with the league's figures (the
    snapshot's version), the projects or the records: the day-by-day progress and the
    funnel's visits linked to a project are read from them, and a recompute keeps the
    version when the date's figures stay the same (competition.league.snapshots), so every
    department's records version (departments.changes: new with every service write of
    its projects and records) and the competition's count of writes (`stale_version`)
    name them. A league computed live is rendered every time. Nothing of the user enters
    it.
    """
    window = window_for(competition, as_of=as_of)
    if not window.started:
        return render_to_string(
            BODY_TEMPLATE, {"competition": competition, "window": window}
        ), False
    # The version first, the rows only on a miss: a hit reads and converts no snapshot
    # row (leader, bench database at scale 0.5, CPU per request, median of 15: 24–30 →
    # 16–18 ms). Read before the rows, so a
    # recompute in between stores newer figures under this key, never older ones under a
    # newer key.
    version = stored_versions(competition, dates=[as_of]).get(as_of)
    if version is None:
        league = league_of_version(competition, as_of=as_of, version=None)
        return render_to_string(BODY_TEMPLATE, _body_context(league)), False
    # Every department's records version names the projects and records as they are: a
    # service write of any of them gives its department a new one (departments.changes).
    # It replaced a count and latest edit of every project, 1.9 ms of PostgreSQL's time
    # per request on the load-test database (EXPLAIN ANALYZE; the versions: 0.08 ms).
    departments = hashlib.sha256(repr(records_versions()).encode()).hexdigest()
    key = "dashboard:" + ":".join(
        str(part)
        for part in (
            competition.pk,
            as_of.isoformat(),
            version,
            competition.stale_version,
            departments,
            translation.get_language(),
        )
    )

    def draw():
        league = league_of_version(competition, as_of=as_of, version=version)
        return render_to_string(BODY_TEMPLATE, _body_context(league))

    return shared_fragment(key, draw), True


@require(Role.LEADER_OR_OFFICE)  # liaisons and staff get 403
def dashboard(request):
    today = timezone.localdate()
    # Unbound without a query string, so that the date field shows today.
    params = DashboardParams(request.GET or None, initial={"as_of": today})
    chosen, typed = None, None
    if params.is_valid():
        chosen, typed = params.cleaned_data["competition"], params.cleaned_data["as_of"]
    competition = chosen or active_competition(today=today)
    context = {"params": params, "competition": competition, "as_of": typed or today}
    if competition is not None:
        as_of = shown_as_of(competition, typed or today, today=today)
        # The date field shows the date the figures are for, not the one moved.
        if typed:
            params.data = params.data.copy()
            params.data["as_of"] = as_of.isoformat()
        else:
            params.initial["as_of"] = as_of
        body, stored = dashboard_body(competition, as_of=as_of)
        context.update(
            body=body,
            as_of=as_of,
            as_of_notice=typed and moved_notice(competition, requested=typed, shown=as_of),
            stale=stored and is_behind(competition, as_of=as_of),
        )
    return render(request, "competition/dashboard.html", context)
