"""Visits (客商接待): list with filters and export, a form quick enough for a phone, and a
page per visit with its review (verify, return, resubmit) and history."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from departments.roles import Role, roles_of
from projects import policy, services
from projects.access import get_visit_for_user, may_log, may_verify, visits_for
from projects.filters import VisitFilter
from projects.forms import VisitForm, add_service_errors
from projects.models import ReviewStatus, Submission
from projects.tables import VisitTable, person_name
from projects.views.duplicates import warning_context
from projects.views.history import visit_history
from projects.views.once import first_result, repeated
from web.access import require
from web.forms import create_form_key, form_cache_key
from web.ratelimit import rate_limited
from web.tables import PAGE_SECONDS, configure, export_response, page_cache_key

NOT_RETURNED = ~Q(status=ReviewStatus.RETURNED)
VERIFIED = Q(status=ReviewStatus.VERIFIED)


@require(Role.LIAISON_LEADER_OR_OFFICE)
def visit_list(request):
    roles = roles_of(request.user)
    visits = visits_for(roles).select_related("department", "project", "logged_by__person")
    visit_filter = VisitFilter(request.GET, queryset=visits, request=request)
    table = VisitTable(visit_filter.qs, roles=roles)
    if response := export_response(request, table, title=_("客商接待")):
        return response
    configure(request, table)
    # The speech's own figures: batches (批次) and persons (人次) of what is listed, returned
    # visits left out (they never count), and of those how many the office verified.
    totals = visit_filter.qs.order_by().aggregate(
        batches=Count("id", filter=NOT_RETURNED),
        visitors=Sum("persons", filter=NOT_RETURNED),
        verified_batches=Count("id", filter=VERIFIED),
        verified_visitors=Sum("persons", filter=VERIFIED),
    )
    return render(
        request,
        "projects/visit_list.html",
        {
            "filter": visit_filter,
            "table": table,
            # Drawing the page was 80% of it (bench at scale 0.5: 143 ms of CPU, 26 ms
            # cached). Besides the columns' values: the logger as the page names them (a
            # Person), and the 修改 link, drawn for the user's own departments only.
            "table_key": page_cache_key(
                request,
                table,
                per_row=lambda visit: (
                    person_name(visit.logged_by),
                    roles.can_write_department(visit.department_id),
                ),
            ),
            "page_seconds": PAGE_SECONDS,
            # Its filter form kept drawn too (web.forms): 43–45 → 25–30 ms CPU for a
            # liaison (bench at scale 0.5, median of 15).
            "filter_form_key": form_cache_key(visit_filter.form),
            "totals": totals,
            "can_log": may_log(roles),
        },
    )


@require(Role.LIAISON_LEADER_OR_OFFICE)
def visit_detail(request, pk):
    visit, can_write = get_visit_for_user(request, pk)
    policy.annotate_missing([visit], policy.current_policies())
    return render(
        request,
        "projects/visit_detail.html",
        {
            "visit": visit,
            "record": visit,
            "can_write": can_write,
            "can_verify": may_verify(roles_of(request.user)),
            "history": visit_history(visit),
        },
    )


@require(Role.LIAISON_OR_OFFICE)
@rate_limited("upload")
def visit_create(request):
    form = VisitForm(
        request.POST or None,
        request.FILES or None,
        roles=roles_of(request.user),
        # Shown empty, the form offers the host of the user's last visit (a posted form
        # shows what was posted: no query for it then).
        initial={"host": services.last_host(request.user)} if request.method == "GET" else None,
    )
    if answer := repeated(request, form, Submission.Kind.VISIT):
        return answer
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.save_visit(
                form.save(commit=False),
                by=request.user,
                submission=form.cleaned_data["submission"],
            )
        except services.AlreadySubmitted as e:
            return first_result(request, e.submission)
        messages.success(
            request,
            _("已登记接待：%(org)s %(n)d人，等待竞赛办核实。")
            % {"org": visit.investor_org, "n": visit.persons},
        )
        return redirect("projects:visit_list")
    return render(
        request,
        "projects/visit_form.html",
        {
            "form": form,
            "visit": None,
            "form_key": create_form_key(request, form),
            **warning_context(request, form),
        },
    )


@require(Role.LIAISON_OR_OFFICE)
@rate_limited("upload")
def visit_edit(request, pk):
    visit, can_write = get_visit_for_user(request, pk)
    if not can_write:
        raise PermissionDenied
    form = VisitForm(
        request.POST or None, request.FILES or None, instance=visit, roles=roles_of(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_visit(
                form.save(commit=False),
                by=request.user,
                original_status=form.original_status,
                changed=form.changed_data,
            )
        except services.Conflict as e:
            messages.warning(request, str(e))
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            if form.original_status == ReviewStatus.RETURNED:
                messages.success(request, _("已修改并重新提交，等待竞赛办核实。"))
            else:
                messages.success(request, _("接待记录已保存。"))
            return redirect("projects:visit_detail", pk=visit.pk)
    return render(request, "projects/visit_form.html", {"form": form, "visit": visit})
