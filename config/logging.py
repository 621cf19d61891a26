"""Log lines as JSON objects (LOG_FORMAT=json), for log collectors; plain text otherwise.

One object per line: time (ISO 8601 with offset), level, logger, message, and, when there
is one, the exception's traceback. gunicorn's access lines carry their fields (status,
method, path, duration) as keys of their own. Anything passed through `extra=` that is a
plain value (str, int, float, bool, None) is kept too.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has: not "extra" fields.
_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)
# gunicorn's access atoms worth a key of their own (see gunicorn.glogging.Logger.atoms).
_ACCESS_ATOMS = {
    "h": "remote",
    "m": "method",
    "U": "path",
    "q": "query",
    "s": "status",
    "B": "bytes",
    "M": "duration_ms",
    "a": "user_agent",
}
_PLAIN = (str, int, float, bool, type(None))


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).astimezone().isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            for atom, key in _ACCESS_ATOMS.items():
                value = record.args.get(atom)
                if value not in (None, "-"):
                    entry[key] = (
                        _number(value) if key in ("status", "bytes", "duration_ms") else value
                    )
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in entry and isinstance(value, _PLAIN):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def formatter_config(log_format: str) -> dict:
    """The `formatters` entry of a dictConfig for LOG_FORMAT ("json" or anything else)."""
    if log_format.strip().lower() == "json":
        return {"()": "config.logging.JsonFormatter"}
    return {"format": PLAIN_FORMAT}


def gunicorn_logconfig(*, level: str = "INFO") -> dict:
    """gunicorn's logconfig_dict: its error and access logs as JSON lines on stdout/stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
        "handlers": {
            "error": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"handlers": ["error"], "level": level},
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
