"""Reading never writes (issue 16): every page a role can GET, and the league pages for
any date, leave every table as it was (league snapshots in particular).

The pages are those of tests/test_permissions.py's table, requested by each persona
about records of its own department and of another; then the league, dashboard, explain
and counted-records pages and the league exports for dates far before, inside and far
after the competition's window. Only the session table may change (every request extends
the session: SESSION_SAVE_EVERY_REQUEST).
"""

import pytest
from django.db import connection
from django.urls import reverse

from competition.models import Snapshot
from tests.test_permissions import (  # noqa: F401  (fixtures, used by name)
    ROLES,
    TABLE,
    _card,
    _fast_and_fixed,
    _records,
    _request,
    _site,
    nobody,
)

# Tables a GET may change: the session (its expiry moves with every request).
MAY_CHANGE = {"django_session"}

DATES = ["0001-01-01", "1999-12-31", "2000-01-01", "2026-02-01", "2026-04-15", "2026-06-08"]
DATES += ["2026-06-30", "2026-07-01", "2099-12-31", "9999-12-31", "not-a-date"]


def database_contents() -> dict[str, list[tuple]]:
    """Every row of every table but those in MAY_CHANGE, in a stable order."""
    contents = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in MAY_CHANGE:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            contents[table] = sorted(cursor.fetchall(), key=repr)
    return contents


def _pages(objects_by_side):
    """Every GET of the permissions table, for records of either side."""
    for name, method, about, _own, other in TABLE:
        if method != "GET":
            continue
        for side in ("own", "other") if other is not None else ("own",):
            url, _data = _request(name, method, about, objects_by_side[side])
            yield url, {}


def _dated_pages(objects):
    competition, department = objects["competition"], objects["department"]
    for day in DATES:
        params = {"competition": competition.pk, "as_of": day}
        yield reverse("league"), params
        yield reverse("league"), params | {"_export": "csv"}
        yield reverse("league"), params | {"_export": "xlsx"}
        yield reverse("dashboard"), params
        yield reverse("honours"), params
        yield reverse("honour_basics", args=[competition.pk, department.pk]), params
        yield reverse("league_explain", args=[competition.pk, department.pk]), params
        for metric in ("visit_batches", "signed_projects", "funds_amount"):
            args = [competition.pk, department.pk, metric]
            yield reverse("league_records", args=args), params


@pytest.mark.parametrize("role", ROLES)
def test_no_page_a_role_reads_changes_the_database(request, client, commerce, finance, role):
    site = _site(commerce, finance)
    objects = {"own": site | _records(commerce), "other": site | _records(finance)}
    for side in objects.values():
        side |= _card(side)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    before = database_contents()
    assert before["competition_snapshot"] == []  # nothing stored yet: any row is a write

    answered = []
    for url, params in [*_pages(objects), *_dated_pages(objects["own"])]:
        response = client.get(url, params)
        answered.append(response.status_code)
        assert response.status_code < 500, (url, params)

    after = database_contents()
    changed = [table for table in before if before[table] != after[table]]
    assert changed == [], f"reading changed {changed}"
    assert not Snapshot.objects.exists()
    assert 200 in answered or role in ("anonymous", "nobody")
