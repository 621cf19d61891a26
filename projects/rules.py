"""The stage rule, written once: pure functions over stages and dates (no models, no queries).

A project's stages are ordered lead → intent → signed → funds received → groundbreaking;
a milestone records the date of one stage, and every receipt is a record of "funds
received" (the first one reaches it). Here a project's records are plain data:
`{stage: [dates]}`, receipts under `Stage.FUNDED`.

- Which records count: a status among those counted (returned ones never do), dated no
  later than the project's loss and, for a league, than the day it is computed for.
- The date a project reached a stage: the earliest counted record of that stage or of
  any later stage (a project signed without a recorded intent reached intent when it
  signed). The stage reached is the highest one with a counted record.
- Stage dates never go backwards along the stage order; every tranche comes after the
  stages before "funds received", and nothing is recorded after the loss.

Who uses it: projects.validation (forms, admin, services, on the stored records),
projects.progress and competition.scoring (which compute the same in SQL for speed;
tests/test_stage_rule.py holds them to these functions), the ledger import's plan.
"""

from collections.abc import Collection, Iterable, Mapping
from datetime import date

from projects.choices import Stage

DatesByStage = Mapping[int, Iterable[date]]


def after_loss(day: date, *, lost_on: date | None) -> bool:
    """Whether a record dated `day` comes after the project's loss (and so never counts)."""
    return lost_on is not None and day > lost_on


def counted_dates(
    records: Iterable[tuple[int, date, str]],
    *,
    statuses: Collection[str],
    lost_on: date | None,
    up_to: date | None = None,
) -> dict[int, list[date]]:
    """The dates of the counted records among `records` ((stage, date, status)), by stage.

    A record counts when its status is in `statuses`, it is dated no later than the loss
    (`lost_on`) and no later than `up_to` when given.
    """
    counted: dict[int, list[date]] = {}
    for stage, day, status in records:
        if status in statuses and not after_loss(day, lost_on=lost_on):
            if up_to is None or day <= up_to:
                counted.setdefault(stage, []).append(day)
    return counted


def reached_dates(dates_by_stage: DatesByStage) -> dict[int, date]:
    """The date the project reached each stage: the earliest among its records of that
    stage or any later stage. Stages it has not reached are left out."""
    reached: dict[int, date] = {}
    running: date | None = None
    for stage in sorted(Stage, reverse=True):  # a suffix minimum along the stage order
        earliest = min(dates_by_stage.get(stage, ()), default=None)
        if earliest is not None and (running is None or earliest < running):
            running = earliest
        if running is not None:
            reached[stage] = running
    return reached


def progress(dates_by_stage: DatesByStage) -> tuple[int | None, date | None]:
    """(stage reached, date of the latest record): the highest stage with a record, or
    None when there is none, and the latest date among all the records."""
    reached = reached_dates(dates_by_stage)
    latest = max((d for dates in dates_by_stage.values() for d in dates), default=None)
    return max(reached, default=None), latest


def recorded_dates(dates_by_stage: DatesByStage) -> dict[int, date]:
    """The date recorded for each stage: its milestone's, and the first receipt's for
    "funds received"; the dates the order rule compares."""
    recorded: dict[int, date] = {}
    for stage, dates in dates_by_stage.items():
        earliest = min(dates, default=None)
        if earliest is not None:
            recorded[stage] = earliest
    return recorded


def backward_pairs(dates: Mapping[int, date]) -> list[tuple[int, int]]:
    """Every (earlier_stage, later_stage) of neighbouring recorded stages whose dates go
    backwards, in stage order."""
    # Neighbours in order suffice: non-decreasing neighbours make every pair non-decreasing.
    stages = sorted(dates)
    return [(a, b) for a, b in zip(stages, stages[1:], strict=False) if dates[b] < dates[a]]


def first_backward_pair(dates: Mapping[int, date]) -> tuple[int, int] | None:
    """Return (earlier_stage, later_stage) of the first pair whose dates go backwards."""
    pairs = backward_pairs(dates)
    return pairs[0] if pairs else None


def stages_after_tranche(dates: Mapping[int, date], *, tranche: date) -> list[int]:
    """The stages before "funds received" recorded after `tranche`, in stage order: every
    tranche (not only the first) comes after them."""
    return [s for s in sorted(dates) if s < Stage.FUNDED and tranche < dates[s]]
