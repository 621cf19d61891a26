"""Leads (信息): submit one, follow one's own, and the department's list with who found what."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.roles import Role, roles_of
from projects import services
from projects.access import projects_for
from projects.filters import LeadFilter, lead_counts_by_channel, lead_counts_by_submitter
from projects.forms import LeadForm
from projects.models import Project, Submission
from projects.tables import LeadTable, MyLeadTable
from projects.views.duplicates import warning_context
from projects.views.once import first_result, repeated
from web.access import require
from web.tables import configure, export_response


@require(Role.STAFF_LIAISON_OR_OFFICE)
def lead_create(request):
    form = LeadForm(request.POST or None, roles=roles_of(request.user))
    if answer := repeated(request, form, Submission.Kind.LEAD):
        return answer
    if request.method == "POST" and form.is_valid():
        try:
            project = services.submit_lead(
                form.save(commit=False),
                by=request.user,
                today=timezone.localdate(),
                submission=form.cleaned_data["submission"],
            )
        except services.AlreadySubmitted as e:
            return first_result(request, e.submission)
        messages.success(
            request,
            _("信息已报送给%(dept)s，编号 %(code)s。")
            % {"dept": project.department.name, "code": project.code},
        )
        return redirect("projects:my_leads")
    return render(
        request, "projects/lead_form.html", {"form": form, **warning_context(request, form)}
    )


@require(Role.STAFF_LIAISON_OR_OFFICE)
def my_leads(request):
    """What became of the leads the user submitted (whatever their department now is)."""
    # Newest first, as the staff member's home lists them (competition.home.staff_home).
    leads = (
        Project.objects.filter(submitted_by=request.user)
        .select_related("department")
        .order_by("-created_at", "-id")
    )
    table = MyLeadTable(leads)
    if response := export_response(request, table, title=_("我的信息")):
        return response
    configure(request, table)
    return render(request, "projects/my_leads.html", {"table": table})


@require(Role.LIAISON_LEADER_OR_OFFICE)
def lead_list(request):
    """Leads of the user's departments, and counts by submitter and by channel."""
    roles = roles_of(request.user)
    leads = projects_for(roles).filter(submitted_by__isnull=False)
    lead_filter = LeadFilter(
        request.GET,
        queryset=leads.select_related("department", "submitted_by__person"),
        request=request,
    )
    table = LeadTable(lead_filter.qs)
    if response := export_response(request, table, title=_("信息")):
        return response
    configure(request, table)
    # Counts follow the filters.
    counted = lead_filter.qs.order_by()
    return render(
        request,
        "projects/lead_list.html",
        {
            "filter": lead_filter,
            "table": table,
            "by_submitter": lead_counts_by_submitter(counted),
            "by_channel": lead_counts_by_channel(counted),
            "may_submit": Role.STAFF_LIAISON_OR_OFFICE.allows(roles),
        },
    )
