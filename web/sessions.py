"""Sessions read from the shared cache and written through to the database.

Django's cached_db engine (SESSION_ENGINE = "web.sessions" with SESSION_CACHE_ALIAS
"shared", set when CACHE_URL names a Redis): a request reads its session from Redis, and
the database only on a miss; a save (a login, a change, the once-a-minute idle refresh of
web.middleware.IdleSessionMiddleware) writes the row and then the cache. That took the
session's SELECT off every request: 5.6% of the web worker's CPU in the liaisons' flow
(py-spy, `loadtest --pair`, README Performance round 9).

Extended the way Django's documentation extends a session engine (a SessionStore
subclass): here the cache it is given answers a Redis that cannot be reached as a miss,
logged, so the session comes from the database and the page is answered, never a 500.
Only a logout or a new key while Redis is unreachable can leave the old entry in Redis
until it expires (SESSION_COOKIE_AGE); it is logged as an error.
"""

import logging

from django.contrib.sessions.backends import cached_db

log = logging.getLogger(__name__)


class _Tolerant:
    """The part of a cache cached_db uses, where an unreachable cache is a miss."""

    def __init__(self, cache):
        self._cache = cache

    def get(self, key, default=None):
        try:
            return self._cache.get(key, default)
        except Exception:
            log.warning("session cache unavailable: read from the database", exc_info=True)
            return default

    def set(self, key, value, timeout):
        try:
            self._cache.set(key, value, timeout)
        except Exception:
            log.warning("session cache unavailable: session not kept there", exc_info=True)

    def delete(self, key):
        try:
            self._cache.delete(key)
        except Exception:
            log.error(
                "session cache unavailable: an ended session stays there until it expires",
                exc_info=True,
            )

    def __contains__(self, key):
        try:
            return key in self._cache
        except Exception:
            log.warning("session cache unavailable: the database is asked", exc_info=True)
            return False


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _Tolerant(self._cache)
