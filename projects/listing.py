"""What a list page's drawn part (its filter form, totals and table) is kept under.

The projects and visits lists draw their filter form, their totals and one page of their
table inside one `{% cache %}` block on the "pages" alias, under `list_page_key`: the key
names what those parts are drawn from without reading the rows. It names the
`records_version` of every department whose rows the user may read: every service that
writes a project, a milestone, a receipt, a visit or a department gives the departments it
touches a new one, after its commit (departments.changes). A hit therefore skips the
filter set, the table, the page's rows, their count and the totals: 7.9 → 3.7 ms of CPU
for a liaison's projects list, 8.2 → 3.7 for the visits list (1 worker × 1 thread,
load-test data at scale 0.5; the password form: 3.45). The key is read before the rows, so a
page drawn from rows written after the key was read is kept under a key nobody asks for
once the new version is written: nothing stale is served.

What the token does not see is named in the key too: the user's scope (their roles), the
query string, the language (in the template) and the day; the department groups where the
page offers them as a filter; and for a page that names people (who logged a visit), the
latest change to any Person (their history). A write by hand that goes round the services
(a queryset update in a shell) shows after LIST_PAGE_SECONDS at the latest.
"""

import hashlib

from django.db.models import Max
from django.utils import timezone

from departments.changes import records_versions
from departments.models import DepartmentGroup, Person
from departments.roles import Roles
from projects.filters import reads_one_department

LIST_PAGE_SECONDS = 15 * 60


def list_page_key(request, roles: Roles, *, page: str, names_people: bool = False) -> str:
    """The key of the drawn part of list `page` for this request (see the module).

    One query for a liaison of one department (the versions), two for a user offered the
    department and group filters, one more when `names_people`.
    """
    versions = records_versions(None if roles.can_read_all else roles.liaison_department_ids)
    parts = [
        page,
        timezone.localdate(),
        (roles.is_office, roles.is_leader, sorted(roles.liaison_department_ids)),
        sorted(request.GET.lists()),
        versions,
    ]
    if not reads_one_department(roles):
        parts.append(
            list(DepartmentGroup.objects.order_by("pk").values_list("pk", "name", "order"))
        )
    if names_people:
        parts.append(Person.history.aggregate(latest=Max("history_id"))["latest"])
    return f"list:{page}:" + hashlib.sha256(repr(parts).encode()).hexdigest()
