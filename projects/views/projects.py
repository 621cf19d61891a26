"""Projects: list, detail (timeline, receipts, visits, history), create, edit, mark lost."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from departments.roles import Role, roles_of
from projects import credit, policy, services
from projects.access import (
    get_project_for_user,
    may_log,
    may_verify,
    projects_for,
)
from projects.filters import ProjectFilter
from projects.forms import LostForm, ProjectForm, add_service_errors
from projects.listing import LIST_PAGE_SECONDS, list_page_key
from projects.models import MILESTONE_STAGES, ReviewStatus, Stage, Submission
from projects.tables import ProjectTable
from projects.views.duplicates import credit_context, warning_context
from projects.views.history import project_history
from projects.views.once import first_result, repeated
from web.access import require
from web.forms import create_form_key, form_cache_key
from web.tables import configure, export_response, is_export


@require(Role.LIAISON_LEADER_OR_OFFICE)
def project_list(request):
    roles = roles_of(request.user)
    # The submitter is an exported column: joined here too, so an export costs no more.
    projects = projects_for(roles).with_flags().select_related("department", "submitted_by__person")

    def project_filter():
        return ProjectFilter(request.GET, queryset=projects, request=request)

    if is_export(request):
        return export_response(request, ProjectTable(project_filter().qs), title=_("项目"))
    # The filter form, the count and the table are drawn inside one cached block
    # (projects.listing): built only when it misses.
    listed = SimpleLazyObject(project_filter)

    def table():
        table = ProjectTable(listed.qs)
        configure(request, table)
        return table

    return render(
        request,
        "projects/project_list.html",
        {
            "filter": listed,
            "table": SimpleLazyObject(table),
            "list_key": list_page_key(request, roles, page="projects"),
            "list_seconds": LIST_PAGE_SECONDS,
            # The office's filter form draws a select of every department; kept drawn
            # (web.forms) when the list misses, the office's page went 54–56 → 29–33 ms
            # CPU, a liaison's 40 → 28–31 (bench at scale 0.5, 100 departments).
            "filter_form_key": SimpleLazyObject(lambda: form_cache_key(listed.form)),
            "can_log": may_log(roles),
        },
    )


def stage_timeline(milestones, receipts) -> list[dict]:
    """One row per stage in order, with its milestone (or receipts) and whether it is reached."""
    by_stage = {m.stage: m for m in milestones}
    live_receipts = [r for r in receipts if r.status != ReviewStatus.RETURNED]
    rows = []
    for stage in Stage:
        if stage == Stage.FUNDED:
            rows.append(
                {
                    "stage": stage,
                    "receipts": receipts,
                    "reached": bool(live_receipts),
                    "first_on": min((r.occurred_on for r in live_receipts), default=None),
                }
            )
        else:
            milestone = by_stage.get(stage)
            rows.append(
                {
                    "stage": stage,
                    "milestone": milestone,
                    "reached": milestone is not None and milestone.status != ReviewStatus.RETURNED,
                }
            )
    return rows


@require(Role.LIAISON_LEADER_OR_OFFICE)
def project_detail(request, pk):
    project, can_write = get_project_for_user(request, pk)
    people = ("logged_by__person", "reviewed_by__person")
    milestones = list(project.milestones.select_related(*people))
    receipts = list(project.receipts.select_related(*people))
    visits = list(project.visits.select_related("department", "logged_by__person"))
    roles = roles_of(request.user)
    decisions = list(credit.decisions_about(project))
    credited_here = list(project.credit_denied_projects.select_related("department"))
    policy.annotate_missing([*milestones, *receipts, *visits], policy.current_policies())
    timeline = stage_timeline(milestones, receipts)
    reached = [row["stage"] for row in timeline if row["reached"]]
    recorded = {m.stage for m in milestones}
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "can_write": can_write,
            "can_verify": may_verify(roles),
            "credit": credit_context(project, decisions, credited_here, roles),
            "timeline": timeline,
            "stage_reached": Stage(max(reached)) if reached else None,
            "receipts": receipts,
            "funds_total": sum(
                (r.amount for r in receipts if r.status != ReviewStatus.RETURNED), start=0
            ),
            "visits": visits,
            "history": project_history(project),
            "can_add_milestone": any(s not in recorded for s in MILESTONE_STAGES),
            "major_threshold": settings.MAJOR_PROJECT_MIN_INVESTMENT,
        },
    )


def _zone_context():
    return {"zones": settings.REWARD_ZONES}


@require(Role.LIAISON_OR_OFFICE)
def project_create(request):
    form = ProjectForm(request.POST or None, roles=roles_of(request.user))
    if answer := repeated(request, form, Submission.Kind.PROJECT):
        return answer
    if request.method == "POST" and form.is_valid():
        try:
            project = services.create_project(
                form.save(commit=False),
                by=request.user,
                today=timezone.localdate(),
                submission=form.cleaned_data["submission"],
            )
        except services.AlreadySubmitted as e:
            return first_result(request, e.submission)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("已创建项目 %(code)s。") % {"code": project.code})
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "projects/project_form.html",
        {
            "form": form,
            "project": None,
            "form_key": create_form_key(request, form),
            **_zone_context(),
            **warning_context(request, form),
        },
    )


@require(Role.LIAISON_OR_OFFICE)
def project_edit(request, pk):
    project, can_write = get_project_for_user(request, pk)
    if not can_write:
        raise PermissionDenied
    form = ProjectForm(request.POST or None, instance=project, roles=roles_of(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_project_edit(
                form, loaded_at=form.cleaned_data["loaded_at"], by=request.user
            )
        except services.Conflict as conflict:
            form.add_error(None, str(conflict))
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("项目信息已保存。"))
            return redirect("projects:detail", pk=project.pk)
    return render(
        request, "projects/project_form.html", {"form": form, "project": project, **_zone_context()}
    )


@require(Role.LIAISON_OR_OFFICE)
def project_lost(request, pk):
    project, can_write = get_project_for_user(request, pk)
    if not can_write:
        raise PermissionDenied
    if project.is_lost:
        messages.info(request, _("该项目已标记为流失。"))
        return redirect("projects:detail", pk=project.pk)
    form = LostForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_lost(
                project,
                by=request.user,
                lost_on=form.cleaned_data["lost_on"],
                reason=form.cleaned_data["lost_reason"],
            )
        except ValidationError as e:
            add_service_errors(form, e)
        except services.Conflict as e:
            messages.warning(request, str(e))
            return redirect("projects:detail", pk=project.pk)
        else:
            messages.success(request, _("已将项目标记为流失。"))
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/project_lost.html", {"form": form, "project": project})
