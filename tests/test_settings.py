"""config/settings.py reads the environment and nothing else.

Settings are read once, at import, so each case imports them in a fresh Python process
with an environment the test controls (nothing inherited from the test run).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

# What the child process prints: plain values of the settings under test.
PROBE = """
import json
from config import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SECRET_KEY": s.SECRET_KEY,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "HOST": db.get("HOST", ""),
    "CONN_MAX_AGE": db["CONN_MAX_AGE"],
    "CONN_HEALTH_CHECKS": db["CONN_HEALTH_CHECKS"],
    "OPTIONS": db.get("OPTIONS", {}),
    "VAR_DIR": str(s.VAR_DIR),
    "MEDIA_ROOT": str(s.MEDIA_ROOT),
    "CELERY_BROKER_URL": s.CELERY_BROKER_URL,
    "CELERY_TASK_ALWAYS_EAGER": s.CELERY_TASK_ALWAYS_EAGER,
    "TIME_ZONE": s.TIME_ZONE,
    "USE_TZ": s.USE_TZ,
    "LANGUAGE_CODE": s.LANGUAGE_CODE,
    "LANGUAGES": [code for code, _ in s.LANGUAGES],
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SESSION_COOKIE_AGE": s.SESSION_COOKIE_AGE,
    "EVIDENCE_MAX_BYTES": s.EVIDENCE_MAX_BYTES,
    "MAJOR_PROJECT_MIN_INVESTMENT": str(s.MAJOR_PROJECT_MIN_INVESTMENT),
    "SHARED_CACHE_TIMEOUT": s.CACHES["shared"]["TIMEOUT"],
    "SHARED_VALUES": s.SHARED_VALUES,
    "SESSION_ENGINE": s.SESSION_ENGINE,
    "SESSION_CACHE_ALIAS": s.SESSION_CACHE_ALIAS,
}))
"""


def load_settings(**env: str) -> dict:
    """Import config.settings in a new process whose environment is only `env`."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def var_dir(tmp_path):
    return tmp_path / "var"


def test_no_database_url_means_sqlite_in_var_dir(var_dir):
    s = load_settings(SECRET_KEY="k", VAR_DIR=str(var_dir))

    assert s["ENGINE"] == "django.db.backends.sqlite3"
    assert s["NAME"] == str(var_dir / "db.sqlite3")
    assert var_dir.is_dir()  # created on import, so a fresh clone just works
    assert s["MEDIA_ROOT"] == str(var_dir / "media")


def test_var_dir_defaults_to_var_in_the_repo():
    s = load_settings(SECRET_KEY="k")

    assert s["VAR_DIR"] == str(BASE_DIR / "var")
    assert s["NAME"] == str(BASE_DIR / "var" / "db.sqlite3")


