"""Export → import into an empty database → export: the same workbook and the same league."""

from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from competition.league.rows import league_rows
from competition.ledger.importer import import_ledger
from competition.ledger.writer import export_ledger
from competition.models import Competition, Metric, MetricWeight, Quota, Snapshot
from competition.scoring import compute_league
from departments.models import Department, DepartmentGroup
from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage, Visit
from tests.conftest import make_milestone, make_project, make_receipt, make_visit
from tests.fixtures.ledger import read_workbook, sample_sheets, write_workbook

AS_OF = [date(2026, 2, 28), date(2026, 3, 1), date(2026, 4, 15), date(2026, 6, 8), date(2026, 7, 1)]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 7, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))):
        yield


def build_competition(groups, *, count_pending=False) -> Competition:
    """A competition entered through the application, with the awkward cases in it."""
    commerce = Department.objects.create(name="商务局", group=groups["economic"], order=1)
    finance = Department.objects.create(name="财政局", group=groups["economic"], order=2)
    petitions = Department.objects.create(name="信访局", order=3)  # no group
    outsider = Department.objects.create(name="外事办", order=4)  # not taking part

    competition = Competition.objects.create(
        name="2026年百日竞赛",
        start_date=date(2026, 3, 1),
        end_date=date(2026, 6, 8),
        yellow_threshold=Decimal("0.75"),
        cap=Decimal("1.2"),
        count_pending=count_pending,
    )
    MetricWeight.objects.create(competition=competition, metric=Metric.VISIT_BATCHES, weight=12)
    MetricWeight.objects.create(competition=competition, metric=Metric.FUNDS_AMOUNT, weight=15)
    Quota.objects.create(
        competition=competition,
        department=commerce,
        visit_batches=8,
        visitors=20,
        intent_projects=3,
        signed_projects=2,
        funded_projects=1,
        funds_amount=Decimal("800.5"),
        groundbreaking_projects=1,
    )
    Quota.objects.create(
        competition=competition, department=finance, visit_batches=4, signed_projects=1
    )
    Quota.objects.create(competition=competition, department=petitions, intent_projects=1)

    p1 = make_project(
        commerce,
        "P001",
        industry="industrial",
        is_high_tech=True,
        planned_investment=Decimal("6000"),
        registered_capital=Decimal("2024.5"),
        zone="经济开发区",
        source_channel="resident_station",
        responsible_person="张三",
    )
    make_milestone(p1, Stage.LEAD, date(2026, 2, 10))
    make_milestone(p1, Stage.SIGNED, date(2026, 3, 12))
    make_receipt(p1, date(2026, 3, 20), amount="500")
    make_receipt(p1, date(2026, 4, 1), amount="300.25")
    make_receipt(p1, date(2026, 4, 1), amount="300.25")  # two equal tranches
    make_receipt(p1, date(2026, 4, 9), amount="99", status="pending")
    Receipt.objects.create(
        project=p1,
        occurred_on=date(2026, 4, 10),
        amount=Decimal("1000"),
        status=ReviewStatus.RETURNED,
        return_reason="凭证不符",
    )
    make_milestone(p1, Stage.GROUNDBREAKING, date(2026, 4, 20))

    p2 = make_project(commerce, "P002", investor="", planned_investment=Decimal("3000.5"))
    make_milestone(p2, Stage.LEAD, date(2026, 3, 2))
    make_milestone(p2, Stage.INTENT, date(2026, 3, 9), status="pending")

    p3 = make_project(finance, "P003", industry="agriculture")
    make_milestone(p3, Stage.INTENT, date(2026, 3, 3))
    make_milestone(p3, Stage.SIGNED, date(2026, 5, 3))
    p3.lost_on, p3.lost_reason = date(2026, 5, 20), "投资方转投外地"
    p3.save()
    make_project(finance, "P004", name="只有名称的项目")
    p9 = make_project(outsider, "P009")
    make_milestone(p9, Stage.SIGNED, date(2026, 3, 5))

    make_visit(commerce, date(2026, 3, 3), persons=4, host="王局长", purpose="考察", project=p1)
    make_visit(commerce, date(2026, 3, 10), persons=2)
    make_visit(commerce, date(2026, 3, 10), persons=2)
    make_visit(finance, date(2026, 2, 25), persons=1)  # before the window
    make_visit(finance, date(2026, 5, 5), persons=6, project=p1)
    make_visit(outsider, date(2026, 3, 4), persons=9)
    return competition


def league_of(competition: Competition):
    """What a league shows, as of several dates, without database ids."""
    competition = Competition.objects.get(name=competition.name)
    result = {}
    for day in AS_OF:
        league = compute_league(competition, as_of=day)
        result[day] = (league_rows(league.rows), [r.exact_score for r in league.rows])
    return result


def wipe_database():
    for model in [Snapshot, Visit, Receipt, Milestone, Project, Quota, MetricWeight, Competition]:
        model.objects.all().delete()
    Department.objects.all().delete()
    DepartmentGroup.objects.all().delete()


@pytest.mark.parametrize("count_pending", [False, True], ids=["verified only", "counts pending"])
def test_round_trip_gives_the_same_workbook_and_league(groups, tmp_path, count_pending):
    competition = build_competition(groups, count_pending=count_pending)
    first = tmp_path / "first.xlsx"
    export_ledger(competition, str(first))
    league_before = league_of(competition)

    wipe_database()
    report = import_ledger(str(first))
    assert report.ok, [str(e) for e in report.errors]
    second = tmp_path / "second.xlsx"
    export_ledger(Competition.objects.get(name=competition.name), str(second))

    before, after = read_workbook(first), read_workbook(second)
    assert list(before) == ["竞赛", "权重", "部门", "任务", "项目", "到账", "接待"]
    for sheet in before:
        assert after[sheet] == before[sheet], sheet
    assert league_of(competition) == league_before


