"""On PostgreSQL, parameters are sent apart from the statement and a statement run often
on a connection is prepared there once (config/settings.py: DB_SERVER_SIDE_BINDING,
DB_PREPARED_STATEMENTS): PostgreSQL parses and plans it once, and psycopg composes no
literal SQL in Python. CI runs this file on PostgreSQL in its second pass."""

import pytest
from django.db import connection

from departments.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (CI runs this file on it)")


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_run_five_times_is_prepared_with_its_parameters_apart(commerce):
    def names():
        return list(Department.objects.filter(pk=commerce.pk).values_list("name", flat=True))

    for _ in range(4):
        assert names() == [commerce.name]
    assert not [s for s in _prepared() if '"departments_department"."name"' in s]
    for _ in range(2):
        assert names() == [commerce.name]
    (statement,) = [s for s in _prepared() if '"departments_department"."name"' in s]
    assert '"id" = $1' in statement and f'"id" = {commerce.pk}' not in statement
