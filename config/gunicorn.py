"""gunicorn settings, read from the environment: gunicorn -c config/gunicorn.py config.wsgi

GUNICORN_BIND           address to listen on (default 127.0.0.1:8000; a reverse proxy in front)
GUNICORN_WORKERS        worker processes (default 2 × cores + 1)
GUNICORN_THREADS        threads per worker (default 2: a page waiting on the database
                        lets another one render)
GUNICORN_TIMEOUT        seconds before a silent worker is killed and replaced (default 60;
                        PDFs and recomputes run in Celery, so no request should come close)
GUNICORN_MAX_REQUESTS   recycle a worker after this many requests (default 2000, jittered)

Access and error logs go to standard output/error, where systemd's journal or docker
collects them; with LOG_FORMAT=json the access log is one JSON object per line too.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 2)
worker_class = "gthread"
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max(1, max_requests // 10)
# Uploads (evidence up to EVIDENCE_MAX_BYTES) are spooled by Django, not held by gunicorn.
limit_request_line = 8190

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    # Access and error lines through config.logging's JSON formatter: one object a line,
    # the access fields (status, path, duration…) as keys of their own.
    from config.logging import gunicorn_logconfig

    logconfig_dict = gunicorn_logconfig(level=loglevel.upper())

# The application is loaded once in the master, then forked: faster starts, shared pages.
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
