"""Sessions read from the shared cache, written through to the database (web.sessions):
what config/settings.py chooses when CACHE_URL names a Redis."""

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGE = "accounts:password_change"  # a signed-in page with nothing else on it


@pytest.fixture(autouse=True)
def _sessions_on_the_shared_cache(settings):
    settings.SESSION_ENGINE = "web.sessions"
    settings.SESSION_CACHE_ALIAS = "shared"
    caches["shared"].clear()
    yield
    caches["shared"].clear()


def _session_reads(client) -> tuple[int, int]:
    """The page's status, and how many statements read or wrote the session table."""
    with CaptureQueriesContext(connection) as queries:
        status = client.get(reverse(PAGE)).status_code
    return status, sum("django_session" in q["sql"] for q in queries.captured_queries)


def test_a_signed_in_page_reads_its_session_from_the_cache_not_the_database(liaison):
    client = Client()
    client.force_login(liaison)  # saved to the database, then to the cache
    assert _session_reads(client) == (200, 0)
    assert _session_reads(client) == (200, 0)
    assert Session.objects.filter(pk=client.session.session_key).exists()  # written through


def test_a_session_missing_from_the_cache_comes_from_the_database_and_is_kept(liaison):
    client = Client()
    client.force_login(liaison)
    caches["shared"].clear()  # Redis restarted: it keeps nothing on disk
    assert _session_reads(client) == (200, 1)
    assert _session_reads(client) == (200, 0)


def test_logging_out_ends_the_session_in_the_cache_too(liaison):
    client = Client()
    client.force_login(liaison)
    cookie = client.cookies["sessionid"].value
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(pk=cookie).exists()
    replay = Client()
    replay.cookies["sessionid"] = cookie  # the old cookie, kept by someone
    response = replay.get(reverse(PAGE))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_unreachable_cache_is_a_miss_and_the_page_is_answered(liaison, monkeypatch, caplog):
    client = Client()
    client.force_login(liaison)
    shared = caches["shared"]

    def unreachable(*args, **kwargs):
        raise ConnectionError("Redis is down")

    for method in ("get", "set", "delete", "has_key"):
        monkeypatch.setattr(shared, method, unreachable)
    status, reads = _session_reads(client)
    assert (status, reads) == (200, 1)  # signed in still, from the database
    assert "session cache unavailable: read from the database" in caplog.text
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.exists()
    assert "an ended session stays there until it expires" in caplog.text
