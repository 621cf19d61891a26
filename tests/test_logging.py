"""LOG_FORMAT=json: one JSON object per log line, for the app and for gunicorn."""

import json
import logging
import logging.config
import os
import runpy
import subprocess
import sys
from pathlib import Path

from config.logging import JsonFormatter, formatter_config, gunicorn_logconfig

BASE_DIR = Path(__file__).resolve().parent.parent


def _record(msg="接待 %s 批", args=(3,), name="competition", level=logging.INFO, **extra):
    record = logging.LogRecord(name, level, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_one_json_object_per_line_with_level_logger_message_and_extras():
    line = JsonFormatter().format(_record(competition_id=7, skipped=object()))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "competition"
    assert entry["message"] == "接待 3 批"  # Chinese kept readable
    assert entry["competition_id"] == 7
    assert "skipped" not in entry  # only plain values are kept
    assert entry["time"][:4].isdigit() and entry["time"][-6] in "+-"


def test_exception_traceback_is_one_field():
    try:
        raise ValueError("bad ledger row")
    except ValueError:
        record = _record(msg="import failed", args=())
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: bad ledger row" in entry["exc_info"]


def test_gunicorn_access_fields_are_keys():
    atoms = {"h": "10.0.0.1", "m": "GET", "U": "/league/", "q": "as_of=2026-05-01", "s": "200"}
    atoms.update({"B": "5120", "M": "41", "a": 'Mozilla "quoted"'})
    record = _record(msg='%(h)s "%(m)s %(U)s" %(s)s', args=(), name="gunicorn.access")
    record.args = atoms
    entry = json.loads(JsonFormatter().format(record))
    assert entry["status"] == 200
    assert entry["duration_ms"] == 41
    assert entry["path"] == "/league/"
    assert entry["user_agent"] == 'Mozilla "quoted"'


def test_formatter_switch():
    assert formatter_config(" JSON ") == {"()": "config.logging.JsonFormatter"}
    assert "format" in formatter_config("")
    config = gunicorn_logconfig(level="WARNING")
    assert config["loggers"]["gunicorn.access"]["handlers"] == ["access"]


def test_settings_use_json_formatter_when_log_format_is_json():
    probe = (
        "from config import settings as s; import json; print(json.dumps(s.LOGGING['formatters']))"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DEBUG": "1",
        "LOG_FORMAT": "json",
        "VAR_DIR": str(BASE_DIR / "var"),
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"default": {"()": "config.logging.JsonFormatter"}}


def test_gunicorn_config_reads_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:8031")
    monkeypatch.setenv("LOG_FORMAT", "json")
    conf = runpy.run_path(str(BASE_DIR / "config" / "gunicorn.py"))
    assert conf["workers"] == 3
    assert conf["bind"] == "0.0.0.0:8031"
    assert conf["accesslog"] == "-"
    assert conf["logconfig_dict"]["formatters"]["json"]["()"] == "config.logging.JsonFormatter"
    monkeypatch.delenv("LOG_FORMAT")
    assert "logconfig_dict" not in runpy.run_path(str(BASE_DIR / "config" / "gunicorn.py"))
