"""The office's verification queue: verify or return pending records, one by one or in bulk."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.roles import Role, roles_of
from projects import services
from projects.access import (
    get_record_for_user,
    milestones_for,
    receipts_for,
)
from projects.filters import QueueFilter
from projects.forms import BulkReviewForm, ReturnForm
from projects.models import ReviewStatus
from projects.tables import QueueMilestoneTable, QueueReceiptTable
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
    milestone_table = QueueMilestoneTable(milestone_filter.qs)
    receipt_table = QueueReceiptTable(receipts)
    configure(request, milestone_table, prefix="m-")
    configure(request, receipt_table, prefix="r-")
    return render(
        request,
        "projects/queue.html",
        {
            "filter": milestone_filter,
            "milestone_table": milestone_table,
            "receipt_table": receipt_table,
            "bulk_form": BulkReviewForm(),
        },
    )


@require_POST
@require(Role.OFFICE)
def record_verify(request, kind, pk):
    record, _can_write = get_record_for_user(request, kind, pk)
    try:
        services.verify(record, by=request.user)
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
    ids = {"milestone_ids": data["milestone_ids"], "receipt_ids": data["receipt_ids"]}
    selected = len(data["milestone_ids"]) + len(data["receipt_ids"])
    if data["action"] == BulkReviewForm.VERIFY:
        done = services.verify_records(by=request.user, **ids)
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
