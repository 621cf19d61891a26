"""E-mail settings (notifications): from the environment through the strict helpers.

Each case imports config.settings in a fresh process with only the environment given.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PROBE = """
import json
from config import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT", "DEFAULT_FROM_EMAIL", "SITE_URL")}))
"""


def run(tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=BASE_DIR,
        env={**base, "SECRET_KEY": "k", "VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def load(tmp_path, **env: str) -> dict:
    result = run(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_nothing_set_writes_emails_to_the_console(tmp_path):
    s = load(tmp_path)
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert s["DEFAULT_FROM_EMAIL"] == "noreply@localhost" and s["SITE_URL"] == ""


def test_smtp_from_the_environment(tmp_path):
    s = load(
        tmp_path,
        EMAIL_HOST="smtp.example.gov.cn",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="zsyz",
        EMAIL_HOST_PASSWORD="secret",
        EMAIL_USE_TLS="on",
        DEFAULT_FROM_EMAIL="百日竞赛 <zsyz@example.gov.cn>",
        SITE_URL="https://zsyz.example.gov.cn",
    )
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"], s["EMAIL_USE_TLS"]) == (
        "smtp.example.gov.cn",
        587,
        True,
    )
    assert s["EMAIL_HOST_USER"] == "zsyz" and s["EMAIL_HOST_PASSWORD"] == "secret"
    assert s["DEFAULT_FROM_EMAIL"] == "百日竞赛 <zsyz@example.gov.cn>"


def test_a_misspelt_boolean_stops_start_up(tmp_path):
    result = run(tmp_path, EMAIL_USE_TLS="flase")
    assert result.returncode != 0 and "EMAIL_USE_TLS='flase' is not a boolean" in result.stderr


def test_tls_and_ssl_together_stop_start_up(tmp_path):
    result = run(tmp_path, EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert result.returncode != 0 and "exclusive" in result.stderr


def test_a_port_must_be_a_number(tmp_path):
    result = run(tmp_path, EMAIL_PORT="smtp")
    assert result.returncode != 0 and "EMAIL_PORT='smtp' is not a whole number" in result.stderr