def test_database_url_chooses_postgresql(var_dir):
    s = load_settings(
        SECRET_KEY="k",
        VAR_DIR=str(var_dir),
        DATABASE_URL="postgres://bairi@db.internal:5432/bairi",
        DB_CONN_MAX_AGE="60",
    )

    assert s["ENGINE"] == "django.db.backends.postgresql"
    assert (s["NAME"], s["HOST"], s["CONN_MAX_AGE"]) == ("bairi", "db.internal", 60)
    assert s["CONN_HEALTH_CHECKS"] is True  # a kept connection is checked before reuse
    # Parameters bound by the server, a statement run 5 times on a connection prepared.
    assert s["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}


@pytest.mark.parametrize(
    "env,options",
    [
        # Behind a transaction-pooling pgbouncer: bound by the server, never prepared.
        ({"DB_PREPARED_STATEMENTS": "off"}, {"server_side_binding": True}),
        ({"DB_SERVER_SIDE_BINDING": "off"}, {"server_side_binding": False}),
    ],
)
def test_binding_and_preparing_can_be_turned_off(var_dir, env, options):
    s = load_settings(
        SECRET_KEY="k", VAR_DIR=str(var_dir), DATABASE_URL="postgres://bairi@db/bairi", **env
    )
    assert s["OPTIONS"] == options


def test_no_broker_means_tasks_run_in_process(var_dir):
    s = load_settings(SECRET_KEY="k", VAR_DIR=str(var_dir))

    assert s["CELERY_BROKER_URL"] == ""
    assert s["CELERY_TASK_ALWAYS_EAGER"] is True


def test_a_broker_means_tasks_go_to_workers(var_dir):
    s = load_settings(
        SECRET_KEY="k", VAR_DIR=str(var_dir), CELERY_BROKER_URL="redis://127.0.0.1:6379/0"
    )

    assert s["CELERY_TASK_ALWAYS_EAGER"] is False


def test_china_time_and_chinese_first(var_dir):
    s = load_settings(SECRET_KEY="k", VAR_DIR=str(var_dir))

    assert s["TIME_ZONE"] == "Asia/Shanghai"
    assert s["USE_TZ"] is True
    assert s["LANGUAGE_CODE"] == "zh-hans"
    assert s["LANGUAGES"] == ["zh-hans", "en"]


def test_debug_off_by_default_with_https_only_defaults(var_dir):
    s = load_settings(SECRET_KEY="k", VAR_DIR=str(var_dir))

    assert s["DEBUG"] is False
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SESSION_COOKIE_SECURE"] is True
    assert s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_HSTS_SECONDS"] == 31536000


def test_debug_runs_without_a_secret_key_and_over_http(var_dir):
    s = load_settings(DEBUG="1", VAR_DIR=str(var_dir))

    assert s["DEBUG"] is True
    assert s["SECRET_KEY"]  # a development key, never used with DEBUG off
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SECURE_HSTS_SECONDS"] == 0


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_debug_values_that_mean_off(var_dir, value):
    assert load_settings(SECRET_KEY="k", VAR_DIR=str(var_dir), DEBUG=value)["DEBUG"] is False


def test_every_default_can_be_changed_by_the_environment(var_dir):
    s = load_settings(
        SECRET_KEY="k",
        VAR_DIR=str(var_dir),
        MEDIA_ROOT=str(var_dir / "evidence"),
        ALLOWED_HOSTS="bairi.example.gov.cn, 10.0.0.5",
        SECURE_SSL_REDIRECT="0",
        SESSION_IDLE_SECONDS="600",
        EVIDENCE_MAX_BYTES="1048576",
        MAJOR_PROJECT_MIN_INVESTMENT="10000",
    )

    assert s["MEDIA_ROOT"] == str(var_dir / "evidence")
    assert s["ALLOWED_HOSTS"] == ["bairi.example.gov.cn", "10.0.0.5"]
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SESSION_COOKIE_AGE"] == 600
    assert s["EVIDENCE_MAX_BYTES"] == 1048576
    assert s["MAJOR_PROJECT_MIN_INVESTMENT"] == "10000"


def settings_error(**env: str) -> str:
    """Import config.settings with `env` expecting it to refuse; return what it printed."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0, "settings loaded although the environment is wrong"
    return result.stderr


def test_shared_cache_entries_expire_after_the_configured_seconds(var_dir):
    """Their keys change with every recompute: Redis must let the old ones go."""
    assert load_settings(SECRET_KEY="k", VAR_DIR=str(var_dir))["SHARED_CACHE_TIMEOUT"] == 600
    s = load_settings(SECRET_KEY="k", VAR_DIR=str(var_dir), SHARED_CACHE_SECONDS="120")
    assert s["SHARED_CACHE_TIMEOUT"] == 120
    error = settings_error(SECRET_KEY="k", VAR_DIR=str(var_dir), SHARED_CACHE_SECONDS="0")
    assert "SHARED_CACHE_SECONDS=0 must be at least 1" in error


def test_sessions_are_read_from_redis_only_when_it_is_set(var_dir):
    """A store of each process's own would keep a session one process ended alive in the
    others: sessions stay in the database alone without CACHE_URL."""
    alone = load_settings(SECRET_KEY="k", VAR_DIR=str(var_dir))
    assert alone["SHARED_VALUES"] is False
    assert alone["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    s = load_settings(SECRET_KEY="k", VAR_DIR=str(var_dir), CACHE_URL="redis://127.0.0.1:6379/5")
    assert s["SHARED_VALUES"] is True
    assert (s["SESSION_ENGINE"], s["SESSION_CACHE_ALIAS"]) == ("web.sessions", "shared")


@pytest.mark.parametrize("value", ["1", "TRUE", "Yes", "on", " true "])
def test_documented_spellings_of_on(var_dir, value):
    assert load_settings(DEBUG=value, VAR_DIR=str(var_dir))["DEBUG"] is True


@pytest.mark.parametrize("value", ["0", "FALSE", "No", "OFF"])
def test_documented_spellings_of_off(var_dir, value):
    s = load_settings(SECRET_KEY="k", VAR_DIR=str(var_dir), SECURE_SSL_REDIRECT=value)
    assert s["SECURE_SSL_REDIRECT"] is False


@pytest.mark.parametrize("value", ["flase", "ture", "y", "2", "enabled", "off!"])
def test_a_boolean_typo_stops_start_up(var_dir, value):
    # Before, any of these silently meant False: a typo turned HTTPS redirects off.
    error = settings_error(SECRET_KEY="k", VAR_DIR=str(var_dir), SECURE_SSL_REDIRECT=value)

    assert "ImproperlyConfigured" in error
    assert f"SECURE_SSL_REDIRECT={value!r} is not a boolean" in error
    assert "1/true/yes/on or 0/false/no/off" in error


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("SESSION_IDLE_SECONDS", "30min", "a whole number"),
        ("DB_CONN_MAX_AGE", "1.5", "a whole number"),
        ("MAJOR_PROJECT_MIN_INVESTMENT", "5千", "a decimal number"),
        ("REWARD_MIN_INVESTMENT", "NaN", "a decimal number"),
    ],
)
def test_a_number_that_is_not_one_stops_start_up(var_dir, name, value, kind):
    error = settings_error(SECRET_KEY="k", VAR_DIR=str(var_dir), **{name: value})

    assert "ImproperlyConfigured" in error
    assert f"{name}={value!r} is not {kind}" in error
    assert "ValueError" not in error and "InvalidOperation" not in error


def test_blank_numbers_and_booleans_mean_the_default(var_dir):
    s = load_settings(
        SECRET_KEY="k", VAR_DIR=str(var_dir), SESSION_IDLE_SECONDS=" ", SECURE_SSL_REDIRECT=""
    )

    assert s["SESSION_COOKIE_AGE"] == 30 * 60
    assert s["SECURE_SSL_REDIRECT"] is True
