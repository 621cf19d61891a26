"""Rendered parts of the league table and the dashboard (and the leader home's figures),
cached on the snapshot's version.

Both pages show a stored snapshot (competition.league.snapshots), and a snapshot only changes by
being replaced: a recompute deletes the date's rows and inserts new ones, with a new
``computed_at`` and new, larger row ids. So the version of a page is read in one cheap
query (`snapshot_version`) and is part of the cache key together with everything else the
cached HTML depends on: competition, date, the query string (group filter, sort; the sort
links repeat it), the active language and the code that renders it (`code_fingerprint`).
A recompute changes the key, so a stale entry is never served; old entries simply expire.

The dashboard also shows figures read from the records (cumulative progress, the
project mix of 三有三不), yet may be cached on the snapshot's version too: a change to a
counted record, a project edit or a settings change marks the competition stale, and the
recompute that follows replaces the snapshot (new version). Until then both pages show
the same stale notice, outside the cached part. The one change that marks nothing is a
new project without records, which changes only the project mix: the dashboard's version
also holds the latest project id.

Nothing cached depends on the user: the cached parts hold no role-dependent links (every
league reader may open the explain page each department name links to). The league
table's template reads only the table and the query string; the dashboard's part is
rendered without a request. The forms, the export links, the ledger link only the office
and leaders see, the user's name and the stale notice are rendered outside them on every
request.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import django
import django_tables2
from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Subquery
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from competition.models import Competition, Snapshot
from config.fingerprint import code_digest
from projects.models import Project

# Entries never go stale (the key changes instead); the timeout only frees the space.
TIMEOUT_SECONDS = 24 * 60 * 60

# What shapes the cached HTML besides the data: a deploy that changes any of it changes
# every key, so a shared cache (Redis) never serves a page rendered by older code.
TEMPLATES = ["competition/_dashboard_body.html"]
MODULES = [
    "competition.charts",
    "competition.scoring.diagnostics",
    "competition.home",
    "competition.league.rows",
    "competition.pagecache",
    "competition.scoring.progress",
    "competition.league.stored",
    "competition.tables",
    "competition.views.dashboard",
    "competition.views.league",
]


@dataclass(frozen=True)
class Version:
    """What identifies one stored snapshot: its largest row id and latest computed_at.

    `current` is None when the date has no snapshot; `previous` is the snapshot the rank
    change compares with (None: none stored, or not asked for); `latest_project_id` is
    None unless asked for.
    """

    current: tuple[int, datetime] | None
    previous: tuple[int, datetime] | None = None
    latest_project_id: int | None = None

    def key(self) -> str:
        return repr((self.current, self.previous, self.latest_project_id))


def snapshot_version(
    competition: Competition,
    *,
    as_of: date,
    compared_to: date | None = None,
    with_projects: bool = False,
) -> Version:
    """The version of `as_of`'s snapshot (and `compared_to`'s): one query, grouped by
    date (a subquery per figure cost more to build than to run)."""
    dates = [as_of] if compared_to is None else [as_of, compared_to]
    columns = {"last_id": Max("id"), "last_at": Max("computed_at")}
    if with_projects:
        columns["latest_project_id"] = Subquery(Project.objects.order_by("-id").values("id")[:1])
    rows = (
        Snapshot.objects.filter(competition_id=competition.pk, as_of__in=dates)
        .values("as_of")
        .annotate(**columns)
        .order_by()
    )
    by_date = {row["as_of"]: row for row in rows}

    def pair(day: date | None) -> tuple[int, datetime] | None:
        row = by_date.get(day)
        return None if row is None else (row["last_id"], row["last_at"])

    current = by_date.get(as_of, {})
    return Version(
        current=pair(as_of),
        previous=pair(compared_to),
        latest_project_id=current.get("latest_project_id"),
    )


@functools.cache
def code_fingerprint() -> str:
    """A digest of the templates, modules and translations that render the cached parts."""
    # The table templates come with django-tables2 (and Django's own filters with Django).
    return code_digest(
        templates=TEMPLATES,
        modules=MODULES,
        versions=(
            django.__version__,
            django_tables2.__version__,
            settings.DJANGO_TABLES2_TEMPLATE,
            str(settings.MAJOR_PROJECT_MIN_INVESTMENT),
        ),
    )


def cache_key(
    page: str, *, competition_id: int, as_of: date, version: Version, params: list | None = None
) -> str:
    """The key of one rendered part; hashed, so that any query string stays a short key."""
    parts = repr(
        (
            code_fingerprint(),
            competition_id,
            as_of.isoformat(),
            version.key(),
            translation.get_language(),
            sorted(params or []),
        )
    )
    return f"page:{page}:{hashlib.sha256(parts.encode()).hexdigest()}"


def cached_html(
    page: str,
    *,
    competition_id: int,
    as_of: date,
    version: Version,
    render: Callable[[], str],
    params: list | None = None,
) -> SafeString:
    """The rendered part, from the cache or rendered by `render` and cached.

    Without a stored snapshot (`version.current` None) there is nothing to key on:
    rendered every time, never cached.
    """
    if version.current is None:
        return mark_safe(render())
    key = cache_key(
        page, competition_id=competition_id, as_of=as_of, version=version, params=params
    )
    html = _recent.get(key)
    if html is None:
        stored = cache.get(key)
        if stored is not None:
            html = zlib.decompress(stored).decode()
        else:
            html = str(render())
            # Compressed: the league table of 200 departments is ~300 KB of HTML, ~20 KB
            # so; the default per-process cache holds 300 entries, and Redis sends less.
            cache.set(key, zlib.compress(html.encode(), 1), TIMEOUT_SECONDS)
        _recent.put(key, html)
    return mark_safe(html)


class _Recent:
    """The parts this process served last, decompressed, by key: a hit skips the shared
    cache's round trip and the decompression. Keys name a snapshot's version, so an
    entry is never stale; the oldest go first (a league table is ~1 MB as text)."""

    SIZE = 8

    def __init__(self):
        self._entries: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
            return html

    def put(self, key: str, html: str) -> None:
        with self._lock:
            self._entries[key] = html
            self._entries.move_to_end(key)
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_recent = _Recent()


def clear_recent() -> None:
    """Forget this process's recent parts (tests, whose ids and clocks repeat)."""
    _recent.clear()
