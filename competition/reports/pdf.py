"""HTML to PDF bytes with WeasyPrint, offline.

The print stylesheet is static/css/print-report.css (found through the staticfiles
finders). The type is GB/T 9704's: 仿宋, 黑体, 楷体 and 小标宋 classes, here the Fandol
family (FandolFang, FandolHei, FandolKai, FandolSong), registered for WeasyPrint with
@font-face rules pointing at the files in settings.REPORT_FONTS_DIR (scripts/start and
scripts/test extract them from Debian's texlive-lang-chinese). When they are missing the
stylesheet's family lists fall back to Noto CJK (fonts-noto-cjk) and a warning is logged.
WeasyPrint embeds and subsets whatever it uses.

Nothing is fetched: the documents reference no URL, and a fetcher that refuses everything
but data: URIs and the font files makes sure a stray one cannot hang a worker.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

STYLESHEET = "css/print-report.css"

# (CSS family, weight, file): the families print-report.css names first in each list.
FANDOL_FACES: list[tuple[str, int, str]] = [
    ("FandolFang", 400, "FandolFang-Regular.otf"),  # 仿宋: body, tables, 版记
    ("FandolHei", 400, "FandolHei-Regular.otf"),  # 黑体: 一、 headings, table headers
    ("FandolKai", 400, "FandolKai-Regular.otf"),  # 楷体: （一） headings
    ("FandolSong", 400, "FandolSong-Regular.otf"),  # 宋体: page numbers
    ("FandolSong", 700, "FandolSong-Bold.otf"),  # 小标宋 class: masthead and title
]


def fonts_dir() -> Path:
    return Path(settings.REPORT_FONTS_DIR)


def _is_report_font(url: str) -> bool:
    """A file: URL of a font file directly inside the fonts folder (nothing else on disk)."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parts.path)).resolve()
    return path.suffix == ".otf" and path.parent == fonts_dir().resolve()


def refuse_fetch(url: str, *args, **kwargs):
    """Fetch `url` if it is a data: URI or a report font; anything else is a ValueError."""
    if not (url.startswith("data:") or _is_report_font(url)):
        raise ValueError(f"refused to fetch {url!r} while printing")
    return offline_fetcher().fetch(url, *args, **kwargs)


def offline_fetcher():
    """WeasyPrint's url_fetcher: data: URIs and the report fonts only (offline intranets).

    A subclass of WeasyPrint's URLFetcher (WeasyPrint calls fetchers through its methods
    and attributes); every URL passes through refuse_fetch's gate first.
    """
    from weasyprint.urls import URLFetcher

    class OfflineFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not (url.startswith("data:") or _is_report_font(url)):
                raise ValueError(f"refused to fetch {url!r} while printing")
            return super().fetch(url, headers)

    return OfflineFetcher(allowed_protocols=("data", "file"))


def font_faces_css() -> str:
    """@font-face rules for the Fandol files present; a warning naming any that are not."""
    folder = fonts_dir()
    rules, missing = [], []
    for family, weight, name in FANDOL_FACES:
        path = folder / name
        if not path.is_file():
            missing.append(name)
            continue
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
            f'src: url("{path.resolve().as_uri()}"); }}'
        )
    if missing:
        log.warning(
            "report fonts missing in %s (%s): the PDF falls back to Noto CJK; "
            "scripts/start or scripts/test extract them from texlive-lang-chinese",
            folder,
            ", ".join(missing),
        )
    return "\n".join(rules)


def stylesheet_path() -> str:
    path = finders.find(STYLESHEET)
    if not path:
        raise ImproperlyConfigured(f"static file {STYLESHEET} not found")
    return str(path)


def html_to_pdf(html: str) -> bytes:
    """Render `html` with the print stylesheet; the whole PDF in memory, never a half file."""
    from weasyprint import CSS, HTML  # imported here: slow to import, only workers need it
    from weasyprint.text.fonts import FontConfiguration

    # One font configuration for the @font-face rules and the layout that uses them.
    font_config = FontConfiguration()
    fetcher = offline_fetcher()
    stylesheets = [
        CSS(string=font_faces_css(), url_fetcher=fetcher, font_config=font_config),
        CSS(filename=stylesheet_path(), url_fetcher=fetcher, font_config=font_config),
    ]
    document = HTML(string=html, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=stylesheets, font_config=font_config)
