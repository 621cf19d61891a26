"""People (office): list, create an account, deactivate/reactivate, reset a password.

A temporary password is shown once, on the page answering the POST that made it
(never stored in clear, never in a URL, never cached).
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.filters import PeopleFilter
from accounts.forms import AccountForm
from accounts.tables import PeopleTable
from departments.roles import Role
from web.access import require
from web.tables import configure, export_response


def _people():
    return (
        get_user_model()
        .objects.select_related("person__department", "account_profile")
        .prefetch_related("person__liaison_for")
    )


@require(Role.OFFICE)
def people_list(request):
    people_filter = PeopleFilter(request.GET, queryset=_people(), request=request)
    table = PeopleTable(people_filter.qs)
    if response := export_response(request, table, title=_("账号")):
        return response
    configure(request, table)
    return render(request, "accounts/people_list.html", {"filter": people_filter, "table": table})


def _show_password(request, *, user, password, created: bool):
    response = render(
        request,
        "accounts/temporary_password.html",
        {"account": user, "password": password, "created": created},
    )
    add_never_cache_headers(response)
    return response


@require(Role.OFFICE)
def person_create(request):
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user, password = services.create_account(
            services.NewAccount(
                username=data["username"],
                name=data["name"],
                phone=data["phone"],
                department=data["department"],
                liaison_for=tuple(data["liaison_for"]),
                is_office=data["is_office"],
                is_leader=data["is_leader"],
            ),
            by=request.user,
            request=request,
        )
        return _show_password(request, user=user, password=password, created=True)
    return render(request, "accounts/person_form.html", {"form": form})


@require_POST
@require(Role.OFFICE)
def person_active(request, pk):
    """Deactivate (action=deactivate) or reactivate (action=reactivate) a login."""
    user = get_object_or_404(get_user_model(), pk=pk)
    action = request.POST.get("action")
    if action not in ("deactivate", "reactivate"):
        messages.error(request, _("无效的操作。"))
        return redirect("accounts:people")
    if action == "deactivate" and user.pk == request.user.pk:
        messages.error(request, _("不能停用自己的账号。"))
        return redirect("accounts:people")
    active = action == "reactivate"
    if services.set_active(user, active=active, by=request.user, request=request):
        text = _("已启用账号 %(u)s。") if active else _("已停用账号 %(u)s。")
        messages.success(request, text % {"u": user.get_username()})
    else:
        messages.info(request, _("账号 %(u)s 状态未变。") % {"u": user.get_username()})
    return redirect("accounts:people")


@require_POST
@require(Role.OFFICE)
def person_reset_password(request, pk):
    user = get_object_or_404(get_user_model(), pk=pk)
    password = services.reset_password(user, by=request.user, request=request)
    return _show_password(request, user=user, password=password, created=False)
