"""League table, "how this is computed", and the records behind each figure."""

from datetime import timedelta

from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tables2 import RequestConfig

from competition.cards import department_cards
from competition.forms import LeagueParams
from competition.home import active_competition
from competition.league.stored import (
    is_behind,
    league_of_version,
    league_to_show,
    stored_ranks,
    stored_versions,
)
from competition.models import METRICS, Competition
from competition.scoring import compute_league, pace, reported, tie_runs
from competition.scoring import explain as explain_rules
from competition.scoring.rule import TIE_BREAKERS
from competition.tables import LeagueExportTable, LeagueTable, counted_records_table
from competition.views.as_of import as_of_from_query, moved_notice, shown_as_of
from departments.models import Department
from departments.roles import Role, roles_of
from web.access import require
from web.forms import form_cache_key
from web.fragments import shared_fragment
from web.tables import configure, export_response, is_export

# The rank change compares with the snapshot this many days earlier.
COMPARE_DAYS = 7


def _league_params(request):
    """The GET parameters with the defaults filled in: active competition, today."""
    data = request.GET.copy()
    if not data.get("competition"):
        competition = active_competition(today=timezone.localdate())
        if competition is not None:
            data["competition"] = str(competition.pk)
    if not data.get("as_of"):
        data["as_of"] = timezone.localdate().isoformat()
    return data


@require(Role.LIAISON_LEADER_OR_OFFICE)
def league(request):
    """The league of a date as a table: its stored snapshot, or computed live when the
    date has none (never stored from here: reading a page writes nothing). A date outside
    the window or after today is moved inside, and the page says so (views.as_of).

    Queries, whatever the number of departments: session, user, roles (2), the form's
    competition (and group) lookup, the versions of the date's and last week's snapshots;
    when the drawn table is not cached, the snapshot rows (when the date has none,
    compute_league's 4 instead) and last week's ranks (when it has a snapshot); the form's
    competition and group choices (read for the drawn form's key); when the drawn form is
    not cached, its drawing reads them again (3: the required select reads its first
    choice).
    """
    params = LeagueParams(_league_params(request))
    context = {"params": params, "table_html": None}
    if params.is_valid():
        competition = params.cleaned_data["competition"]
        requested, group = params.cleaned_data["as_of"], params.cleaned_data["group"]
        as_of = shown_as_of(competition, requested, today=timezone.localdate())
        # The date field shows the date the table is for, not the one that was moved.
        params.data = params.data.copy()
        params.data["as_of"] = as_of.isoformat()
        compared_to = as_of - timedelta(days=COMPARE_DAYS)
        if is_export(request):
            return _export(request, competition, as_of=as_of, group=group)
        # Read before the rows: a recompute in between stores newer rows under this key,
        # never older ones under a newer key.
        versions = stored_versions(competition, dates=[as_of, compared_to])
        key = _table_cache_key(request, competition, as_of=as_of, versions=versions)

        def draw():
            return _draw_table(request, competition, as_of=as_of, group=group, versions=versions)

        table_html = shared_fragment(key, draw) if key else draw()
        context.update(
            table_html=table_html,
            threshold=competition.yellow_threshold,
            cap=competition.cap,
            competition=competition,
            as_of=as_of,
            # No notice for the default date (today), moved to a finished window's end.
            as_of_notice=request.GET.get("as_of")
            and moved_notice(competition, requested=requested, shown=as_of),
            stale=as_of in versions and is_behind(competition, as_of=as_of),
            compared_to=compared_to if compared_to in versions else None,
        )
    # The drawn form is kept under its values and choices (web.forms): drawing it was
    # about a fifth of the page once the table was cached (leader, bench database at
    # scale 0.5, CPU per request, median of 25: 25–31 → 21–25 ms).
    context["params_key"] = form_cache_key(params)
    return render(request, "competition/league.html", context)


TIE_REASONS = {
    "funds_amount": gettext_lazy("到账资金"),
    "signed_projects": gettext_lazy("签约项目"),
    "order": gettext_lazy("部门排序"),
    "name": gettext_lazy("部门名称"),
}


def _tie_note(run) -> str:
    """One line under the table per run of departments sharing a score, in rank order,
    and what ordered them."""
    names = [run[0].above] + [tie.below for tie in run]
    used = {tie.decided_by for tie in run}
    return _("%(names)s得分相同，依次因%(reasons)s排列。") % {
        "names": "、".join(r.department_name for r in names),
        "reasons": "、".join(str(TIE_REASONS[key]) for key in TIE_BREAKERS if key in used),
    }


