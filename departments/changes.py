"""The one hook through which data entry announces a change that can move a figure.

Every service that writes a counted record (a visit, a milestone, a receipt, a project's
department or loss) or a department (its name, group or display order) calls `announce`
inside its transaction. After the transaction commits, `records_changed` is sent once per
call with what changed:

- `department_ids`: the departments whose figures may have moved (a set of ids; an edit
  that moves a record between departments names both);
- `dates`: the dates of the changed records, before and after an edit (a list), or
  None when the change is not tied to a date (a department renamed or regrouped, a
  project moved between departments): every date of every competition may move.

The competition app subscribes at start-up (CompetitionConfig.ready) and marks the
competitions that contain those dates stale; it recomputes their snapshots in the
background. Data entry knows nothing of scores: this signal is the whole interface. It is
a custom signal sent explicitly by the services, never a model signal: a save() or a
delete() outside a service announces nothing.
"""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.dispatch import Signal

records_changed = Signal()  # kwargs: department_ids: frozenset[int], dates: tuple | None


def announce(*, department_ids: Iterable[int | None], dates: Iterable[date | None] | None) -> None:
    """Send `records_changed` once the current transaction commits (at once outside one).

    A None among `dates` (a record without a stored date) means "not tied to a date".
    """
    ids = frozenset(pk for pk in department_ids if pk is not None)
    known = None if dates is None else tuple(dates)
    if known is not None and (not known or any(d is None for d in known)):
        known = None
    transaction.on_commit(
        lambda: records_changed.send(sender=None, department_ids=ids, dates=known)
    )
