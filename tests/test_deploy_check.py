"""Production settings pass Django's deployment checklist, and refuse to start unsafe.

Each case runs manage.py in a new process with a production-like environment: DEBUG
unset, a long random SECRET_KEY, a real host name, nothing inherited from the test run.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def production_env(tmp_path, **overrides: str) -> dict[str, str]:
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env = {
        **base,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "bairi.example.gov.cn",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
        **overrides,
    }
    return {key: value for key, value in env.items() if value is not None}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_finds_nothing(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    # Nothing found and nothing silenced: a silenced check would hide a real problem.
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_settings_refuse_to_load_without_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]

    result = run(["-c", "import config.settings"], env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_empty_secret_key_is_no_secret_key(tmp_path):
    result = run(["manage.py", "check"], production_env(tmp_path, SECRET_KEY="", DEBUG="0"))

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_wsgi_and_celery_apps_load_in_production(tmp_path):
    """What gunicorn (config.wsgi) and `celery -A config` import, with a broker set."""
    env = production_env(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    probe = (
        "from config.wsgi import application\n"
        "from config import celery_app\n"
        "print(celery_app.conf.broker_url, celery_app.conf.task_always_eager,"
        " celery_app.conf.beat_scheduler)\n"
    )

    result = run(["-c", probe], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "redis://127.0.0.1:6379/0",
        "False",
        "django_celery_beat.schedulers:DatabaseScheduler",
    ]
