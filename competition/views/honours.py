"""红黑榜 page, and the records behind a department's 基础工作 figures."""

import django_tables2 as tables
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from competition import charts
from competition.forms import HonoursParams
from competition.home import active_competition
from competition.honours import Honours, Reason, day_end, honours_for
from competition.league.stored import league_to_show
from competition.models import Competition
from competition.scoring import counted_statuses, window_for
from competition.views.as_of import as_of_from_query, shown_as_of
from departments.models import Department
from departments.roles import Role, Roles, roles_of
from projects.lateness import late_entry_q
from projects.models import Milestone, Receipt, ReviewStatus, Visit
from web.access import require
from web.tables import configure


def _params(request):
    data = request.GET.copy()
    if not data.get("competition"):
        competition = active_competition(today=timezone.localdate())
        if competition is not None:
            data["competition"] = str(competition.pk)
    if not data.get("as_of"):
        data["as_of"] = timezone.localdate().isoformat()
    return data


def _links(reasons: list[Reason], *, department_id: int, roles: Roles) -> list[tuple[str, str]]:
    """(text, URL or "") per reason: a private link only for readers of the department."""
    shown = []
    for reason in reasons:
        url = ""
        if reason.link and (not reason.private or roles.can_read_department(department_id)):
            name, args = reason.link
            url = reverse(name, args=args)
        shown.append((reason.text, url))
    return shown


def _lines(entries, *, roles: Roles) -> list[dict]:
    return [
        {
            "entry": e,
            "reasons": _links(e.reasons, department_id=e.department_id, roles=roles),
        }
        for e in entries
    ]


def _basics_lines(honours: Honours, *, roles: Roles) -> list[dict]:
    lines = []
    for row in honours.rows:
        basics = honours.basics.get(row.department_id)
        if basics is None:
            continue
        readable = roles.can_read_department(row.department_id)
        lines.append(
            {
                "row": row,
                "basics": basics,
                "late_share": "—"
                if basics.late_share is None
                else charts.percent(basics.late_share),
                "evidence_share": "—"
                if basics.evidence_share is None
                else charts.percent(basics.evidence_share),
                "failing": {r.code for r in honours.basics_failing.get(row.department_id, [])},
                "url": reverse("honour_basics", args=[honours.competition.pk, row.department_id])
                if readable
                else "",
            }
        )
    return lines


@require(Role.LIAISON_LEADER_OR_OFFICE)
def honours(request):
    """红黑榜 as of a date (default today): each entry with its reasons, each reason linked
    to its records where the user may open them; then every department's 基础工作.

    Queries, whatever the number of departments: session, user, roles (2), the form's
    competition, the league (stored snapshot 1, or computed live 4), 红黑榜 6 (bulletin
    dates, cards, milestones, receipts, visits, notable results), the form's competition
    choices.
    """
    params = HonoursParams(_params(request))
    context = {"params": params}
    if params.is_valid():
        roles = roles_of(request.user)
        competition = params.cleaned_data["competition"]
        as_of = shown_as_of(competition, params.cleaned_data["as_of"], today=timezone.localdate())
        params.data = params.data.copy()
        params.data["as_of"] = as_of.isoformat()
        league, _stored = league_to_show(competition, as_of=as_of)
        found = honours_for(competition, league=league)
        context.update(
            competition=competition,
            as_of=as_of,
            honours=found,
            red=_lines(found.red, roles=roles),
            black=_lines(found.black, roles=roles),
            basics=_basics_lines(found, roles=roles),
        )
    return render(request, "competition/honours.html", context)


class BasicsRecordTable(tables.Table):
    """A milestone, receipt or visit behind a 基础工作 figure."""

    kind = tables.Column(verbose_name=_("类型"), orderable=False)
    what = tables.Column(verbose_name=_("记录"), orderable=False)
    occurred_on = tables.Column(verbose_name=_("发生日期"), orderable=False)
    created_at = tables.DateTimeColumn(
        verbose_name=_("填报时间"), format="Y-m-d H:i", orderable=False
    )
    status = tables.Column(verbose_name=_("核实状态"), orderable=False, default="—")

    class Meta:
        attrs = {"class": "table"}

    def render_what(self, value, record):
        if record.get("url"):
            return format_html('<a href="{}">{}</a>', record["url"], value)
        return value

    def render_occurred_on(self, value):
        return value.isoformat()


def _record_rows(records, kind_label) -> list[dict]:
    rows = []
    for r in records:
        if isinstance(r, Visit):
            what, url, status = r.investor_org, "", None
        else:
            what = str(r)
            url = reverse("projects:detail", args=[r.project_id])
            status = r.get_status_display()
        rows.append(
            {
                "kind": kind_label(r),
                "what": what,
                "url": url,
                "occurred_on": r.occurred_on,
                "created_at": r.created_at,
                "status": status,
            }
        )
    return rows


def _kind_label(record) -> str:
    return str(record._meta.verbose_name)


@require(Role.LIAISON_LEADER_OR_OFFICE)
def honour_basics(request, competition_id, department_id):
    """The records behind one department's 基础工作 figures on 红黑榜: its 补录 records,
    its counted milestones and receipts without evidence, its returned records.

    Queries: session, user, roles (2), competition, department, then 5 lists (late
    milestones, receipts and visits; counted records without evidence 2; returned 2).
    """
    roles = roles_of(request.user)
    competition = get_object_or_404(Competition, pk=competition_id)
    department = get_object_or_404(Department, pk=department_id)
    if not roles.can_read_department(department.pk):
        raise Http404
    as_of = as_of_from_query(request, competition, today=timezone.localdate()).day
    window = window_for(competition, as_of=as_of)
    dated = Q(occurred_on__gte=window.start, occurred_on__lte=window.end)
    typed = Q(created_at__lt=day_end(as_of))
    statuses = counted_statuses(competition)
    in_department = Q(project__department=department)

    def records(model, condition):
        return list(
            model.objects.filter(in_department, condition)
            .select_related("project")
            .order_by("occurred_on", "id")
        )

    late = []
    if window.started:
        late = (
            records(Milestone, dated & typed & late_entry_q())
            + records(Receipt, dated & typed & late_entry_q())
            + list(
                Visit.objects.filter(
                    dated & typed & late_entry_q(), department=department
                ).order_by("occurred_on", "id")
            )
        )
        missing = records(Milestone, dated & Q(status__in=statuses, evidence="")) + records(
            Receipt, dated & Q(status__in=statuses, evidence="")
        )
    else:
        missing = []
    returned = records(Milestone, Q(status=ReviewStatus.RETURNED)) + records(
        Receipt, Q(status=ReviewStatus.RETURNED)
    )
    sections = []
    for prefix, title, found in (
        ("late-", _("补录的记录"), late),
        ("evidence-", _("计入成绩但没有佐证的记录"), missing),
        ("returned-", _("退回未改的记录"), returned),
    ):
        table = BasicsRecordTable(_record_rows(found, _kind_label))
        configure(request, table, prefix=prefix, per_page=50)
        sections.append({"title": title, "table": table, "count": len(found)})
    return render(
        request,
        "competition/honour_basics.html",
        {
            "competition": competition,
            "department": department,
            "as_of": as_of,
            "sections": sections,
            "window": window,
        },
    )
