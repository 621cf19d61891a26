"""Files the browser saves: their names.

A name with Chinese characters must be sent as `filename*=UTF-8''…` (RFC 6266), which
every current browser reads; a plain `filename="…"` with them arrives as "download" or
garbled. Django's content_disposition_header writes either form as needed, and
FileResponse uses it. Names are built from text users typed (project, competition and
department names), so control characters and path separators are replaced first: a
line break in an ASCII name would make the header invalid (a server error), and a slash
means a folder to some browsers.
"""

import re

from django.http import HttpResponse
from django.utils.http import content_disposition_header

UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def filename(text: str) -> str:
    """`text` usable as the name of a downloaded file (unsafe characters become "_")."""
    return UNSAFE.sub("_", text).strip() or "download"


def attachment(response: HttpResponse, name: str) -> HttpResponse:
    """`response` as a download the browser saves as `name` (made safe by `filename`)."""
    response["Content-Disposition"] = content_disposition_header(True, filename(name))
    return response
