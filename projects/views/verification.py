"""The office's verification queue: verify or return pending records, one by one or in bulk."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.roles import Role, roles_of
from projects import policy, services
from projects.access import (
    get_record_for_user,
    milestones_for,
    receipts_for,
    visits_for,
)
from projects.filters import QueueFilter
from projects.forms import BulkReviewForm, ReturnForm, VerifyForm
from projects.models import ReviewStatus
from projects.tables import QueueMilestoneTable, QueueReceiptTable, QueueVisitTable
from web.access import require
from web.redirects import safe_next
from web.tables import configure


def _back(request, default="projects:queue"):
    """Where the office came from (the queue or a project page), if it is one of ours."""
    # HttpResponseRedirect: redirect() would take a bare word for a view name.
    return HttpResponseRedirect(safe_next(request, default=reverse(default)))


@require(Role.OFFICE)
def queue(request):
    roles = roles_of(request.user)
    related = ("project__department", "logged_by__person")
    pending = {"status": ReviewStatus.PENDING}
    milestone_filter = QueueFilter(
        request.GET,
        queryset=milestones_for(roles).filter(**pending).select_related(*related),
        request=request,
    )
    receipts = QueueFilter(
        request.GET,
        queryset=receipts_for(roles).filter(**pending).select_related(*related),
        request=request,
    ).qs
    visits = visits_for(roles).filter(**pending).select_related("department", "logged_by__person")
    milestones = milestone_filter.qs  # validates the filter form
    if department := milestone_filter.form.cleaned_data.get("department"):
        visits = visits.filter(department=department)
    policies = policy.current_policies()
    milestone_table = QueueMilestoneTable(milestones, policies=policies)
    receipt_table = QueueReceiptTable(receipts, policies=policies)
    visit_table = QueueVisitTable(visits, policies=policies)
    configure(request, milestone_table, prefix="m-")
    configure(request, receipt_table, prefix="r-")
    configure(request, visit_table, prefix="v-")
    return render(
        request,
        "projects/queue.html",
        {
            "filter": milestone_filter,
            "milestone_table": milestone_table,
            "receipt_table": receipt_table,
            "visit_table": visit_table,
            "bulk_form": BulkReviewForm(),
        },
    )


@require_POST
@require(Role.OFFICE)
def record_verify(request, kind, pk):
    record, _can_write = get_record_for_user(request, kind, pk)
    # The reason field is named after the record: the queue has one per row in one form.
    form = VerifyForm(request.POST, prefix=f"{kind}-{pk}")
    reason = form.cleaned_data["without_evidence_reason"] if form.is_valid() else ""
    try:
        services.verify(record, by=request.user, without_evidence_reason=reason)
    except services.MissingEvidence as e:
        messages.error(
            request,
            _("%(record)s缺少佐证材料（%(document)s），请在“核实”按钮旁填写无佐证核实的理由。")
            % {"record": services.record_label(record), "document": e.records[0].missing_evidence},
        )
    except services.Conflict as e:
        messages.warning(request, str(e))
    else:
        messages.success(request, _("已核实：%(record)s") % {"record": record})
    return _back(request)


@require(Role.OFFICE)
def record_return(request, kind, pk):
    record, _can_write = get_record_for_user(request, kind, pk)
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.return_record(record, by=request.user, reason=form.cleaned_data["reason"])
        except services.Conflict as e:
            messages.warning(request, str(e))
        else:
            messages.success(request, _("已退回：%(record)s") % {"record": record})
        return _back(request)
    return render(
        request,
        "projects/return_form.html",
        {
            "form": form,
            "record": record,
            "kind": kind,
            "next": safe_next(request, default=reverse("projects:queue")),
        },
    )


@require_POST
@require(Role.OFFICE)
def queue_bulk(request):
    """Verify or return every checked record, all in one transaction."""
    form = BulkReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(request)
    data = form.cleaned_data
    ids = {
        "milestone_ids": data["milestone_ids"],
        "receipt_ids": data["receipt_ids"],
        "visit_ids": data["visit_ids"],
    }
    selected = sum(len(v) for v in ids.values())
    if data["action"] == BulkReviewForm.VERIFY:
        # Records lacking the evidence the policy asks for are verified one by one, with
        # a reason: the bulk verify leaves them out and names them.
        lacking = services.missing_evidence(**ids)
        if lacking:
            messages.error(
                request,
                _("以下记录缺少佐证材料，未核实，请逐条核实并填写理由：%(records)s")
                % {
                    "records": "；".join(
                        f"{services.record_label(r)}（{r.missing_evidence}）" for r in lacking
                    )
                },
            )
            for record in lacking:
                ids[f"{services.kind_name(record)}_ids"].remove(record.pk)
            selected -= len(lacking)
        try:
            done = services.verify_records(by=request.user, **ids) if selected else 0
        except services.MissingEvidence as e:  # the policy or a file changed meanwhile
            messages.error(
                request, _("以下记录缺少佐证材料，未核实：%(records)s") % {"records": str(e)}
            )
            return _back(request)
        messages.success(request, _("已核实 %(n)d 条记录。") % {"n": done})
    else:
        done = services.return_records(by=request.user, reason=data["reason"], **ids)
        messages.success(request, _("已退回 %(n)d 条记录。") % {"n": done})
    if done < selected:
        messages.warning(
            request,
            _("%(n)d 条记录已被他人处理，未作改动。") % {"n": selected - done},
        )
    return _back(request)
