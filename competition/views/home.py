"""The home page: one section per role the user holds, computed in competition.home."""

from django.shortcuts import render
from django.utils import timezone

from competition import home as sections
from departments.roles import Role, roles_of
from web.access import require


@require(Role.SIGNED_IN)  # one section per role held; none for a user without a role
def home(request):
    roles = roles_of(request.user)
    today = timezone.localdate()
    context = {"today": today}
    competition = None
    if roles.is_leader or roles.is_liaison:
        competition = sections.active_competition(today=today)
    if roles.is_office:
        context["office"] = sections.office_home(today=today)
    if roles.is_leader:
        context["leader"] = sections.leader_home(competition=competition, today=today)
        context["leader_has_competition"] = competition is not None
    if roles.is_liaison:
        context["competition"] = competition
        # Its summaries are computed only if the drawn section is not kept (the template).
        context["liaison"] = sections.liaison_home_for(
            department_ids=roles.liaison_department_ids, competition=competition, today=today
        )
        context["liaison_seconds"] = sections.LIAISON_HOME_SECONDS
    if roles.is_staff_member:
        context["staff"] = sections.staff_home(user=request.user)
    return render(request, "home/home.html", context)
