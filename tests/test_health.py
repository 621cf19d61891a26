"""/healthz: database, broker and worker checks; 200 when all pass, 503 otherwise."""

import pytest

from config import health


@pytest.fixture
def no_broker(settings):
    settings.CELERY_BROKER_URL = ""


def test_healthy_without_broker_skips_broker_and_worker(client, db, no_broker):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "skipped"
    assert body["checks"]["worker"]["status"] == "skipped"
    assert response["Cache-Control"].startswith("max-age=0")


def test_no_login_and_no_https_redirect(client, db, no_broker, settings):
    # Load balancers probe over plain HTTP without a session.
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz")
    assert response.status_code == 200


def test_database_down_is_503(client, db, no_broker, monkeypatch):
    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setattr(health, "check_database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failed"
    assert body["checks"]["database"] == {
        "status": "failed",
        "error": "RuntimeError: connection refused",
        "ms": body["checks"]["database"]["ms"],
    }


def test_unreachable_broker_is_503_and_worker_not_pinged(client, db, settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.HEALTH_BROKER_TIMEOUT = 0.5
    monkeypatch.setattr(health, "check_worker", lambda: pytest.fail("pinged through a dead broker"))
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["status"] == "failed"
    assert checks["worker"] == {"status": "failed", "error": "broker unreachable", "ms": 0.0}


def test_broker_up_but_no_worker_is_503(client, db, settings, monkeypatch):
    from config.celery import app

    settings.CELERY_BROKER_URL = "redis://broker.invalid:6379/0"
    monkeypatch.setattr(health, "check_broker", lambda: {"status": "ok"})
    monkeypatch.setattr(app.control, "ping", lambda timeout: [])
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["status"] == "failed"


def test_broker_and_worker_answering_is_200(client, db, settings, monkeypatch):
    from config.celery import app

    settings.CELERY_BROKER_URL = "redis://broker.invalid:6379/0"
    monkeypatch.setattr(health, "check_broker", lambda: {"status": "ok"})
    monkeypatch.setattr(app.control, "ping", lambda timeout: [{"celery@web1": {"ok": "pong"}}])
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"]["workers"] == ["celery@web1"]


def test_only_get(client, db, no_broker):
    assert client.post("/healthz").status_code == 405
