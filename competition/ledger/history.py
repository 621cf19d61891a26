"""History rows of the records a ledger import writes in bulk, written by the database.

simple-history's bulk helpers build a historical instance per record in Python and insert
them with a second bulk_create: a third of an import's time (py-spy, `ledger_bench` of
20,000 projects: 10 s of 30). Here one INSERT … SELECT per batch copies the records just
inserted or updated into their historical table. The rows are the ones
`bulk_create_with_history` and `bulk_update_with_history` write: history_type "+" or "~",
the given date, user and change reason, and every tracked field as stored
(tests/test_ledger_history.py compares the two paths row by row). The columns come from
the historical model's _meta, so a field added to a model is copied with no change here.
Bulk writes send no signal per row either way (web.addresses.note_bulk_history).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from simple_history.utils import get_history_model_for_model

# The historical model's own columns: one value for the whole batch.
BATCH_VALUES = ("history_date", "history_change_reason", "history_type", "history_user_id")


def record_created(model: type[models.Model], ids: Sequence[int], **kwargs) -> None:
    """Write the "+" history row of each record of `model` in `ids`, just inserted.

    Keyword arguments: `user` (None: simple-history's default, the request's user if
    any), `reason` (history_change_reason) and `when` (history_date).
    """
    _record(model, ids, "+", **kwargs)


def record_changed(model: type[models.Model], ids: Sequence[int], **kwargs) -> None:
    """Write the "~" history row of each record of `model` in `ids`, just updated."""
    _record(model, ids, "~", **kwargs)


def _record(model, ids, history_type: str, *, user, reason: str, when: datetime) -> None:
    if not ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    if None in ids:
        raise ValueError("Records without ids: the database did not return them.")
    history_model = get_history_model_for_model(model)
    if user is None:
        user = history_model.get_default_history_user(model())
    values = {
        "history_date": when,
        "history_change_reason": reason,
        "history_type": history_type,
        "history_user_id": user.pk if user is not None else None,
    }
    sql, batch_fields = _insert_select(model, connection.vendor)
    params = [f.get_db_prep_save(values[f.attname], connection) for f in batch_fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql.format(ids="= ANY(%s)"), [*params, list(ids)])
            return
        size = connection.features.max_query_params - len(params)
        for start in range(0, len(ids), size):
            part = ids[start : start + size]
            cursor.execute(
                sql.format(ids=f"IN ({', '.join(['%s'] * len(part))})"), [*params, *part]
            )


@cache
def _insert_select(model, vendor: str) -> tuple[str, list[models.Field]]:
    """The INSERT … SELECT of `model`'s history rows, with `{ids}` for the id condition,
    and the historical fields whose values are parameters, in their order."""
    history_model = get_history_model_for_model(model)
    tracked = {f.attname: f for f in history_model.tracked_fields}
    quote = connection.ops.quote_name
    columns, selected, batch_fields = [], [], []
    for field in history_model._meta.concrete_fields:
        if field.primary_key:
            continue  # history_id: numbered by the database
        if field.attname in tracked:
            selected.append(quote(tracked[field.attname].column))
        elif field.attname in BATCH_VALUES:
            selected.append(_placeholder(field, vendor))
            batch_fields.append(field)
        else:
            raise ImproperlyConfigured(
                f"{history_model.__name__}.{field.name}: no value for it in a bulk history row"
            )
        columns.append(quote(field.column))
    sql = "INSERT INTO {} ({}) SELECT {} FROM {} WHERE {} {{ids}} ORDER BY {}".format(
        quote(history_model._meta.db_table),
        ", ".join(columns),
        ", ".join(selected),
        quote(model._meta.db_table),
        quote(model._meta.pk.column),
        quote(model._meta.pk.column),
    )
    return sql, batch_fields


def _placeholder(field: models.Field, vendor: str) -> str:
    # PostgreSQL types a bare parameter of a SELECT list as text, which an INSERT does
    # not assign to a timestamp or integer column; SQLite takes any value (and a CAST to
    # a date type there would make the value a number).
    if vendor == "postgresql":
        return f"CAST(%s AS {field.cast_db_type(connection)})"
    return "%s"
