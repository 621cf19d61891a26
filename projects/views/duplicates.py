"""Likely duplicates: the warning on the create forms, and the office's list of open ones."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.roles import Role, Roles, roles_of
from projects import credit, services
from projects.access import get_project_for_user
from projects.duplicate_lookup import Found, open_duplicate_groups, project_matches
from projects.forms import CreditForm, add_service_errors
from projects.models import Project
from projects.tables import DuplicateGroupTable
from web.access import require
from web.tables import configure

REASON_LABELS = {"investor": gettext_lazy("同一投资方"), "name": gettext_lazy("同名项目")}


@dataclass(frozen=True)
class WarningRow:
    """One likely duplicate as the warning shows it; `url` only when the user may open it."""

    text: str
    department: str
    reasons: str
    url: str | None


def warning_rows(found: list[Found], roles: Roles) -> list[WarningRow]:
    """The form's warning: each match with a link the user may follow, else its name only
    (a staff member opens no project page; a liaison no other department's)."""
    rows = []
    for item in found:
        record = item.record
        if isinstance(record, Project):
            may_open = Role.LIAISON_LEADER_OR_OFFICE.allows(roles) and roles.can_read_department(
                record.department_id
            )
            text = f"{record.code} {record.name}"
            if record.investor:
                text += f"（{record.investor}）"
            url = reverse("projects:detail", args=[record.pk]) if may_open else None
        else:
            text = _("%(day)s 接待 %(org)s %(n)s人") % {
                "day": record.occurred_on.isoformat(),
                "org": record.investor_org,
                "n": record.persons,
            }
            may_edit = roles.can_write_department(record.department_id)
            url = reverse("projects:visit_edit", args=[record.pk]) if may_edit else None
        rows.append(
            WarningRow(
                text=text,
                department=record.department.name,
                reasons="、".join(str(REASON_LABELS[r]) for r in item.reasons),
                url=url,
            )
        )
    return rows


def warning_context(request, form) -> dict:
    """What a create form's template needs to show the duplicates `form` found."""
    return {"duplicates": warning_rows(getattr(form, "duplicates", []), roles_of(request.user))}


def _project_link(project: Project, roles: Roles) -> dict:
    """A project as a decision names it: its page's address only when the user may open it
    (a liaison reads a decision on their project, not the other department's project)."""
    may_open = roles.can_read_department(project.department_id)
    return {
        "text": f"{project.code} {project.name}",
        "department": project.department.name,
        "url": reverse("projects:detail", args=[project.pk]) if may_open else None,
    }


def credit_context(project: Project, decisions, credited_here, roles: Roles) -> dict:
    """The credit section of a project page: whether it counts, in favour of whom, the
    projects denied in its favour, and every decision naming it (newest first)."""
    winner = project.credit_denied_in_favour_of
    return {
        "counts": winner is None,
        "winner": _project_link(winner, roles) if winner is not None else None,
        "reason": project.credit_reason,
        "denied_here": [_project_link(p, roles) for p in credited_here],
        "decisions": [
            {
                "decision": d,
                "project": _project_link(d.project, roles),
                "counterpart": _project_link(d.counterpart, roles),
            }
            for d in decisions
        ],
        "can_decide": Role.OFFICE.allows(roles),
    }


@require(Role.LEADER_OR_OFFICE)  # the office decides; leaders read
def duplicate_list(request):
    """Open possible duplicates (疑似重复): projects of different departments sharing an
    investor or a name that the office has not decided on yet."""
    table = DuplicateGroupTable(open_duplicate_groups())
    configure(request, table)
    return render(
        request,
        "projects/duplicate_list.html",
        {"table": table, "can_decide": Role.OFFICE.allows(roles_of(request.user))},
    )


def counterparts_of(project: Project):
    """The projects the office may weigh `project` against: its likely duplicates, and
    those already decided with it."""
    found = project_matches(
        name=project.name,
        investor=project.investor,
        department_id=project.department_id,
        exclude_pk=project.pk,
    )
    ids = {f.record.pk for f in found}
    ids |= set(project.credit_denied_projects.values_list("pk", flat=True))
    decided = credit.decisions_about(project).values_list("project_id", "counterpart_id")
    ids |= {pk for pair in decided for pk in pair}
    ids.discard(project.pk)
    return Project.objects.filter(pk__in=ids).select_related("department").order_by("code")


@require(Role.OFFICE)  # only the office decides who gets a project's credit
def credit_decide(request, pk):
    project, _can_write = get_project_for_user(request, pk)
    form = CreditForm(request.POST or None, project=project, counterparts=counterparts_of(project))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        decision, reason = data["decision"], data["reason"]
        try:
            if decision == CreditForm.RESTORE:
                credit.restore_credit(project, by=request.user, reason=reason)
            elif decision == CreditForm.DENY_THIS:
                credit.deny_credit(
                    project, in_favour_of=data["counterpart"], by=request.user, reason=reason
                )
            elif decision == CreditForm.DENY_OTHER:
                credit.deny_credit(
                    data["counterpart"], in_favour_of=project, by=request.user, reason=reason
                )
            else:
                credit.mark_distinct(project, data["counterpart"], by=request.user, reason=reason)
        except ValidationError as e:
            add_service_errors(form, e)
        except services.Conflict as e:
            messages.warning(request, str(e))
            return redirect("projects:detail", pk=project.pk)
        else:
            messages.success(request, _("归属认定已保存，两个部门的竞赛统计将随之更新。"))
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/credit_form.html", {"form": form, "project": project})
