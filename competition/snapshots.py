"""Stored league results: one row per (competition, as-of date, department)."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from competition.league_rows import plain_decimal
from competition.models import Competition, Snapshot
from competition.scoring import League, compute_league


def _jsonable(values: dict) -> dict:
    """Decimals as canonical strings ('3250.5' whatever the database returned)."""
    return {k: (None if v is None else plain_decimal(v)) for k, v in values.items()}


@transaction.atomic
def store_league(league: League) -> list[Snapshot]:
    """Replace the snapshot of `league`'s date with `league`, all or nothing."""
    competition = league.competition
    # Lock the competition row so two recomputes of one competition never interleave.
    Competition.objects.select_for_update().filter(pk=competition.pk).first()
    Snapshot.objects.filter(competition=competition, as_of=league.as_of).delete()
    fraction = Decimal(league.window.elapsed) / Decimal(league.window.days)
    rows = [
        Snapshot(
            competition=competition,
            as_of=league.as_of,
            department_id=r.department_id,
            department_name=r.department_name,
            group_id=r.group_id,
            group_name=r.group_name,
            elapsed_days=league.window.elapsed,
            fraction=fraction.quantize(Decimal("0.0000000001")),
            actuals=_jsonable(r.actuals),
            targets=_jsonable(r.targets),
            ratios=_jsonable(r.ratios),
            score=r.score,
            yellow_card=r.yellow_card,
            zero_result=r.zero_result,
            rank=r.rank,
            group_rank=r.group_rank,
        )
        for r in league.rows
    ]
    return Snapshot.objects.bulk_create(rows)


def recompute_snapshots(competition: Competition, *, as_of: date) -> League:
    """Compute the league as of `as_of` and store it as that date's snapshot (idempotent)."""
    league = compute_league(competition, as_of=as_of)
    store_league(league)
    return league
