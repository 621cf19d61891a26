"""The printed documents as HTML: the bulletin's and the briefing pack's templates, filled in.

Rendered in the site's language and time zone (settings), never the requesting user's:
a bulletin is an official document of the city and reads the same whoever asked for it.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from competition.models import Competition, Report
from competition.reports import layout
from competition.reports.content import bulletin_content, pack_content

TEMPLATES = {
    Report.Kind.BULLETIN: "competition/reports/bulletin.html",
    Report.Kind.PACK: "competition/reports/pack.html",
}


def html_lang(language_code: str) -> str:
    """The lang attribute Pango needs to pick simplified Chinese glyphs ("zh-hans" → "zh-CN")."""
    return "zh-CN" if language_code.lower() in ("zh-hans", "zh-cn") else language_code


def document_title(*, kind: str, issue_number: int | None) -> str:
    if kind == Report.Kind.BULLETIN:
        return gettext("招商引资百日竞赛简报（第%(n)s期）") % {"n": issue_number}
    return gettext("招商引资百日竞赛汇报会材料")


def render_document(
    competition: Competition,
    *,
    kind: str,
    as_of: date,
    issue_number: int | None,
    issued_on: date,
) -> str:
    """The whole document as one HTML string, ready for WeasyPrint."""
    with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
        if kind == Report.Kind.BULLETIN:
            context = {"content": bulletin_content(competition, as_of=as_of)}
        else:
            pack = pack_content(competition, as_of=as_of)
            layout.fit(
                pack.pages,
                colophon=layout.colophon_height(
                    copy_to=pack.summary.copy_to, copies=bool(competition.print_copies)
                ),
            )
            context = {"content": pack.summary, "pages": pack.pages, "toc_pairs": pack.toc_pairs}
        context.update(
            competition=competition,
            kind=kind,
            issue_number=issue_number,
            issued_on=issued_on,
            title=document_title(kind=kind, issue_number=issue_number),
            lang=html_lang(settings.LANGUAGE_CODE),
        )
        return render_to_string(TEMPLATES[kind], context)


def render_report_html(report: Report) -> str:
    """The HTML of a Report row: its competition, kind, as-of date and issue number."""
    return render_document(
        report.competition,
        kind=report.kind,
        as_of=report.as_of,
        issue_number=report.issue_number,
        issued_on=timezone.localdate(report.created_at),
    )
