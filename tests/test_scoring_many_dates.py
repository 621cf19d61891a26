"""Project figures in one statement, and many dates' leagues from one pass over the records.

Both are checked against the project-by-project reference of the rule
(`stage_dates_by_project`, and `compute_league` one date at a time) on random records
that the forms would refuse: stages out of order, records after a project's loss,
pending and returned ones, receipts on both sides of the window's start.

The competition runs 2026-01-01..2026-01-10 (10 days); records fall 2025-12-24..2026-01-15.
"""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competition.league import recompute, snapshots
from competition.league.snapshots import recompute_dates, recompute_snapshots, store_leagues
from competition.models import Competition, Quota, Snapshot
from competition.scoring.rule import (
    STAGE_METRIC,
    _before_loss,
    compute_league,
    compute_leagues,
    project_figures,
    stage_dates_by_project,
)
from departments.models import Department
from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage, Visit
from tests.conftest import make_visit

START, END = date(2026, 1, 1), date(2026, 1, 10)

# --- random records ------------------------------------------------------------------------

OFFSETS = st.integers(-8, 14)  # days from START
STATUSES = st.sampled_from([ReviewStatus.VERIFIED, ReviewStatus.PENDING, ReviewStatus.RETURNED])
PROJECTS = st.lists(
    st.fixed_dictionaries(
        {
            "department": st.integers(0, 2),
            "lost": st.none() | OFFSETS,
            # Any subset of stages, any dates: out of order on purpose.
            "milestones": st.dictionaries(
                st.sampled_from([Stage.LEAD, Stage.INTENT, Stage.SIGNED, Stage.GROUNDBREAKING]),
                st.tuples(OFFSETS, STATUSES),
                max_size=4,
            ),
            "receipts": st.lists(st.tuples(OFFSETS, STATUSES, st.integers(1, 900)), max_size=3),
        }
    ),
    max_size=8,
)
VISITS = st.lists(st.tuples(st.integers(0, 2), OFFSETS, st.integers(1, 9)), max_size=6)

HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def day(offset: int) -> date:
    return START + timedelta(days=offset)


@pytest.fixture
def departments(db):
    return [Department.objects.create(name=f"部门{i}", order=i) for i in range(3)]


def write_records(departments, projects, visits) -> None:
    """Straight into the tables (bulk_create: no validation, no signals)."""
    made = Project.objects.bulk_create(
        Project(
            code=f"R{i}",
            name=f"项目{i}",
            investor="某投资方",
            department=departments[spec["department"]],
            lost_on=None if spec["lost"] is None else day(spec["lost"]),
            lost_reason="" if spec["lost"] is None else "流失",
        )
        for i, spec in enumerate(projects)
    )
    Milestone.objects.bulk_create(
        Milestone(project=project, stage=stage, occurred_on=day(on), status=status)
        for project, spec in zip(made, projects, strict=True)
        for stage, (on, status) in spec["milestones"].items()
    )
    Receipt.objects.bulk_create(
        Receipt(project=project, occurred_on=day(on), status=status, amount=Decimal(amount))
        for project, spec in zip(made, projects, strict=True)
        for on, status, amount in spec["receipts"]
    )
    Visit.objects.bulk_create(
        Visit(department=departments[d], occurred_on=day(on), persons=persons, investor_org="客商")
        for d, on, persons in visits
    )


def reference_figures(*, statuses, department_ids, start, end, by_date) -> Counter:
    """The rule project by project: DOMAIN.md's reached dates counted in [start, end], and
    the counted receipts dated in it summed, per department (and day)."""
    figures: Counter = Counter()
    reached = stage_dates_by_project(statuses=statuses, department_ids=department_ids, up_to=end)
    for department_id, dates in reached.values():
        for stage, when in dates.items():
            if start <= when <= end:
                figures[(department_id, STAGE_METRIC[stage], when if by_date else None)] += 1
    receipts = Receipt.objects.filter(
        _before_loss(),
        status__in=statuses,
        project__department_id__in=department_ids,
        occurred_on__gte=start,
        occurred_on__lte=end,
    ).values_list("project__department_id", "occurred_on", "amount")
    for department_id, on, amount in receipts:
        figures[(department_id, "funds_amount", on if by_date else None)] += amount
    return figures


