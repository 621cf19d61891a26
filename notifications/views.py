"""通知: every signed-in user's own notifications, read marks and the e-mail preference.

A user sees and marks only their own notifications: any other id answers 404
(`_get_notification_for_user`, the one access helper). Reading the list writes nothing;
marks and the preference are POSTs.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.roles import Role
from notifications import services
from notifications.filters import NotificationFilter
from notifications.forms import PreferenceForm
from notifications.models import Notification
from notifications.tables import NotificationTable
from web.access import require
from web.redirects import safe_next
from web.tables import configure


def _get_notification_for_user(request, pk: int) -> Notification:
    """The notification `pk` if it is the user's own; 404 otherwise (never 403: another
    user's notifications do not exist for them)."""
    notification = services.notifications_of(request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    return notification


@require(Role.SIGNED_IN)
def notification_list(request):
    """Queries: session, user, roles (2), the table's count and page, the header's unread
    count, the e-mail preference: 8 for any number of notifications."""
    notification_filter = NotificationFilter(
        request.GET, queryset=services.notifications_of(request.user), request=request
    )
    table = NotificationTable(notification_filter.qs)
    configure(request, table)
    preference = PreferenceForm(initial={"email_enabled": services.email_enabled(request.user)})
    return render(
        request,
        "notifications/list.html",
        {"filter": notification_filter, "table": table, "preference": preference},
    )


def _back(request):
    return redirect(safe_next(request, default=reverse("notifications:list")))


@require(Role.SIGNED_IN)
@require_POST
def notification_read(request, pk):
    services.mark_read(_get_notification_for_user(request, pk))
    return _back(request)


@require(Role.SIGNED_IN)
@require_POST
def notification_read_all(request):
    count = services.mark_all_read(request.user)
    if count:
        messages.success(request, _("已将%(n)s条通知标为已读。") % {"n": count})
    return _back(request)


@require(Role.SIGNED_IN)
@require_POST
def preference(request):
    form = PreferenceForm(request.POST)
    if form.is_valid():
        enabled = form.cleaned_data["email_enabled"]
        if services.set_email_enabled(request.user, enabled=enabled):
            messages.success(request, _("已开启邮件提醒。") if enabled else _("已关闭邮件提醒。"))
    return redirect("notifications:list")
