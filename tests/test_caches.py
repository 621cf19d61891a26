"""Three cache aliases: "default" for rate-limit counters, "pages" for each process's page
entries, "shared" for page parts drawn once for every process; each namespaced per release."""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from django.core.cache import caches

BASE_DIR = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]["version"]

PROBE = """
import json
from config import settings as s
print(json.dumps({alias: [c["BACKEND"], c.get("LOCATION", ""), c["KEY_PREFIX"]]
                  for alias, c in s.CACHES.items()}))
"""


def cache_settings(**env: str) -> dict:
    """CACHES as config.settings builds it in a new process with only `env` set."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=BASE_DIR,
        env={**base, "SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_page_entries_live_in_a_cache_of_their_own():
    default, pages = caches["default"], caches["pages"]
    assert pages is not default
    default.set("rate:upload:7", 3)
    pages.set("rate:upload:7", "page")
    pages.clear()
    assert default.get("rate:upload:7") == 3  # a page cache emptied, the counter kept
    assert pages.get("rate:upload:7") is None


def test_every_alias_is_namespaced_by_the_release():
    caches_by_alias = cache_settings()
    assert set(caches_by_alias) == {"default", "pages", "shared"}
    assert {prefix for _, _, prefix in caches_by_alias.values()} == {VERSION}
    # Three stores, even on one machine: LocMem instances are keyed by LOCATION.
    assert len({location for _, location, _ in caches_by_alias.values()}) == 3


def test_the_prefix_comes_from_the_environment_when_set():
    caches_by_alias = cache_settings(CACHE_KEY_PREFIX="r42")
    assert {prefix for _, _, prefix in caches_by_alias.values()} == {"r42"}


def test_with_redis_the_counters_are_shared_and_the_pages_stay_in_each_process():
    caches_by_alias = cache_settings(CACHE_URL="redis://cache:6379/1")
    assert caches_by_alias["default"][:2] == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache:6379/1",
    ]
    assert caches_by_alias["pages"][0] == "django.core.cache.backends.locmem.LocMemCache"
    assert caches_by_alias["shared"][:2] == caches_by_alias["default"][:2]
