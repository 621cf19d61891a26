"""HTML to PDF bytes with WeasyPrint, offline.

The print stylesheet is static/css/print-report.css (found through the staticfiles
finders). Fonts come from fontconfig (Debian's fonts-noto-cjk); WeasyPrint embeds and
subsets them. Nothing is fetched: the documents reference no URL, and a fetcher that
refuses everything but data: URIs makes sure a stray one cannot hang a worker.
"""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured

STYLESHEET = "css/print-report.css"


def refuse_fetch(url: str, *args, **kwargs):
    """WeasyPrint's url_fetcher: data: URIs only (offline intranets, no surprises)."""
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"refused to fetch {url!r} while printing")


def stylesheet_path() -> str:
    path = finders.find(STYLESHEET)
    if not path:
        raise ImproperlyConfigured(f"static file {STYLESHEET} not found")
    return str(path)


def html_to_pdf(html: str) -> bytes:
    """Render `html` with the print stylesheet; the whole PDF in memory, never a half file."""
    from weasyprint import CSS, HTML  # imported here: slow to import, only workers need it

    stylesheet = CSS(filename=stylesheet_path(), url_fetcher=refuse_fetch)
    document = HTML(string=html, url_fetcher=refuse_fetch)
    return document.write_pdf(stylesheets=[stylesheet])
