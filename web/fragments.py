"""Drawn page parts kept on the "shared" cache alias: drawn once for every web process.

Each web process keeps its cheap parts (forms, navigation, list pages) on its own "pages"
alias. A part that is dear to draw and the same in every process, such as the league's
table (186 ms of CPU for 100 departments), is kept on "shared" instead: Redis when
CACHE_URL is set. After a recompute, the first reader in any process draws it and the
readers in the other processes read it, where each process used to draw it for itself.

A shared cache that cannot be reached (Redis down) is a miss, logged: the part is drawn
as if nothing were kept, and the page is answered, never a 500.
"""

from collections.abc import Callable

from web.shared_values import read_through


def shared_fragment(key: str, draw: Callable[[], str]) -> str:
    """The part kept under `key` on the shared cache, or `draw()` kept there now.

    `key` must name everything the part shows (versions, query string, language): an
    entry is never checked, only found or not. Entries expire after SHARED_CACHE_SECONDS.
    """
    return read_through(key, draw, made="drawn")
