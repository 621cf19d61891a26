"""Render today's league table and dashboard ahead of their first reader.

The pages cache their rendered parts on the snapshot's version (competition.pagecache),
so the first reader after each recompute pays the whole rendering (about a second for 200
departments). The worker that stored the snapshot renders them instead, right after, for
the page as it is first opened: no query string, the site's language, today.

Only with a real broker (WARM_PAGES_AFTER_RECOMPUTE defaults to it): in embedded mode
the recompute runs inside the very request that saved the record, and rendering pages
nobody asked for would only slow that request down.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from competition import pagecache
from competition.models import Competition, Snapshot
from competition.views.dashboard import dashboard_body
from competition.views.league import COMPARE_DAYS, league_table_html

logger = logging.getLogger(__name__)


def warm_pages(competition: Competition, *, today: date) -> bool:
    """Cache today's league table and dashboard of `competition`; False if not stored yet."""
    compared_to = today - timedelta(days=COMPARE_DAYS)
    version = pagecache.snapshot_version(competition, as_of=today, compared_to=compared_to)
    if version.current is None:
        return False
    # The league page's own request as a reader first opens it; the cached part reads only
    # its query string (none), never the user.
    request = RequestFactory().get(reverse("league"))
    request.user = AnonymousUser()
    with translation.override(settings.LANGUAGE_CODE):
        rows = Snapshot.objects.filter(competition=competition, as_of=today)
        league_table_html(request, competition, as_of=today, version=version, rows=rows)
        dashboard_body(competition, as_of=today, today=today)
    return True


def warm_after_recompute(
    competition_id: int, *, dates: Iterable[date], today: date | None = None
) -> bool:
    """The recompute task's last step: warm today's pages if today was just stored.

    Skipped when the setting is off, when today was not among the dates, and when the
    competition is already stale again (the recompute that follows will warm). A failure
    here is logged, never raised: the snapshots are stored, only a reader will wait.
    """
    if not settings.WARM_PAGES_AFTER_RECOMPUTE:
        return False
    today = today or timezone.localdate()
    if today not in set(dates):
        return False
    try:
        competition = Competition.objects.filter(pk=competition_id, stale_from__isnull=True).first()
        return competition is not None and warm_pages(competition, today=today)
    except Exception:  # rendering can fail in many ways; none may undo the recompute
        logger.exception("warming the pages of competition %s failed", competition_id)
        return False
