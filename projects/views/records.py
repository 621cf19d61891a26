"""Milestones and receipts: log, edit (and so resubmit), resubmit unchanged (visits too),
returned list (milestones, receipts and visits)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from departments.roles import Role, roles_of
from projects import services
from projects.access import (
    get_milestone_for_user,
    get_project_for_user,
    get_receipt_for_user,
    get_record_for_user,
    milestones_for,
    receipts_for,
    visits_for,
)
from projects.forms import MilestoneForm, ReceiptForm, add_service_errors
from projects.models import MILESTONE_STAGES, Milestone, Receipt, ReviewStatus
from projects.tables import ReturnedMilestoneTable, ReturnedReceiptTable, ReturnedVisitTable
from projects.views.once import first_result, repeated
from web.access import require
from web.forms import create_form_key
from web.ratelimit import rate_limited
from web.tables import configure

FORMS = {"milestone": MilestoneForm, "receipt": ReceiptForm}
TITLES = {"milestone": gettext_lazy("阶段节点"), "receipt": gettext_lazy("资金到账")}


def _record_form(request, kind: str, record, *, project):
    """Show and process the form of a new or existing milestone/receipt."""
    form = FORMS[kind](request.POST or None, request.FILES or None, instance=record)
    if kind == "milestone" and record.pk is None and request.method == "GET":
        recorded = set(project.milestones.values_list("stage", flat=True))
        # The next stage not yet recorded, offered on the empty form (a posted one shows
        # what was posted); ModelForm's initial (the blank instance) wins over
        # field.initial, so set it there.
        form.initial["stage"] = next((s for s in MILESTONE_STAGES if s not in recorded), None)
    if answer := repeated(request, form, kind):
        return answer
    if request.method == "POST" and form.is_valid():
        try:
            services.save_record(
                form.save(commit=False),
                by=request.user,
                original_status=form.original_status,
                changed=form.changed_data,
                submission=form.cleaned_data.get("submission"),
            )
        except services.AlreadySubmitted as e:
            return first_result(request, e.submission)
        except services.Conflict as e:
            messages.warning(request, str(e))
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            if form.original_status == ReviewStatus.RETURNED:
                messages.success(request, _("已修改并重新提交，等待竞赛办核实。"))
            else:
                messages.success(request, _("已保存，等待竞赛办核实。"))
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/record_form.html",
        {
            "form": form,
            "project": project,
            "record": record,
            "kind": kind,
            "title": TITLES[kind],
            "form_key": create_form_key(request, form) if record.pk is None else None,
        },
    )


def _writable_project(request, pk):
    project, can_write = get_project_for_user(request, pk, related=("department",))
    if not can_write:
        raise PermissionDenied
    return project


@require(Role.LIAISON_OR_OFFICE)
@rate_limited("upload")
def milestone_create(request, pk):
    project = _writable_project(request, pk)
    return _record_form(request, "milestone", Milestone(project=project), project=project)


@require(Role.LIAISON_OR_OFFICE)
@rate_limited("upload")
def receipt_create(request, pk):
    project = _writable_project(request, pk)
    return _record_form(request, "receipt", Receipt(project=project), project=project)


@require(Role.LIAISON_OR_OFFICE)
@rate_limited("upload")
def milestone_edit(request, pk):
    milestone, can_write = get_milestone_for_user(request, pk)
    if not can_write:
        raise PermissionDenied
    return _record_form(request, "milestone", milestone, project=milestone.project)


@require(Role.LIAISON_OR_OFFICE)
@rate_limited("upload")
def receipt_edit(request, pk):
    receipt, can_write = get_receipt_for_user(request, pk)
    if not can_write:
        raise PermissionDenied
    return _record_form(request, "receipt", receipt, project=receipt.project)


@require_POST
@require(Role.LIAISON_OR_OFFICE)
def record_resubmit(request, kind, pk):
    record, can_write = get_record_for_user(request, kind, pk)
    if not can_write:
        raise PermissionDenied
    try:
        services.resubmit(record, by=request.user)
    except ValidationError as e:
        for error in e.messages:
            messages.error(request, error)
    except services.Conflict as e:
        messages.warning(request, str(e))
    else:
        messages.success(request, _("已重新提交，等待竞赛办核实。"))
    if kind == "visit":
        return redirect("projects:visit_detail", pk=record.pk)
    return redirect("projects:detail", pk=record.project_id)


@require(Role.LIAISON_LEADER_OR_OFFICE)
def returned_list(request):
    """Returned milestones and receipts of the user's departments, with the office's reason."""
    roles = roles_of(request.user)
    related = ("project__department", "reviewed_by__person")
    returned = {"status": ReviewStatus.RETURNED}
    milestone_table = ReturnedMilestoneTable(
        milestones_for(roles).filter(**returned).select_related(*related), roles=roles
    )
    receipt_table = ReturnedReceiptTable(
        receipts_for(roles).filter(**returned).select_related(*related), roles=roles
    )
    visit_table = ReturnedVisitTable(
        visits_for(roles).filter(**returned).select_related("department", "reviewed_by__person"),
        roles=roles,
    )
    configure(request, milestone_table, prefix="m-")
    configure(request, receipt_table, prefix="r-")
    configure(request, visit_table, prefix="v-")
    return render(
        request,
        "projects/returned_list.html",
        {
            "milestone_table": milestone_table,
            "receipt_table": receipt_table,
            "visit_table": visit_table,
        },
    )
