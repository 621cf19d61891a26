"""Rendered parts of the league table and the dashboard, cached on the snapshot's version.

Both pages show a stored snapshot (competition.snapshots), and a snapshot only changes by
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
import importlib
import inspect
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import django
import django_tables2
from django.conf import settings
from django.core.cache import cache
from django.db.models import Subquery
from django.template.loader import get_template
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from competition.models import Competition, Snapshot
from projects.models import Project

# Entries never go stale (the key changes instead); the timeout only frees the space.
TIMEOUT_SECONDS = 24 * 60 * 60

# What shapes the cached HTML besides the data: a deploy that changes any of it changes
# every key, so a shared cache (Redis) never serves a page rendered by older code.
TEMPLATES = ["competition/_dashboard_body.html"]
MODULES = [
    "competition.charts",
    "competition.diagnostics",
    "competition.league_rows",
    "competition.pagecache",
    "competition.progress",
    "competition.stored",
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


def _latest(queryset, field: str) -> Subquery:
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1])


def snapshot_version(
    competition: Competition,
    *,
    as_of: date,
    compared_to: date | None = None,
    with_projects: bool = False,
) -> Version:
    """The version of `as_of`'s snapshot (and `compared_to`'s): one query."""
    snapshots = Snapshot.objects.filter(competition_id=competition.pk)
    columns = {
        "current_id": _latest(snapshots.filter(as_of=as_of), "id"),
        "current_at": _latest(snapshots.filter(as_of=as_of), "computed_at"),
    }
    if compared_to is not None:
        columns["previous_id"] = _latest(snapshots.filter(as_of=compared_to), "id")
        columns["previous_at"] = _latest(snapshots.filter(as_of=compared_to), "computed_at")
    if with_projects:
        columns["latest_project_id"] = _latest(Project.objects.all(), "id")
    row = Competition.objects.filter(pk=competition.pk).values(**columns).first() or {}

    def pair(prefix: str) -> tuple[int, datetime] | None:
        if row.get(f"{prefix}_id") is None:
            return None
        return row[f"{prefix}_id"], row[f"{prefix}_at"]

    return Version(
        current=pair("current"),
        previous=pair("previous"),
        latest_project_id=row.get("latest_project_id"),
    )


@functools.cache
def code_fingerprint() -> str:
    """A digest of the templates, modules and translations that render the cached parts."""
    digest = hashlib.sha256()
    paths = [Path(get_template(name).origin.name) for name in TEMPLATES]
    paths += [Path(inspect.getfile(importlib.import_module(name))) for name in MODULES]
    for locale_dir in settings.LOCALE_PATHS:
        paths += sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.mo"))
    for path in paths:
        digest.update(path.read_bytes())
    # The table templates come with django-tables2 (and Django's own filters with Django).
    versions = (django.__version__, django_tables2.__version__, settings.DJANGO_TABLES2_TEMPLATE)
    digest.update(repr(versions).encode())
    digest.update(str(settings.MAJOR_PROJECT_MIN_INVESTMENT).encode())
    return digest.hexdigest()[:16]


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
    stored = cache.get(key)
    if stored is not None:
        return mark_safe(zlib.decompress(stored).decode())
    html = str(render())
    # Compressed: the league table of 200 departments is ~300 KB of HTML, ~20 KB so; the
    # default per-process cache holds 300 entries, and Redis sends less over the wire.
    cache.set(key, zlib.compress(html.encode(), 1), TIMEOUT_SECONDS)
    return mark_safe(html)