def test_export_writes_what_counts(groups, tmp_path):
    competition = build_competition(groups)
    path = tmp_path / "ledger.xlsx"
    export_ledger(competition, str(path))
    sheets = read_workbook(path)

    assert sheets["竞赛"][1] == (
        "2026年百日竞赛",
        datetime(2026, 3, 1),
        datetime(2026, 6, 8),
        0.75,
        1.2,
        "否",
    )
    assert dict(sheets["权重"][1:])["接待批次"] == 12 and dict(sheets["权重"][1:])["签约项目"] == 20
    assert [r[:3] for r in sheets["部门"][1:]] == [
        ("商务局", "综合经济部门", 1),
        ("财政局", "综合经济部门", 2),
        ("信访局", None, 3),
    ]
    assert sheets["任务"][1] == ("商务局", 8, 20, 3, 2, 1, 800.5, 1)
    codes = [r[0] for r in sheets["项目"][1:]]
    assert codes == ["P001", "P002", "P003", "P004"]  # not the outsider's P009
    p2 = sheets["项目"][2]
    assert p2[13] is None  # the pending intent is not exported
    assert sheets["到账"][1:] == [
        ("P001", datetime(2026, 3, 20), 500),
        ("P001", datetime(2026, 4, 1), 300.25),
        ("P001", datetime(2026, 4, 1), 300.25),
    ]  # neither the pending nor the returned tranche
    assert len(sheets["接待"]) == 1 + 5


def test_reimporting_an_export_into_the_same_database_changes_nothing(groups, tmp_path):
    competition = build_competition(groups)
    path = tmp_path / "ledger.xlsx"
    export_ledger(competition, str(path))
    history = {m: m.history.count() for m in (Project, Milestone, Receipt, Visit, Quota)}

    report = import_ledger(str(path))

    assert report.ok and not report.changed, report.summary_lines()
    assert {m: m.history.count() for m in history} == history


def test_export_command(groups, tmp_path):
    build_competition(groups)
    path = tmp_path / "out.xlsx"
    out = StringIO()
    call_command("export_ledger", "2026年百日竞赛", str(path), stdout=out)
    assert "已导出" in out.getvalue()
    assert read_workbook(path)["项目"][1][0] == "P001"


# The sample ledger's league as of 2026-04-15, worked out by hand.
# Window 2026-03-01..06-08 = 100 days; elapsed 46, f = 0.46. Weights 10/0/15/20/20/15/20.
# 商务局 (targets 10,30,4,2,2,1000,1): visits 3 batches / 10 persons; P001 intent 3-05,
#   signed 3-20, funded 4-01 (600 + 250.5 = 850.5), groundbreaking 4-10; P002 intent 3-15.
#   ratios: 3/4.6, 2/1.84, 1/0.92, 1/0.92, 850.5/460→cap 1.5, 1/0.46→cap 1.5
#   score = (30/4.6 + 15·2/1.84 + 20/0.92 + 20/0.92 + 22.5 + 30) / 100 = 1.18804…
# 财政局 (targets 5,15,2,1,1,500,1): one visit of 2; P003 signed 3-25 (so intent 3-25),
#   funded 4-02 (100), lost only on 5-01; P004 nothing.
#   ratios: 1/2.3, 1/0.92, →1.5, →1.5, 100/230, 0
#   score = (10/2.3 + 15/0.92 + 30 + 30 + 1500/230 + 0) / 100 = 0.87173…
# 团市委 (targets 2,6,1,1,0,0,0): nothing; scored on batches, intent, signed: score 0,
#   yellow card, zero result.
EXPECTED_LEAGUE_0415 = """\
排名,部门,分组,组内排名,接待批次,接待人数,意向项目,签约项目,到账项目,到账资金,开工项目,得分,黄牌,无实绩
1,商务局,综合经济部门,1,3,10,2,1,1,850.5,1,1.1880,否,否
2,财政局,综合经济部门,2,1,2,1,1,1,100,0,0.8717,否,否
3,团市委,党群部门,1,0,0,0,0,0,0,0,0.0000,是,是
"""
# Before the window nothing is scored and nobody is flagged; ties go by display order.
EXPECTED_LEAGUE_0228 = """\
排名,部门,分组,组内排名,接待批次,接待人数,意向项目,签约项目,到账项目,到账资金,开工项目,得分,黄牌,无实绩
1,商务局,综合经济部门,1,0,0,0,0,0,0,0,0.0000,否,否
2,财政局,综合经济部门,2,0,0,0,0,0,0,0,0.0000,否,否
3,团市委,党群部门,1,0,0,0,0,0,0,0,0.0000,否,否
"""


@pytest.mark.parametrize(
    "as_of,expected",
    [("2026-04-15", EXPECTED_LEAGUE_0415), ("2026-02-28", EXPECTED_LEAGUE_0228)],
)
def test_hand_built_ledger_league_matches_paper(db, tmp_path, as_of, expected):
    path = write_workbook(tmp_path / "ledger.xlsx", sample_sheets())
    call_command("import_ledger", str(path), stdout=StringIO())

    out = StringIO()
    call_command("league", "2026年百日竞赛", "--as-of", as_of, "--format", "csv", stdout=out)

    assert out.getvalue().splitlines() == expected.splitlines()
