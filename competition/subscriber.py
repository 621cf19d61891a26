"""Scoring listens to data entry through one hook: departments.changes.records_changed.

Connected in CompetitionConfig.ready(). Data entry knows nothing of scores: its services
announce which departments' records changed on which dates, after their commit, and this
receiver marks the competitions that can move stale and queues their recomputes.
"""

from competition import services


def on_records_changed(sender, *, department_ids, dates, **kwargs) -> None:
    """Receive `records_changed` (see departments/changes.py for its arguments)."""
    services.league_follows(department_ids=department_ids, dates=dates)
