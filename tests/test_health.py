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


# Deployment settings that health depends on: media storage shared by every machine.
def _settings_probe(env: dict, code: str) -> str:
    import os
    import subprocess
    import sys
    from pathlib import Path

    base = Path(__file__).resolve().parent.parent
    full_env = {"PATH": os.environ.get("PATH", ""), "DEBUG": "1", "VAR_DIR": str(base / "var")}
    full_env.update(env)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=base, env=full_env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_media_on_local_disk_unless_a_bucket_is_set():
    code = "from config import settings as s; print(s.STORAGES['default']['BACKEND'])"
    assert _settings_probe({}, code) == "django.core.files.storage.FileSystemStorage"
    assert (
        _settings_probe({"AWS_STORAGE_BUCKET_NAME": "bairi-media"}, code)
        == "storages.backends.s3.S3Storage"
    )


def test_s3_storage_signs_private_urls_without_network():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; "
        "django.setup(); from django.core.files.storage import storages; "
        "d = storages['default']; print(type(d).__name__, d.url('evidence/a.pdf'))"
    )
    env = {
        "AWS_STORAGE_BUCKET_NAME": "bairi-media",
        "S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_S3_REGION_NAME": "us-east-1",
    }
    name, url = _settings_probe(env, code).split(" ", 1)
    assert name == "S3Storage"
    assert url.startswith("http://127.0.0.1:9000/bairi-media/evidence/a.pdf?")
    assert "Signature" in url or "X-Amz-Signature" in url
