"""`league` and `recompute` exactly as LEDGER.md specifies, on a scenario worked out on paper."""

import csv
import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from competition.league.snapshots import recompute_snapshots
from competition.models import Competition, Quota, Snapshot
from departments.models import Department
from projects.models import Stage
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

AS_OF = date(2026, 1, 10)  # day 10 of 100: f = 0.1


@pytest.fixture
def scenario(groups, time_machine):
    time_machine.move_to("2026-03-01 12:00 +08:00")
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10)
    )
    commerce = Department.objects.create(name="商务局", group=groups["economic"], order=1)
    finance = Department.objects.create(name="财政局", group=groups["economic"], order=2)
    youth = Department.objects.create(name="团市委", order=3)
    for d in (commerce, finance, youth):
        Quota.objects.create(
            competition=comp, department=d, visit_batches=10, signed_projects=2, funds_amount=1000
        )
    # 商务局: 2 visits (5 persons), one project signed and funded 3250.5
    make_visit(commerce, date(2026, 1, 2), persons=2)
    make_visit(commerce, date(2026, 1, 3), persons=3)
    p = make_project(commerce, "S1")
    make_milestone(p, Stage.SIGNED, date(2026, 1, 4))
    make_receipt(p, date(2026, 1, 5), "3250.5")
    # 财政局: one visit, nothing else
    make_visit(finance, date(2026, 1, 6), persons=1)
    return comp


def league_csv(name="百日竞赛", as_of="2026-01-10"):
    out = io.StringIO()
    call_command("league", name, "--as-of", as_of, "--format", "csv", stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_league_csv_matches_the_paper(scenario):
    # 商务局: visits 2/(10×.1)=2→1.5, signed 1/(2×.1)=5→1.5, funds 3250.5/100→1.5
    #         score (10+20+15)×1.5/45 = 1.5
    # 财政局: visits 1/1 = 1, signed 0, funds 0 → 10/45 = 0.2222, yellow, zero result
    # 团市委: 0 → yellow, zero result; no group → empty group rank
    assert league_csv() == [
        ["排名", "部门", "分组", "组内排名", "接待批次", "接待人数", "意向项目", "签约项目",
         "到账项目", "到账资金", "开工项目", "得分", "黄牌", "无实绩"],
        ["1", "商务局", "综合经济部门", "1", "2", "5", "1", "1", "1", "3250.5", "0",
         "1.5000", "否", "否"],
        ["2", "财政局", "综合经济部门", "2", "1", "1", "0", "0", "0", "0", "0",
         "0.2222", "是", "是"],
        ["3", "团市委", "", "", "0", "0", "0", "0", "0", "0", "0", "0.0000", "是", "是"],
    ]  # fmt: skip


def test_league_table_format_lists_every_department(scenario):
    out = io.StringIO()
    call_command("league", "百日竞赛", "--as-of", "2026-01-10", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["排名", "部门", "分组"]
    assert len(lines) == 4 and "团市委" in lines[3]


def test_league_refuses_unknown_competition_and_bad_date(scenario):
    with pytest.raises(CommandError, match="找不到"):
        league_csv(name="没有这个竞赛")
    with pytest.raises(CommandError, match="格式不对"):
        league_csv(as_of="2026/01/10")


def test_recompute_replaces_the_days_snapshot(scenario):
    call_command("recompute", "百日竞赛", "--as-of", "2026-01-10", stdout=io.StringIO())
    call_command("recompute", "百日竞赛", "--as-of", "2026-01-10", stdout=io.StringIO())
    snaps = Snapshot.objects.filter(competition=scenario, as_of=AS_OF).order_by("rank")
    assert [s.department_name for s in snaps] == ["商务局", "财政局", "团市委"]
    first = snaps[0]
    assert first.actuals["funds_amount"] == "3250.5"
    assert first.yellow_card is False and first.group_rank == 1


def test_snapshot_rows_print_as_the_league(scenario):
    from competition.league.rows import league_rows

    recompute_snapshots(scenario, as_of=AS_OF)
    snaps = Snapshot.objects.filter(competition=scenario, as_of=AS_OF).order_by("rank")
    assert league_rows(snaps) == league_csv()[1:]


def test_league_csv_never_carries_a_formula(scenario):
    Department.objects.filter(name="团市委").update(name='=HYPERLINK("http://x","团市委")')

    rows = league_csv()

    names = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://x","团市委")' in names
    assert not any(cell.startswith("=") for row in rows for cell in row)
