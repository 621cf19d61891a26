"""Reports (报告): request a bulletin or briefing pack, watch it build, open the PDF.

The office requests, rebuilds and corrects a bulletin's issue number; leaders and the
office list, poll and download;
liaisons and staff get 403, anonymous users the login page (each view's `require`). The
build runs in the background (competition.reports.service); the page polls report_status
through static/js/report-status.js.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from competition import tasks
from competition.home import active_competition
from competition.models import Competition, Report
from competition.reports import service
from departments.roles import Role, Roles, roles_of
from web.access import require
from web.dates import BoundedDateField
from web.downloads import filename

PER_PAGE = 30


class ReportRequestForm(forms.Form):
    competition = forms.ModelChoiceField(
        label=gettext_lazy("竞赛"), queryset=Competition.objects.order_by("-start_date", "name")
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("类型"),
        choices=Report.Kind.choices,
        widget=forms.RadioSelect,
        initial=Report.Kind.BULLETIN,
    )
    as_of = BoundedDateField(
        label=gettext_lazy("统计日期"), help_text=gettext_lazy("数据统计到这一天（含当天）。")
    )

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of > timezone.localdate():
            raise forms.ValidationError(_("统计日期不能晚于今天。"))
        return as_of


class IssueNumberForm(forms.Form):
    issue_number = forms.IntegerField(
        label=gettext_lazy("期号"), min_value=1, max_value=99999, widget=forms.NumberInput
    )


def requester_name(report: Report) -> str:
    user = report.requested_by
    if user is None:
        return _("定时任务")
    try:
        return user.person.name
    except ObjectDoesNotExist:
        return user.get_username()


def job_message_tags(report: Report) -> str:
    """Classes of a message about a report's job ("已提交生成…"): the page's script removes
    the message once that report's job has ended (static/js/report-status.js), so it never
    says "submitted" beside a finished PDF."""
    return f"report-job report-job-{report.pk}"


def status_payload(report: Report, *, roles: Roles) -> dict:
    """What the page shows of a report's progress (the JSON of report_status)."""
    done = report.status == Report.Status.DONE and bool(report.file)
    return {
        "id": str(report.pk),
        "status": report.status,
        "status_label": report.get_status_display(),
        "finished": report.finished,
        "error": report.error,
        "download_url": reverse("report_download", args=[report.pk]) if done else None,
        "finished_at": report.finished_at.isoformat() if report.finished_at else None,
        "can_rebuild": roles.is_office and service.can_rebuild(report),
    }


# Leaders read everything; only the office requests reports (leaders change nothing).
@require(Role.LEADER_OR_OFFICE, write=Role.OFFICE)
def reports(request):
    """The list of reports, newest first; for the office also the form that requests one."""
    roles = roles_of(request.user)
    form = None
    if request.method == "POST":
        form = ReportRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            requested = service.request_build(
                data["competition"], kind=data["kind"], as_of=data["as_of"], user=request.user
            )
            report = requested.report
            if requested.build:
                tasks.build_after_commit([report.pk])
                messages.success(
                    request,
                    _("已提交生成：%(report)s。") % {"report": _label(report)},
                    extra_tags=job_message_tags(report),
                )
            else:
                messages.info(
                    request,
                    _("%(report)s正在生成，完成后即可打开。") % {"report": _label(report)},
                    extra_tags=job_message_tags(report),
                )
            return redirect("reports")
    elif roles.is_office:
        today = timezone.localdate()
        form = ReportRequestForm(
            initial={"competition": active_competition(today=today), "as_of": today}
        )
    page = Paginator(
        Report.objects.select_related("competition", "requested_by__person").order_by(
            "-created_at"
        ),
        PER_PAGE,
    ).get_page(request.GET.get("page"))
    rows = [
        {
            "report": r,
            "label": _label(r),
            "requester": requester_name(r),
            "status": status_payload(r, roles=roles),
            "number_form": IssueNumberForm(initial={"issue_number": r.issue_number})
            if roles.is_office and r.kind == Report.Kind.BULLETIN
            else None,
        }
        for r in page
    ]
    context = {"form": form, "page": page, "rows": rows, "can_build": roles.is_office}
    return render(request, "competition/reports/page.html", context)


def _label(report: Report) -> str:
    if report.kind == Report.Kind.BULLETIN:
        return _("%(name)s 简报第%(n)s期") % {
            "name": report.competition.name,
            "n": report.issue_number,
        }
    return _("%(name)s 汇报会材料") % {"name": report.competition.name}


@require(Role.LEADER_OR_OFFICE)
@require_GET
def report_status(request, report_id):
    """One report's status as JSON, polled by static/js/report-status.js."""
    roles = roles_of(request.user)
    report = get_object_or_404(Report, pk=report_id)
    response = JsonResponse(status_payload(report, roles=roles))
    response["Cache-Control"] = "no-store"
    return response


@require(Role.LEADER_OR_OFFICE)
@require_GET
def report_download(request, report_id):
    """The finished PDF, inline so that the browser opens it for printing."""
    report = get_object_or_404(Report.objects.select_related("competition"), pk=report_id)
    if report.status != Report.Status.DONE or not report.file:
        raise Http404(_("报告尚未生成。"))
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("报告文件不存在，请重新生成。")) from None
    return FileResponse(
        handle,
        content_type="application/pdf",
        as_attachment=False,
        filename=filename(service.download_name(report)),
    )


@require(Role.OFFICE)
@require_POST
def report_rebuild(request, report_id):
    """Build the same report again (same issue number): new figures, the file replaced."""
    report = get_object_or_404(Report.objects.select_related("competition"), pk=report_id)
    if service.rebuild_report(report):
        tasks.build_after_commit([report.pk])
        messages.success(
            request,
            _("已重新提交生成：%(report)s。") % {"report": _label(report)},
            extra_tags=job_message_tags(report),
        )
    else:
        messages.warning(request, _("该报告正在生成，请等待完成后再重新生成。"))
    return redirect("reports")


@require(Role.OFFICE)
@require_POST
def report_number(request, report_id):
    """Correct a bulletin's issue number (第N期) before printing; its PDF is rebuilt."""
    report = get_object_or_404(Report.objects.select_related("competition"), pk=report_id)
    form = IssueNumberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("期号必须是正整数。"))
        return redirect("reports")
    try:
        changed = service.renumber_bulletin(report, issue_number=form.cleaned_data["issue_number"])
    except service.ReportError as exc:
        messages.error(request, str(exc))
        return redirect("reports")
    if changed:
        report.refresh_from_db()
        tasks.build_after_commit([report.pk])
        messages.success(
            request,
            _("已改为%(report)s，正在重新生成。") % {"report": _label(report)},
            extra_tags=job_message_tags(report),
        )
    return redirect("reports")