@HYPOTHESIS
@given(
    projects=PROJECTS,
    pending=st.booleans(),
    start=OFFSETS,
    length=st.integers(0, 12),
    by_date=st.booleans(),
    with_department=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_project_figures_in_one_statement_equal_the_reference(
    departments, projects, pending, start, length, by_date, with_department
):
    with transaction.atomic():
        write_records(departments, projects, [])
        statuses = [ReviewStatus.VERIFIED, ReviewStatus.PENDING] if pending else ["verified"]
        ids = [d.id for d, taken in zip(departments, with_department, strict=True) if taken]
        window = {"start": day(start), "end": day(start + length)}
        with CaptureQueriesContext(connection) as queries:
            rows = project_figures(statuses=statuses, department_ids=ids, by_date=by_date, **window)
        assert len(queries) == (1 if ids else 0)
        got = Counter({(d, metric, on): value for d, metric, on, value in rows})
        assert len(got) == len(rows)  # one row per department, figure (and day)
        assert got == reference_figures(
            statuses=statuses, department_ids=ids, by_date=by_date, **window
        )
        transaction.set_rollback(True)


@HYPOTHESIS
@given(projects=PROJECTS, visits=VISITS, pending=st.booleans(), quotas=st.integers(1, 3))
def test_leagues_of_every_date_from_one_pass_equal_compute_league(
    departments, projects, visits, pending, quotas
):
    """Every date from before the start to after the end, each as compute_league has it."""
    with transaction.atomic():
        comp = Competition.objects.create(
            name="百日竞赛", start_date=START, end_date=END, count_pending=pending
        )
        for d in departments[:quotas]:  # a department without a quota is not listed
            Quota.objects.create(
                competition=comp,
                department=d,
                visit_batches=2,
                intent_projects=2,
                signed_projects=1,
                funded_projects=1,
                funds_amount=300,
                groundbreaking_projects=1,
            )
        write_records(departments, projects, visits)
        dates = [day(n) for n in range(-3, 14)]
        with CaptureQueriesContext(connection) as queries:
            leagues = compute_leagues(comp, dates)
        # quotas, weights, visits by day, project figures by day
        assert len(queries) == 4
        assert leagues == [compute_league(comp, as_of=d) for d in dates]
        transaction.set_rollback(True)


# --- fixed examples ------------------------------------------------------------------------


@pytest.fixture
def comp(departments):
    comp = Competition.objects.create(name="百日竞赛", start_date=START, end_date=END)
    for d in departments:
        Quota.objects.create(competition=comp, department=d, signed_projects=1, visit_batches=2)
    Competition.objects.update(stale_from=None, stale_since=None)
    return comp


@pytest.fixture
def records(departments):
    write_records(
        departments,
        [
            {
                "department": 0,
                "lost": 6,
                "milestones": {
                    Stage.SIGNED: (2, "verified"),
                    Stage.GROUNDBREAKING: (8, "verified"),
                },
                "receipts": [(-3, "verified", 50), (4, "verified", 70), (7, "verified", 9)],
            },
            {
                "department": 1,
                "lost": None,
                "milestones": {Stage.INTENT: (5, "pending"), Stage.SIGNED: (9, "verified")},
                "receipts": [],
            },
        ],
        [(0, 1, 3), (2, 3, 4), (2, 12, 5)],
    )


def test_the_project_figures_by_hand(comp, departments, records):
    """Project R0 (lost on day 6): signed day 2, funds day -3 → intent and signed day -3,
    funded day -3 (before the window), groundbreaking day 8 is after its loss; funds 70 on
    day 4 (day -3 is before the window, day 7 after the loss). R1: intent pending (not
    counted), signed day 9 → intent and signed day 9."""
    ids = [d.id for d in departments]
    rows = project_figures(statuses=["verified"], department_ids=ids, start=START, end=END)
    assert sorted(rows) == [
        (ids[0], "funds_amount", None, Decimal(70)),
        (ids[1], "intent_projects", None, 1),
        (ids[1], "signed_projects", None, 1),
    ]
    by_day = project_figures(
        statuses=["verified"], department_ids=ids, start=START, end=END, by_date=True
    )
    assert sorted(by_day) == [
        (ids[0], "funds_amount", day(4), Decimal(70)),
        (ids[1], "intent_projects", day(9), 1),
        (ids[1], "signed_projects", day(9), 1),
    ]
    league = compute_league(comp, as_of=END)
    funds = {r.department_id: r.actuals["funds_amount"] for r in league.rows}
    assert funds == {ids[0]: Decimal(70), ids[1]: 0, ids[2]: 0}


def test_compute_leagues_keeps_the_order_and_repeats_of_dates(comp, records):
    dates = [day(9), day(-1), day(9), day(30)]
    leagues = compute_leagues(comp, dates)
    assert [lg.as_of for lg in leagues] == dates
    assert leagues == [compute_league(comp, as_of=d) for d in dates]


def test_dates_past_the_end_share_one_window_and_sum_per_department(comp, records):
    """All windows ending on one day: the records are summed per department, not by day."""
    with CaptureQueriesContext(connection) as queries:
        compute_leagues(comp, [day(20), day(40)])
    assert "GROUP BY department_id, reached_" not in queries[-1]["sql"]


def test_nothing_started_reads_no_records(comp, records):
    with CaptureQueriesContext(connection) as queries:
        leagues = compute_leagues(comp, [day(-5), day(-1)])
    assert len(queries) == 2  # quotas, weights
    assert all(not r.scored for lg in leagues for r in lg.rows)


# --- storing many dates --------------------------------------------------------------------


def stored(comp) -> list[tuple]:
    return list(
        Snapshot.objects.filter(competition=comp)
        .order_by("as_of", "department_id")
        .values_list("as_of", "department_id", "actuals", "ratios", "score", "rank", "yellow_card")
    )


def test_recompute_dates_stores_what_each_date_alone_stores(comp, records):
    dates = [day(n) for n in range(0, 12)]
    for d in dates:
        recompute_snapshots(comp, as_of=d)
    one_by_one = stored(comp)
    Snapshot.objects.all().delete()
    recompute_dates(comp, dates=dates)
    assert stored(comp) == one_by_one
    recompute_dates(comp, dates=dates)  # idempotent: replaces, never duplicates
    assert stored(comp) == one_by_one


def test_store_leagues_replaces_all_dates_or_none(comp, records, monkeypatch):
    recompute_dates(comp, dates=[day(2), day(5)])
    before = stored(comp)
    Visit.objects.all().delete()  # the figures will change
    leagues = compute_leagues(comp, [day(2), day(5), day(7)])

    def broken(rows):
        Snapshot.objects.bulk_create(Snapshot(**row) for row in rows[:3])  # some rows written
        raise RuntimeError("disk full")

    monkeypatch.setattr(snapshots, "_insert", broken)
    with pytest.raises(RuntimeError):
        store_leagues(comp, leagues)
    assert stored(comp) == before  # the delete was rolled back with the failed insert


def test_store_leagues_refuses_two_leagues_of_one_date(comp):
    league = compute_league(comp, as_of=day(3))
    with pytest.raises(ValueError, match="one league per date"):
        store_leagues(comp, [league, league])


def test_run_recompute_of_many_dates_is_one_pass(comp, records, departments, time_machine):
    """A back-dated change covering every stored date: the same queries for 3 or 12 dates."""
    time_machine.move_to("2026-01-12 12:00 +08:00")

    def run(dates):
        recompute_dates(comp, dates=dates)
        # A verified visit on the first day: every date's figures change.
        make_visit(departments[0], START, persons=1)
        Competition.objects.filter(pk=comp.pk).update(stale_from=START, stale_since=None)
        with CaptureQueriesContext(connection) as queries:
            done = recompute.run_recompute(comp.id)
        # Every day of the window from the marker (the start), and whichever were stored;
        # nothing for today, after the end.
        assert done == (sorted({*dates, *(day(n) for n in range(0, 10))}), False)
        return len(queries)

    # marker, competition, stored dates, compute_leagues (4), store (savepoint, lock,
    # the stored rows, delete, insert, release: 6), marker cleared = 14
    assert run([day(1), day(4), day(7)]) == run([day(n) for n in range(0, 10)]) == 14


def test_a_recompute_that_changes_nothing_keeps_the_rows_and_their_version(
    comp, records, departments
):
    """Only the dates whose figures changed get new rows (and so a new version, what the
    pages' cached fragments are keyed on); the others keep theirs."""
    recompute_dates(comp, dates=[day(n) for n in range(0, 10)])
    ids = dict(Snapshot.objects.values_list("id", "as_of"))
    recompute_dates(comp, dates=[day(n) for n in range(0, 10)])
    assert dict(Snapshot.objects.values_list("id", "as_of")) == ids

    Receipt.objects.filter(occurred_on=day(4)).update(amount=Decimal(71))  # from day 4 on
    recompute_dates(comp, dates=[day(n) for n in range(0, 10)])
    kept = {d for i, d in Snapshot.objects.values_list("id", "as_of") if i in ids}
    assert kept == {day(n) for n in range(0, 4)}
    funds = Snapshot.objects.get(as_of=day(5), department=departments[0]).actuals
    assert funds["funds_amount"] == "71"
    comp.refresh_from_db()
    assert comp.stale_from is None


def test_change_during_a_many_dates_recompute_asks_for_another_run(comp, records, monkeypatch):
    """As for one date (tests/test_recompute.py): the marker stays, another run is due."""
    recompute_dates(comp, dates=[day(2), day(5)])
    recompute.mark_competition_stale(comp.id, day(1))
    real = recompute.recompute_dates

    def edit_meanwhile(competition, *, dates):
        recompute.mark_competition_stale(competition.id, day(3))
        return real(competition, dates=dates)

    monkeypatch.setattr(recompute, "recompute_dates", edit_meanwhile)
    done = recompute.run_recompute(comp.id, today=day(8))
    assert done == ([day(n) for n in range(1, 9)], True)  # the marker's day(1) to today
    comp.refresh_from_db()
    assert comp.stale_from is not None
    assert Snapshot.objects.filter(competition=comp).values("as_of").distinct().count() == 8
