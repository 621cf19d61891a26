"""The performance bench: plain functions the `bench` and `loadtest` commands call.

- `generate`: a large competition written straight into the database with bulk_create
  (no history rows, no signals: bench data is throw-away);
- `measure`: server time and query counts of pages, recompute and import, each beside the
  floor it is measured against in the same run;
- `loadtest`: liaisons writing through the real forms while leaders read the league, over
  HTTP against gunicorn and a real Celery worker.
"""
