"""The league read back from a snapshot is the league compute_league gives for that date."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competition.league.snapshots import recompute_snapshots
from competition.league.stored import league_to_show, stored_league
from competition.models import Competition, MetricWeight, Quota, Snapshot
from competition.scoring import compute_league
from departments.models import Department
from projects.models import Stage
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

AS_OF = date(2026, 1, 20)  # day 20 of 100: f = 0.2


@pytest.fixture
def competition(commerce, finance, groups):
    """Four departments: two in one group, one in another, one in none.

    商务局 scores well; 财政局 has an intent project only (yellow card, no result); 宣传部
    (a group of its own) keeps pace on visits, signs one and receives funds (no card);
    统计局 (no group) has no targets at all (nothing scored: no card, but no result).
    """
    publicity = Department.objects.create(name="宣传部", group=groups["party"], order=3)
    statistics = Department.objects.create(name="统计局", order=4)
    competition = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10)
    )
    MetricWeight.objects.create(competition=competition, metric="visitors", weight=5)
    for department in (commerce, finance, publicity):
        Quota.objects.create(
            competition=competition,
            department=department,
            visit_batches=10,
            visitors=20,
            intent_projects=2,
            signed_projects=2,
            funded_projects=1,
            funds_amount=Decimal("1000"),
            groundbreaking_projects=1,
        )
    Quota.objects.create(competition=competition, department=statistics)

    make_visit(commerce, date(2026, 1, 2), persons=2)
    make_visit(commerce, date(2026, 1, 3), persons=5)
    signed = make_project(commerce, "S1")
    make_milestone(signed, Stage.SIGNED, date(2026, 1, 4))
    make_receipt(signed, date(2026, 1, 5), "3250.5")
    make_receipt(signed, date(2026, 1, 6), "0.25")
    make_milestone(make_project(finance, "F1"), Stage.INTENT, date(2026, 1, 8))
    make_visit(publicity, date(2026, 1, 9), persons=1)
    make_visit(publicity, date(2026, 1, 10), persons=1)
    publicity_signed = make_project(publicity, "X1")
    make_milestone(publicity_signed, Stage.SIGNED, date(2026, 1, 11))
    make_receipt(publicity_signed, date(2026, 1, 12), "300")
    make_visit(statistics, date(2026, 1, 12), persons=9)
    return competition


def _figures(row):
    return (
        row.department_id,
        row.department_name,
        row.group_id,
        row.group_name,
        row.order,
        row.actuals,
        row.targets,
        row.ratios,
        row.score,
        row.scored,
        row.yellow_card,
        row.zero_result,
        row.rank,
        row.group_rank,
    )


@pytest.mark.django_db
def test_stored_league_equals_the_computed_one(competition):
    computed = compute_league(competition, as_of=AS_OF)
    recompute_snapshots(competition, as_of=AS_OF)
    stored = stored_league(competition, as_of=AS_OF)

    assert [_figures(r) for r in stored.rows] == [_figures(r) for r in computed.rows]
    assert stored.totals == computed.totals
    assert stored.window == computed.window
    assert (stored.competition, stored.as_of) == (competition, AS_OF)
    # The stored score is the exact one rounded to 12 places, and is what exact_score holds.
    for s, c in zip(stored.rows, computed.rows, strict=True):
        assert s.exact_score == Fraction(s.score)
        assert abs(s.exact_score - c.exact_score) < Fraction(1, 10**12)
    # The case is worth comparing: every flag, an unscored department, a missing group rank.
    by_name = {r.department_name: r for r in stored.rows}
    assert [r.department_name for r in stored.rows] == ["商务局", "宣传部", "财政局", "统计局"]
    assert by_name["财政局"].yellow_card and by_name["财政局"].zero_result
    assert not by_name["宣传部"].yellow_card and not by_name["宣传部"].zero_result
    assert not by_name["统计局"].scored and not by_name["统计局"].yellow_card
    assert by_name["统计局"].zero_result and by_name["统计局"].group_rank is None
    assert (by_name["商务局"].group_rank, by_name["财政局"].group_rank) == (1, 2)
    assert by_name["宣传部"].group_rank == 1
    assert stored.totals["funds_amount"] == Decimal("3550.75")


@pytest.mark.django_db
def test_before_the_window_nothing_is_scored(competition):
    before = date(2025, 12, 31)
    recompute_snapshots(competition, as_of=before)
    stored = stored_league(competition, as_of=before)
    computed = compute_league(competition, as_of=before)
    assert [_figures(r) for r in stored.rows] == [_figures(r) for r in computed.rows]
    assert not any(r.scored or r.yellow_card or r.zero_result for r in stored.rows)


@pytest.mark.django_db
def test_no_snapshot_is_none(competition):
    assert stored_league(competition, as_of=AS_OF) is None


@pytest.mark.django_db
def test_one_query_whatever_the_number_of_departments(competition):
    recompute_snapshots(competition, as_of=AS_OF)
    with CaptureQueriesContext(connection) as few:
        stored_league(competition, as_of=AS_OF)
    for i in range(30):
        department = Department.objects.create(name=f"部门{i}", order=10 + i)
        Quota.objects.create(competition=competition, department=department, visit_batches=1)
    recompute_snapshots(competition, as_of=AS_OF)
    with CaptureQueriesContext(connection) as many:
        league = stored_league(competition, as_of=AS_OF)
    assert len(league.rows) == 34
    assert len(few) == len(many) == 1  # the snapshot rows joined to departments and groups


@pytest.mark.django_db
def test_names_group_and_order_are_the_departments_as_they_are_now(competition, groups):
    """Renamed since the snapshot: the stored league shows the new names; ranks stay."""
    recompute_snapshots(competition, as_of=AS_OF)
    commerce = Department.objects.get(name="商务局")
    commerce.name, commerce.order = "商务和投资促进局", 7
    commerce.save()
    groups["party"].name = "党群系统"
    groups["party"].save()
    statistics = Department.objects.get(name="统计局")
    statistics.group = groups["economic"]
    statistics.save()

    rows = {r.department_id: r for r in stored_league(competition, as_of=AS_OF).rows}
    assert rows[commerce.pk].department_name == "商务和投资促进局"
    assert (rows[commerce.pk].order, rows[commerce.pk].rank) == (7, 1)
    assert [r.group_name for r in rows.values() if r.group_id == groups["party"].pk] == ["党群系统"]
    assert (rows[statistics.pk].group_id, rows[statistics.pk].group_name) == (
        groups["economic"].pk,
        "综合经济部门",
    )
    assert rows[statistics.pk].group_rank is None  # the snapshot's until the recompute
    stored_names = set(Snapshot.objects.values_list("department_name", flat=True))
    assert "商务局" in stored_names and "商务和投资促进局" not in stored_names


@pytest.mark.django_db
def test_league_to_show_reads_the_snapshot_or_computes_without_storing(competition):
    live, stored = league_to_show(competition, as_of=AS_OF)
    assert stored is False and not Snapshot.objects.exists()
    recompute_snapshots(competition, as_of=AS_OF)
    read, stored = league_to_show(competition, as_of=AS_OF)
    assert stored is True
    assert [_figures(r) for r in read.rows] == [_figures(r) for r in live.rows]
