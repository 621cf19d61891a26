"""Visits (客商接待): list with filters and export, a form quick enough for a phone, and a
page per visit with its review (verify, return, resubmit) and history."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from departments.roles import Role, roles_of
from projects import policy, services
from projects.access import get_visit_for_user, may_log, may_verify, visits_for
from projects.filters import VisitFilter
from projects.forms import VisitForm, add_service_errors
from projects.listing import LIST_PAGE_SECONDS, list_page_key
from projects.models import ReviewStatus, Submission
from projects.tables import VisitTable
from projects.views.duplicates import warning_context
from projects.views.history import visit_history
from projects.views.once import first_result, repeated
from web.access import require
from web.forms import create_form_key, form_cache_key
from web.ratelimit import rate_limited
from web.tables import configure, export_response, is_export

NOT_RETURNED = ~Q(status=ReviewStatus.RETURNED)
VERIFIED = Q(status=ReviewStatus.VERIFIED)


@require(Role.LIAISON_LEADER_OR_OFFICE)
def visit_list(request):
    roles = roles_of(request.user)
    visits = visits_for(roles).select_related("department", "project", "logged_by__person")

    def visit_filter():
        return VisitFilter(request.GET, queryset=visits, request=request)

    if is_export(request):
        table = VisitTable(visit_filter().qs, roles=roles)
        return export_response(request, table, title=_("客商接待"))
    # The filter form, the totals and the table are drawn inside one cached block
    # (projects.listing): built only when it misses.
    listed = SimpleLazyObject(visit_filter)

    def table():
        table = VisitTable(listed.qs, roles=roles)
        configure(request, table)
        return table

    def totals():
        # The speech's own figures: batches (批次) and persons (人次) of what is listed,
        # returned visits left out (they never count), and of those how many the office
        # verified.
        return listed.qs.order_by().aggregate(
            batches=Count("id", filter=NOT_RETURNED),
            visitors=Sum("persons", filter=NOT_RETURNED),
            verified_batches=Count("id", filter=VERIFIED),
            verified_visitors=Sum("persons", filter=VERIFIED),
        )

    return render(
        request,
        "projects/visit_list.html",
        {
            "filter": listed,
            "table": SimpleLazyObject(table),
            "totals": SimpleLazyObject(totals),
            # It names who logged each visit (their Person) and links 修改 on the user's
            # own departments' rows: both are in the key.
            "list_key": list_page_key(request, roles, page="visits", names_people=True),
            "list_seconds": LIST_PAGE_SECONDS,
            # Its filter form kept drawn too (web.forms): 43–45 → 25–30 ms CPU for a
            # liaison (bench at scale 0.5, median of 15).
            "filter_form_key": SimpleLazyObject(lambda: form_cache_key(listed.form)),
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
