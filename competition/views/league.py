"""League table, "how this is computed", and the records behind each figure."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig
from django_tables2.export import TableExport

from competition import pagecache
from competition.access import require_league_reader
from competition.filters import LeagueFilter
from competition.home import active_competition
from competition.league.snapshots import recompute_snapshots
from competition.models import METRICS, Competition, Snapshot
from competition.scoring import compute_league
from competition.scoring import explain as explain_rules
from competition.tables import LeagueExportTable, LeagueTable, counted_records_table
from departments.models import Department
from web.tables import configure

EXPORT_FORMATS = ("csv", "xlsx")
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


def _snapshot_version(competition: Competition, as_of) -> pagecache.Version:
    """The version of that date's snapshot, computed and stored first if nobody asked for
    it before (then read again: the stored rows are what the page shows)."""
    compared_to = as_of - timedelta(days=COMPARE_DAYS)
    version = pagecache.snapshot_version(competition, as_of=as_of, compared_to=compared_to)
    if version.current is None:
        recompute_snapshots(competition, as_of=as_of)
        version = pagecache.snapshot_version(competition, as_of=as_of, compared_to=compared_to)
    return version


def league_table_html(request, competition: Competition, *, as_of, version, rows):
    """The league table of `rows` (one date's snapshot, filtered) as HTML, cached; and the
    table itself when it was rendered (a cache miss), else None.

    The whole query string keys the entry: the group filter, the sort, and the sort links,
    which repeat the other parameters. Queries on a miss: the rows and last week's ranks.
    """
    compared_to = as_of - timedelta(days=COMPARE_DAYS)
    rendered = []

    def render_table() -> str:
        previous = dict(
            Snapshot.objects.filter(competition=competition, as_of=compared_to).values_list(
                "department_id", "rank"
            )
        )
        table = LeagueTable(rows.order_by("rank"), previous_ranks=previous)
        RequestConfig(request, paginate=False).configure(table)
        rendered.append(table)
        return table.as_html(request)

    html = pagecache.cached_html(
        "league",
        competition_id=competition.pk,
        as_of=as_of,
        version=version,
        params=list(request.GET.lists()),
        render=render_table,
    )
    return html, (rendered[0] if rendered else None)


@login_required
def league(request):
    """The stored snapshot of a date as a table; its HTML is cached on the snapshot's version.

    Queries on a cache hit: session, user, roles (2), the form's competition (and group)
    lookup, the snapshot version, the form's competition choices (twice: the required
    select reads its first choice) and group choices, session save (3). A miss adds the
    snapshot rows and last week's ranks (2); a date never viewed before adds its
    recompute and a second version read.
    """
    require_league_reader(request)
    filterset = LeagueFilter(_league_params(request), queryset=Snapshot.objects.all())
    context = {"filter": filterset, "table": None, "table_html": None}
    if filterset.is_valid():
        competition = filterset.form.cleaned_data["competition"]
        as_of = filterset.form.cleaned_data["as_of"]
        if as_of > timezone.localdate():
            filterset.form.add_error("as_of", _("统计日期不能晚于今天。"))
    if filterset.is_valid() and not filterset.form.errors:
        version = _snapshot_version(competition, as_of)
        export = request.GET.get("_export")
        if export in EXPORT_FORMATS:
            name = f"{competition.name}-排名-{as_of.isoformat()}.{export}"
            rows = filterset.qs.order_by("rank")
            return TableExport(export, LeagueExportTable(rows)).response(filename=name)
        context["table_html"], context["table"] = league_table_html(
            request, competition, as_of=as_of, version=version, rows=filterset.qs
        )
        compared_to = as_of - timedelta(days=COMPARE_DAYS)
        context.update(
            competition=competition,
            as_of=as_of,
            stale=competition.stale_from is not None,
            compared_to=compared_to if version.previous else None,
        )
    return render(request, "competition/league.html", context)


def _competition_department(competition_id, department_id):
    competition = get_object_or_404(Competition, pk=competition_id)
    department = get_object_or_404(Department, pk=department_id)
    return competition, department


def _as_of(request):
    try:
        return timezone.datetime.fromisoformat(request.GET["as_of"]).date()
    except (KeyError, ValueError):
        return timezone.localdate()


@login_required
def explain(request, competition_id, department_id):
    """The formula of DOMAIN.md filled in with one department's numbers."""
    require_league_reader(request)
    competition, department = _competition_department(competition_id, department_id)
    as_of = _as_of(request)
    league = compute_league(competition, as_of=as_of)
    result = next((r for r in league.rows if r.department_id == department.id), None)
    if result is None:
        raise Http404(_("该部门未参加此竞赛。"))
    context = {
        "competition": competition,
        "department": department,
        "as_of": as_of,
        "league": league,
        "result": result,
        "explanation": explain_rules.explain(result, league=league),
    }
    return render(request, "competition/explain.html", context)


@login_required
def counted_records(request, competition_id, department_id, metric):
    """The records one figure counts: each number on the explain page links here."""
    roles = require_league_reader(request)
    competition, department = _competition_department(competition_id, department_id)
    if metric not in METRICS or not roles.can_read_department(department.id):
        raise Http404
    as_of = _as_of(request)
    table = counted_records_table(competition, department=department, metric=metric, as_of=as_of)
    configure(request, table, per_page=50)
    context = {
        "competition": competition,
        "department": department,
        "as_of": as_of,
        "metric_label": dict(explain_rules.METRIC_LABELS)[metric],
        "table": table,
    }
    return render(request, "competition/counted_records.html", context)
