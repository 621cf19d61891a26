"""Evidence files, served only to users who may see the record they prove (never MEDIA_URL)."""

from pathlib import PurePath

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from departments.roles import Role
from projects.access import get_record_for_user
from projects.evidence import stored_type
from web.access import require
from web.downloads import filename


@require(Role.LIAISON_LEADER_OR_OFFICE)
def evidence(request, kind, pk):
    record, _can_write = get_record_for_user(request, kind, pk)
    if not record.evidence:
        raise Http404
    try:
        kind_of_file = stored_type(record.evidence)
        handle = record.evidence.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = _download_name(record, kind)
    if kind_of_file is None:
        # Not a PDF or an image we recognise: never let the browser render it.
        response = FileResponse(
            handle, as_attachment=True, filename=name, content_type="application/octet-stream"
        )
    else:
        response = FileResponse(handle, filename=name, content_type=kind_of_file.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _download_name(record, kind: str) -> str:
    """What the browser saves the file as: the project, and which stage or receipt it
    proves, as the office files them (FileResponse sends a Chinese name as `filename*`)."""
    suffix = PurePath(record.evidence.name).suffix
    if kind == "visit":
        what = _("接待%(day)s") % {"day": record.occurred_on.isoformat()}
        return filename(f"{record.department.name}-{what}-{record.investor_org}{suffix}")
    project = record.project
    if kind == "milestone":
        what = record.get_stage_display()
    else:
        what = _("资金到账%(day)s") % {"day": record.occurred_on.isoformat()}
    return filename(f"{project.code}-{project.name}-{what}{suffix}")
