"""What every django-tables2 list page shares: paging from the query string, and exports."""

import django_tables2 as tables
from django.http import HttpResponse
from django.utils import timezone

from web.csvsafe import safe_table_export
from web.downloads import attachment

EXPORT_FORMATS = ("csv", "xlsx")
PER_PAGE = 25


def configure(request, table, *, prefix: str = "", per_page: int = PER_PAGE) -> None:
    """Sorting and pagination from the query string (every table of a page has a prefix).

    The page size is ours to choose (django-tables2 crashes on ?per_page=-1), so its
    query parameter is never read.
    """
    table.prefix = prefix
    table.per_page_field = "_per_page_not_read"
    tables.RequestConfig(request, paginate={"per_page": per_page}).configure(table)


def is_export(request) -> bool:
    """Whether the query string asks for the table as a file (`_export=csv|xlsx`)."""
    return request.GET.get("_export") in EXPORT_FORMATS


def export_response(request, table, *, title: str, filename: str | None = None):
    """The table as CSV or XLSX when the query string asks for it (`_export=`), else None.

    Every filtered row is exported, not just the page on screen; text that a spreadsheet
    would run as a formula is neutralised (web.csvsafe). The file is named `filename`
    (without its extension; by default the title and today's date), in Chinese as the
    users read it (web.downloads).
    """
    if not is_export(request):
        return None
    export_format = request.GET["_export"]
    tables.RequestConfig(request, paginate=False).configure(table)
    exporter = safe_table_export(export_format, table, dataset_kwargs={"title": title[:31]})
    content = exporter.export()
    if export_format == "csv":
        content = "\ufeff" + content  # a BOM, so that Excel opens the Chinese text as UTF-8
    response = HttpResponse(content, content_type=exporter.content_type())
    stem = filename or f"{title}-{timezone.localdate().isoformat()}"
    return attachment(response, f"{stem}.{export_format}")


NOWRAP = {"td": {"class": "nowrap"}}


def local_time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


class TimeColumn(tables.Column):
    def __init__(self, **kwargs):
        kwargs.setdefault("attrs", NOWRAP)
        super().__init__(**kwargs)

    def render(self, value):
        return local_time(value)

    def value(self, value):
        return local_time(value)
