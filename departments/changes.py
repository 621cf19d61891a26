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

`touch` gives departments a new `records_version` once the writer's transaction commits:
pages that show a department's records (the liaison's home) keep what they computed
under that token. `announce` does it for the departments it names, with the
announcement; a write that moves no figure but changes what those pages show (a project
renamed) calls `touch` itself, and a bulk writer (ledger import, demo, bench data) has
competition.services.records_changed touch every department it wrote.

After the commit, not inside it: a reader that read the old token and then the new
records keeps them under a token nobody asks for once the new one is written, so nothing
stale is served; inside the writer's transaction the UPDATE would hold the departments'
rows to its end, and two writers naming two departments in turn could deadlock. (A
process killed between the commit and the token leaves a page that shows the old records
until its cache entry expires: competition.home.LIAISON_HOME_SECONDS.)
"""

import secrets
from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.dispatch import Signal

from departments.models import Department

records_changed = Signal()  # kwargs: department_ids: frozenset[int], dates: tuple | None


def announce(*, department_ids: Iterable[int | None], dates: Iterable[date | None] | None) -> None:
    """Once the current transaction commits (at once outside one), give the departments
    a new records version and send `records_changed`, together in one transaction.

    A None among `dates` (a record without a stored date) means "not tied to a date".
    """
    ids = frozenset(pk for pk in department_ids if pk is not None)
    known = None if dates is None else tuple(dates)
    if known is not None and (not known or any(d is None for d in known)):
        known = None

    def follow():
        with transaction.atomic():  # the new token and the league's marker: one commit
            _new_version(ids)
            records_changed.send(sender=None, department_ids=ids, dates=known)

    transaction.on_commit(follow)


def touch(department_ids: Iterable[int] | None) -> None:
    """A new `records_version` for `department_ids` (None: every department) once the
    current transaction commits (at once outside one)."""
    ids = None if department_ids is None else frozenset(department_ids)
    transaction.on_commit(lambda: _new_version(ids))


def records_versions(department_ids: Iterable[int] | None = None) -> list[tuple[int, int]]:
    """(id, records_version) of each department of `department_ids` (None: every one), by
    id: one query of one row per department. What a page showing their records and
    projects keys its cache on without reading them."""
    departments = Department.objects.order_by("pk")
    if department_ids is not None:
        departments = departments.filter(pk__in=list(department_ids))
    return list(departments.values_list("pk", "records_version"))


def _new_version(ids: frozenset[int] | None) -> None:
    """One UPDATE. A random token, not a count: a whole-row save of a department loaded
    earlier (the admin's) puts back an older value, which a count would reach again later
    with other records behind it; a random token is not used twice."""
    departments = Department.objects.all()
    if ids is not None:
        if not ids:
            return
        departments = departments.filter(pk__in=ids)
    departments.update(records_version=secrets.randbits(62))