def _table_cache_key(request, competition, *, as_of, versions: dict) -> str | None:
    """What the drawn league table (and its tie notes) shows, besides nothing of the user:
    the stored snapshot's version, last week's (the rank change), the query string (group,
    sort) and the language. None for a date without a snapshot (the league is computed
    live): nothing to key on, drawn every time. The table has no link that depends on who
    reads it (every reader of this page may open each department's explain page); the one
    that does, 导出台账, is outside the entry.

    A hit reads neither the 100 stored rows nor last week's ranks: one query for both
    versions instead of two, and no converting and drawing. The league page's CPU per
    request (bench database, scale 0.5: 100 departments; a leader; median of 15 in one
    process, alternately) went from 37–43 ms with the drawn table alone cached to 18–23 ms.
    Drawing it costs 186 ms of CPU (load-test database, 100 departments; 43% of it
    django-tables2 reading each cell's render signature), so it is kept on the "shared"
    cache (web.fragments): one web process draws it per recompute, not each of them.
    An entry is never stale: a change to a counted record, a department or a setting is
    recomputed into new snapshot rows (a new version) within seconds, and until then the
    page says the figures are behind.
    """
    if as_of not in versions:
        return None
    compared_to = as_of - timedelta(days=COMPARE_DAYS)
    return "league_table:" + "|".join(
        [
            str(competition.pk),
            as_of.isoformat(),
            str(versions[as_of]),
            str(versions.get(compared_to, "")),
            request.GET.urlencode(),
            translation.get_language(),
        ]
    )


def _draw_table(request, competition, *, as_of, group, versions: dict) -> str:
    """The league table of `as_of` (its stored snapshot, else computed live) and the tie
    notes under it, drawn."""
    league = league_of_version(competition, as_of=as_of, version=versions.get(as_of))
    rows = [r for r in league.rows if group is None or r.group_id == group.pk]
    compared_to = as_of - timedelta(days=COMPARE_DAYS)
    previous = stored_ranks(competition, as_of=compared_to) if compared_to in versions else {}
    table = LeagueTable(rows, competition_id=competition.pk, as_of=as_of, previous_ranks=previous)
    RequestConfig(request, paginate=False).configure(table)
    context = {"table": table, "tie_notes": [_tie_note(run) for run in tie_runs(rows)]}
    return render_to_string("competition/_league_table.html", context, request=request)


def _export(request, competition, *, as_of, group):
    """The league of `as_of` as CSV or Excel when the query string asks for it."""
    league, _stored = league_to_show(competition, as_of=as_of)
    rows = [r for r in league.rows if group is None or r.group_id == group.pk]
    return export_response(
        request,
        LeagueExportTable(rows),
        title=_("排名"),
        filename=f"{competition.name}-{_('排名')}-{as_of.isoformat()}",
    )


def _competition_department(competition_id, department_id):
    competition = get_object_or_404(Competition, pk=competition_id)
    department = get_object_or_404(Department, pk=department_id)
    return competition, department


@require(Role.LIAISON_LEADER_OR_OFFICE)
def explain(request, competition_id, department_id):
    """The formula of DOMAIN.md filled in with one department's numbers."""
    competition, department = _competition_department(competition_id, department_id)
    as_of = as_of_from_query(request, competition, today=timezone.localdate())
    # One query for the weights, shared by the league, the formula and the pace.
    prefetch_related_objects([competition], "metric_weights")
    league = compute_league(competition, as_of=as_of.day)
    result = next((r for r in league.rows if r.department_id == department.id), None)
    if result is None:
        raise Http404(_("该部门未参加此竞赛。"))
    context = {
        "competition": competition,
        "department": department,
        "as_of": as_of.day,
        "as_of_notice": as_of.notice,
        "league": league,
        "result": result,
        "explanation": explain_rules.explain(result, league=league),
        # 还需 / 日均 and the yellow-line plan, and 报送数 / 核实数: from this same row.
        "pace": pace.department_pace(result, league=league, weights=competition.weights()),
        "reported": reported.reported_and_verified(league, department_ids=[department.id])[
            department.id
        ],
        # The records behind a figure open for the department's own liaisons, the office
        # and leaders; another department's liaison sees the figures without links.
        "may_open_records": roles_of(request.user).can_read_department(department.id),
        # 黄牌记录: the department's cards in this competition, as the bulletins issued them.
        "cards": department_cards(competition, department_id=department.id),
        "today": timezone.localdate(),
    }
    return render(request, "competition/explain.html", context)


BASIS_LABELS = {
    "reported": gettext_lazy("报送数"),
    "verified": gettext_lazy("核实数"),
    "waiting": gettext_lazy("待核实"),
}


@require(Role.LIAISON_LEADER_OR_OFFICE)
def counted_records(request, competition_id, department_id, metric):
    """The records one figure counts: each number on the explain page links here."""
    roles = roles_of(request.user)
    competition, department = _competition_department(competition_id, department_id)
    if metric not in METRICS or not roles.can_read_department(department.id):
        raise Http404
    as_of = as_of_from_query(request, competition, today=timezone.localdate())
    # Which figure: the league's (default), or 报送数 / 核实数 / what awaits verification.
    basis = request.GET.get("basis")
    basis = basis if basis in reported.BASES else None
    table = counted_records_table(
        competition, department=department, metric=metric, as_of=as_of.day, basis=basis
    )
    configure(request, table, per_page=50)
    context = {
        "competition": competition,
        "department": department,
        "as_of": as_of.day,
        "as_of_notice": as_of.notice,
        "metric_label": dict(explain_rules.METRIC_LABELS)[metric],
        "basis": basis,
        "basis_label": BASIS_LABELS.get(basis, ""),
        "table": table,
    }
    return render(request, "competition/counted_records.html", context)
