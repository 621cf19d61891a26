"""Stored league results: one row per (competition, as-of date, department)."""

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from datetime import date
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone

from competition.league.rows import plain_decimal
from competition.models import Competition, Snapshot
from competition.scoring.rule import League, compute_league, compute_leagues

# The columns a snapshot is written with (all but the id), in the table's order.
FIELDS = [f for f in Snapshot._meta.concrete_fields if not f.primary_key]


class _Canonical(dict):
    """Decimal → canonical string ('3250.5' whatever the database returned), memoised:
    a whole window's snapshot repeats the same few thousand values many times."""

    def __missing__(self, value: Decimal) -> str:
        self[value] = text = plain_decimal(value)
        return text

    def of(self, values: dict) -> dict:
        return {k: (None if v is None else self[v]) for k, v in values.items()}


def _snapshot_values(league: League, canonical: _Canonical, now) -> list[dict]:
    """One dict of column values (by attribute name) per row of `league`."""
    window = league.window
    fraction = (Decimal(window.elapsed) / Decimal(window.days)).quantize(Decimal("1E-10"))
    return [
        {
            "competition_id": league.competition.pk,
            "as_of": league.as_of,
            "department_id": r.department_id,
            "department_name": r.department_name,
            "group_id": r.group_id,
            "group_name": r.group_name,
            "elapsed_days": window.elapsed,
            "fraction": fraction,
            "actuals": canonical.of(r.actuals),
            "targets": canonical.of(r.targets),
            "ratios": canonical.of(r.ratios),
            "score": r.score,
            "yellow_card": r.yellow_card,
            "zero_result": r.zero_result,
            "rank": r.rank,
            "group_rank": r.group_rank,
            "computed_at": now,
        }
        for r in league.rows
    ]


def _insert(rows: list[dict]) -> None:
    """Insert new snapshot rows: one COPY on PostgreSQL, bulk_create elsewhere.

    bulk_create passes each column as an array parameter, and psycopg escapes every JSON
    value of those arrays in Python: seconds for a whole window's 20,000 rows, where COPY
    takes a fraction of that. The COPY is logged as a query like any other.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        Snapshot.objects.bulk_create(Snapshot(**row) for row in rows)
        return
    from psycopg.types.json import Jsonb

    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(Snapshot._meta.db_table), ", ".join(quote(f.column) for f in FIELDS)
    )
    is_json = [isinstance(f, models.JSONField) for f in FIELDS]
    names = [f.attname for f in FIELDS]
    with connection.cursor() as cursor:
        logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()
        with logged, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(
                    [Jsonb(row[n]) if j else row[n] for n, j in zip(names, is_json, strict=True)]
                )


@transaction.atomic
def store_leagues(competition: Competition, leagues: Sequence[League]) -> None:
    """Store every league as its date's snapshot, all or nothing.

    One transaction: the dates whose figures changed are replaced (one DELETE, then their
    rows), so each date is either entirely the old snapshot or entirely the new one to
    any reader. A date whose stored rows already hold exactly these figures keeps its rows,
    and so its version (League.version, the highest row id): the pages' fragments cached
    under it stay valid (and the rows' computed_at, 计算时间 in the admin, stays the time
    these figures were first computed). While liaisons enter records the office has yet
    to verify, most recomputes change nothing, and the league page's drawn table (395 ms
    of CPU, bench database at scale 0.5) was drawn again after each of them, by every web
    process.
    """
    # Lock the competition row so two recomputes of one competition never interleave.
    Competition.objects.select_for_update().filter(pk=competition.pk).first()
    days = {league.as_of for league in leagues}
    if len(days) != len(leagues) or any(lg.competition.pk != competition.pk for lg in leagues):
        raise ValueError("store_leagues takes one league per date, all of `competition`")
    canonical, now = _Canonical(), timezone.now()
    rows = {league.as_of: _snapshot_values(league, canonical, now) for league in leagues}
    changed = _changed_dates(competition, rows)
    Snapshot.objects.filter(competition=competition, as_of__in=changed).delete()
    _insert([row for day in sorted(changed) for row in rows[day]])


# What a snapshot row says: every column but its id and the time it was computed.
COMPARED = [f.attname for f in FIELDS if f.attname != "computed_at"]


def _changed_dates(competition: Competition, rows: dict[date, list[dict]]) -> set[date]:
    """The dates of `rows` whose stored snapshot differs from them (or has none): one
    query. Decimals compare by value, the JSON figures as the canonical strings both are
    written with."""
    stored: dict[date, dict[int, dict]] = {day: {} for day in rows}
    for row in Snapshot.objects.filter(competition=competition, as_of__in=list(rows)).values(
        *COMPARED
    ):
        stored[row["as_of"]][row["department_id"]] = row
    return {
        day
        for day, new in rows.items()
        if stored[day] != {r["department_id"]: {c: r[c] for c in COMPARED} for r in new}
    }


def store_league(league: League) -> None:
    """Replace the snapshot of `league`'s date with `league`, all or nothing."""
    store_leagues(league.competition, [league])


def recompute_snapshots(competition: Competition, *, as_of: date) -> League:
    """Compute the league as of `as_of` and store it as that date's snapshot (idempotent)."""
    league = compute_league(competition, as_of=as_of)
    store_league(league)
    return league


def recompute_dates(competition: Competition, *, dates: Iterable[date]) -> list[League]:
    """Recompute and store the snapshots of many dates: one pass over the records, one
    transaction for all of them (idempotent). Each equals `recompute_snapshots` of it."""
    leagues = compute_leagues(competition, sorted(set(dates)))
    store_leagues(competition, leagues)
    return leagues
