"""Drawn page parts kept on the "shared" cache alias: drawn once for every web process.

Each web process keeps its cheap parts (forms, navigation, list pages) on its own "pages"
alias. A part that is dear to draw and the same in every process, such as the league's
table (186 ms of CPU for 100 departments), is kept on "shared" instead: Redis when
CACHE_URL is set. After a recompute, the first reader in any process draws it and the
readers in the other processes read it, where each process used to draw it for itself.

A shared cache that cannot be reached (Redis down) is a miss, logged: the part is drawn
as if nothing were kept, and the page is answered, never a 500.
"""

import logging
from collections.abc import Callable

from django.core.cache import caches

log = logging.getLogger(__name__)

ALIAS = "shared"


def shared_fragment(key: str, draw: Callable[[], str]) -> str:
    """The part kept under `key` on the shared cache, or `draw()` kept there now.

    `key` must name everything the part shows (versions, query string, language): an
    entry is never checked, only found or not. Entries expire after SHARED_CACHE_SECONDS.
    """
    cache = caches[ALIAS]
    try:
        kept = cache.get(key)
    except Exception:  # unreachable: draw it, loudly
        log.warning("shared cache unavailable: %s drawn without it", _kind(key), exc_info=True)
        return draw()
    if kept is not None:
        return kept
    drawn = draw()
    try:
        cache.set(key, drawn)
    except Exception:
        log.warning("shared cache unavailable: %s not kept", _kind(key), exc_info=True)
    return drawn


def _kind(key: str) -> str:
    """The key's first part (e.g. "league_table"), for the log: not the whole query string."""
    return key.split(":", 1)[0]
