"""Small values kept on the "shared" cache alias and forgotten when what they show changes.

A value read on every page (the header's unread count, the evidence policies) is kept
under one key, computed on a miss, and forgotten by the function that changes it, after
its transaction commits (`forget_on_commit`). Each entry also expires after `seconds`: a
write that forgets nothing (a fix in SQL) shows within that time.

Only when SHARED_VALUES is set (CACHE_URL names a Redis, one store for every web
process): with a store per process, forgetting in one process would leave the others
showing the old value, so nothing is kept and every call computes.

A shared cache that cannot be reached (Redis down) is a miss, logged, as in
web.fragments: the value is computed and the page is answered, never a 500.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

log = logging.getLogger(__name__)

ALIAS = "shared"
T = TypeVar("T")
_MISSING = object()  # a kept value may be 0, "" or None


def shared_value(key: str, compute: Callable[[], T], *, seconds: int) -> T:
    """The value kept under `key`, or `compute()` kept there now for `seconds`."""
    if not _kept():
        return compute()
    return read_through(key, compute, seconds=seconds)


def read_through(
    key: str, compute: Callable[[], T], *, seconds: int | None = None, made: str = "computed"
) -> T:
    """The value kept under `key` on the shared alias, or `compute()` kept there now (for
    `seconds`; None: the alias's SHARED_CACHE_SECONDS), whether or not the alias is one
    store for every process: for keys that name everything their value shows, never
    forgotten (web.fragments). `made`: how the log names what was done without the cache."""
    cache = caches[ALIAS]
    try:
        kept = cache.get(key, _MISSING)
    except Exception:  # unreachable: compute it, loudly
        log.warning("shared cache unavailable: %s %s without it", _kind(key), made, exc_info=True)
        return compute()
    if kept is not _MISSING:
        return kept
    value = compute()
    try:
        if seconds is None:
            cache.set(key, value)
        else:
            cache.set(key, value, timeout=seconds)
    except Exception:
        log.warning("shared cache unavailable: %s not kept", _kind(key), exc_info=True)
    return value


def forget(*keys: str) -> None:
    """Delete these keys now (a cache that cannot be reached: logged; they expire)."""
    if not keys or not _kept():
        return
    try:
        caches[ALIAS].delete_many(list(keys))
    except Exception:
        log.warning(
            "shared cache unavailable: %s not forgotten",
            ", ".join(sorted(set(map(_kind, keys)))),
            exc_info=True,
        )


def forget_on_commit(*keys: str) -> None:
    """Forget these keys once the current transaction commits (at once outside one):
    forgotten before the commit, a reader could keep the old value again."""
    if keys and _kept():
        transaction.on_commit(lambda: forget(*keys))


def _kept() -> bool:
    return getattr(settings, "SHARED_VALUES", False)


def _kind(key: str) -> str:
    """The key's first part (e.g. "unread"), for the log."""
    return key.split(":", 1)[0]
