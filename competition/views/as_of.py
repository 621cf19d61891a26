"""The as-of date of the league pages: read from the query string, moved into the window.

A league can only be shown for a day from the competition's start to its end or today,
whichever comes first: a later day would show the same figures as the end (or figures
of days that have not happened), an earlier one a window that has not begun. A date
outside is moved to the nearest day inside, and the page says so, so that a typed
or bookmarked date never shows figures of a day the reader did not ask for unawares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from competition.models import Competition
from web.dates import clamp, parse_date


@dataclass(frozen=True)
class AsOf:
    """The date a page shows, and what to tell the reader when it is not the one asked."""

    day: date
    notice: str = ""


def shown_as_of(competition: Competition, requested: date, *, today: date) -> date:
    """`requested` moved into the days `competition`'s league can be shown for: its start
    to its end or `today`, whichever is earlier (before the start: today, day 0)."""
    latest = min(competition.end_date, today)
    earliest = min(competition.start_date, latest)
    return clamp(requested, earliest=earliest, latest=latest)


def moved_notice(competition: Competition, *, requested: date, shown: date) -> str:
    """The sentence a page shows when `requested` was moved to `shown` (empty when not)."""
    if requested == shown:
        return ""
    return _(
        "统计日期 %(requested)s 不在可统计的范围内（竞赛期 %(start)s 至 %(end)s，且不晚于"
        "今天），已按 %(shown)s 显示。"
    ) % {
        "requested": requested.isoformat(),
        "start": competition.start_date.isoformat(),
        "end": competition.end_date.isoformat(),
        "shown": shown.isoformat(),
    }


def as_of_from_query(request, competition: Competition, *, today: date) -> AsOf:
    """The `as_of` of the query string (default today) moved into the window, with the
    sentence the page shows when the date was malformed, out of range or moved."""
    text = request.GET.get("as_of", "")
    if not text:
        return AsOf(shown_as_of(competition, today, today=today))
    try:
        requested = parse_date(text)
    except ValidationError as error:
        shown = shown_as_of(competition, today, today=today)
        notice = _("统计日期“%(text)s”无效：%(reason)s已按 %(shown)s 显示。") % {
            "text": text[:40],
            "reason": " ".join(error.messages),
            "shown": shown.isoformat(),
        }
        return AsOf(shown, notice)
    shown = shown_as_of(competition, requested, today=today)
    return AsOf(shown, moved_notice(competition, requested=requested, shown=shown))
