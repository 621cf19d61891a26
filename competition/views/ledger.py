"""The ledger (台账) in the browser: upload, dry-run preview, confirm; template; export."""

import io
import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from competition.ledger.importer import import_ledger
from competition.ledger.template import write_template
from competition.ledger.writer import export_ledger
from competition.models import Competition
from departments.roles import Role
from web.access import require
from web.downloads import attachment
from web.ratelimit import rate_limited

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_DIR = "ledger-uploads"
SESSION_KEY = "ledger_upload"


class LedgerUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("台账文件（.xlsx）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 Excel 工作簿（.xlsx）文件。"))
        limit = settings.LEDGER_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("文件超过 %(mb)s MB 的上限，请拆分后再导入。")
                % {"mb": f"{limit / 1024 / 1024:g}"}
            )
        if upload.read(4) != b"PK\x03\x04":  # an .xlsx is a zip archive
            raise forms.ValidationError(_("文件不是有效的 Excel 工作簿。"))
        upload.seek(0)
        return upload


@require(Role.OFFICE)
@rate_limited("upload")
def ledger_import(request):
    """Upload → dry run → preview; the confirm button re-runs it for real."""
    report = None
    form = LedgerUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        report = import_ledger(io.BytesIO(content), user=request.user, dry_run=True)
        if report.ok:
            stored = default_storage.save(
                f"{UPLOAD_DIR}/{uuid.uuid4().hex}.xlsx", ContentFile(content)
            )
            request.session[SESSION_KEY] = stored
    return render(request, "competition/ledger/import.html", {"form": form, "report": report})


@require(Role.OFFICE)
@require_POST
def ledger_confirm(request):
    stored = request.session.pop(SESSION_KEY, None)
    if not stored or not default_storage.exists(stored):
        messages.error(request, _("没有待确认的台账，请重新上传。"))
        return redirect("ledger_import")
    try:
        with default_storage.open(stored, "rb") as handle:
            report = import_ledger(io.BytesIO(handle.read()), user=request.user)
    finally:
        default_storage.delete(stored)
    if not report.ok:  # the database changed since the preview
        return render(
            request,
            "competition/ledger/import.html",
            {"form": LedgerUploadForm(), "report": report},
        )
    messages.success(
        request,
        _("台账已导入：%(name)s。排名将在后台重新计算。") % {"name": report.competition},
    )
    return redirect("ledger_import")


@require(Role.OFFICE)
def ledger_template(request):
    buffer = io.BytesIO()
    write_template(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    return attachment(response, _("台账模板.xlsx"))


@require(Role.LEADER_OR_OFFICE)
def ledger_export(request, competition_id):
    competition = get_object_or_404(Competition, pk=competition_id)
    buffer = io.BytesIO()
    export_ledger(competition, buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    stamp = timezone.localdate().isoformat()
    return attachment(
        response, _("%(name)s-台账-%(day)s.xlsx") % {"name": competition.name, "day": stamp}
    )
