"""The audit log (office): changes to counted records and settings, and security events.

Read-only: no view of this app changes or deletes an audit row.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import SecurityEvent
from audit import changes as audit
from audit.filters import SecurityEventFilter
from audit.forms import AuditFilterForm
from audit.tables import AuditEntries, AuditTable, SecurityEventTable
from departments.roles import Role
from web.access import require
from web.tables import configure, export_response


@require_safe  # reading only: nothing here changes an audit row
@require(Role.OFFICE)
def change_log(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        rows = audit.change_rows(labels=["__none__"])  # bad filters show nothing
    else:
        rows = audit.change_rows(**filters)
    table = AuditTable(AuditEntries(rows))
    if response := export_response(request, table, title=_("修改记录")):
        return response
    configure(request, table)
    return render(
        request,
        "audit/change_log.html",
        {
            "filter": {"form": form},  # the shape projects/_filter.html reads
            "table": table,
            "retention_days": settings.AUDIT_RETENTION_DAYS,
        },
    )


@require_safe
@require(Role.OFFICE)
def security_log(request):
    events = SecurityEvent.objects.select_related("user__person")
    event_filter = SecurityEventFilter(request.GET, queryset=events, request=request)
    table = SecurityEventTable(event_filter.qs)
    if response := export_response(request, table, title=_("安全事件")):
        return response
    configure(request, table)
    return render(
        request,
        "audit/security_log.html",
        {
            "filter": event_filter,
            "table": table,
            "retention_days": settings.AUDIT_RETENTION_DAYS,
        },
    )
