"""The cumulative-progress series and the SVG charts drawn from it and from the league."""

import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competition import charts
from competition.models import Competition, Quota
from competition.scoring import DepartmentResult, compute_league
from competition.scoring.progress import PROGRESS_METRICS, cumulative_progress
from departments.models import Department
from projects.models import Stage
from tests.conftest import make_milestone, make_project, make_receipt, make_visit

SVG = "{http://www.w3.org/2000/svg}"
START, END = date(2026, 3, 1), date(2026, 3, 10)  # a 10-day window
AS_OF = date(2026, 3, 5)  # day 5


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime(2026, 4, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


# --- the series behind the progress chart --------------------------------------------------


@pytest.fixture
def scenario(commerce, finance):
    """Two participants and 文旅局, which takes no part. Inside days 1-5, counted:
    visits on days 1, 3, 3, 3; intent on days 2 and 3; signed on 3 and 4; funds received
    on 4; groundbreaking on 5."""
    competition = Competition.objects.create(name="十日竞赛", start_date=START, end_date=END)
    Quota.objects.create(
        competition=competition,
        department=commerce,
        visit_batches=4,
        intent_projects=2,
        signed_projects=1,
        funded_projects=1,
        groundbreaking_projects=1,
    )
    Quota.objects.create(
        competition=competition,
        department=finance,
        visit_batches=6,
        intent_projects=3,
        signed_projects=2,
    )
    outsider = Department.objects.create(name="文旅局", order=9)

    make_visit(commerce, date(2026, 2, 28))  # before the window
    make_visit(commerce, date(2026, 3, 1))
    make_visit(commerce, date(2026, 3, 3))
    make_visit(finance, date(2026, 3, 3))
    make_visit(finance, date(2026, 3, 3), persons=8)
    make_visit(finance, date(2026, 3, 6))  # after AS_OF
    make_visit(outsider, date(2026, 3, 2))  # not a participant

    p1 = make_project(commerce, "P1")
    make_milestone(p1, Stage.INTENT, date(2026, 3, 2))
    make_milestone(p1, Stage.SIGNED, date(2026, 3, 4))
    make_receipt(p1, date(2026, 3, 4), amount="300")
    make_milestone(p1, Stage.GROUNDBREAKING, date(2026, 3, 5))
    p2 = make_project(finance, "P2")  # signed without a recorded intent: intent on day 3
    make_milestone(p2, Stage.SIGNED, date(2026, 3, 3))
    p3 = make_project(finance, "P3")  # intent before the window
    make_milestone(p3, Stage.INTENT, date(2026, 2, 25))
    p4 = make_project(commerce, "P4")  # pending: not counted
    make_milestone(p4, Stage.INTENT, date(2026, 3, 4), status="pending")
    p5 = make_project(commerce, "P5")  # returned: never counted
    make_milestone(p5, Stage.INTENT, date(2026, 3, 4), status="returned", return_reason="无盖章")
    p6 = make_project(outsider, "P6")
    make_milestone(p6, Stage.INTENT, date(2026, 3, 1))
    return competition


@pytest.mark.django_db
def test_cumulative_series_per_day(scenario):
    with CaptureQueriesContext(connection) as ctx:
        series = cumulative_progress(scenario, as_of=AS_OF)
    # the participants' targets, visits by date, stage figures by date (one statement)
    assert len(ctx.captured_queries) == 3

    assert series.dates == [date(2026, 3, d) for d in range(1, 6)]
    assert series.metrics == PROGRESS_METRICS
    assert series.actual == {
        "visit_batches": [1, 1, 4, 4, 4],
        "intent_projects": [0, 1, 2, 2, 2],
        "signed_projects": [0, 0, 1, 2, 2],
        "funded_projects": [0, 0, 0, 1, 1],
        "groundbreaking_projects": [0, 0, 0, 0, 1],
    }
    assert series.targets == {
        "visit_batches": 10,
        "intent_projects": 5,
        "signed_projects": 3,
        "funded_projects": 1,
        "groundbreaking_projects": 1,
    }
    assert series.elapsed == 5 and series.days == 10
    assert series.timeline("visit_batches", 5) == Decimal(5)
    assert series.timeline_series("intent_projects") == [
        Decimal("0.5"),
        Decimal(1),
        Decimal("1.5"),
        Decimal(2),
        Decimal("2.5"),
    ]


@pytest.mark.django_db
def test_last_point_equals_the_league_totals(scenario):
    series = cumulative_progress(scenario, as_of=AS_OF)
    league = compute_league(scenario, as_of=AS_OF)
    for metric in PROGRESS_METRICS:
        assert series.actual[metric][-1] == league.totals[metric], metric


@pytest.mark.django_db
def test_pending_records_count_when_the_competition_says_so(scenario):
    scenario.count_pending = True
    scenario.save()
    series = cumulative_progress(scenario, as_of=AS_OF)
    assert series.actual["intent_projects"] == [0, 1, 2, 3, 3]


@pytest.mark.django_db
def test_series_stops_at_the_end_of_the_window(scenario):
    series = cumulative_progress(scenario, as_of=date(2026, 4, 30))
    assert len(series.dates) == 10 and series.dates[-1] == END
    assert series.actual["visit_batches"][-1] == 5  # the visit of day 6 now counts


@pytest.mark.django_db
def test_no_series_before_the_window(scenario):
    with CaptureQueriesContext(connection) as ctx:
        series = cumulative_progress(scenario, as_of=date(2026, 2, 28))
    assert len(ctx.captured_queries) == 1  # the targets only
    assert series.dates == [] and series.elapsed == 0
    assert all(values == [] for values in series.actual.values())


# --- score chart ---------------------------------------------------------------------------


def _row(name, score, rank, *, yellow=False, scored=True, department_id=None):
    return DepartmentResult(
        department_id=department_id or rank,
        department_name=name,
        group_id=None,
        group_name="",
        order=rank,
        actuals={},
        targets={},
        ratios={},
        score=Decimal(score),
        exact_score=Fraction(Decimal(score)),
        scored=scored,
        yellow_card=yellow,
        zero_result=False,
        rank=rank,
    )


def _parse(svg) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg"
    return root


def _texts(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def _bars(root):
    return [r for r in root.iter(f"{SVG}rect") if "bar" in r.get("class", "").split()]


ROWS = [
    _row("商务局", "1.2", 1),
    _row("财政局", "0.75", 2),
    _row("<b>&", "0.5", 3, yellow=True),
    _row("市发展和改革委员会驻沪招商联络处", "0.1", 4, yellow=True),
    _row("尚未计分局", "0", 5, scored=False),
]


def test_score_chart_is_a_standalone_svg_for_weasyprint():
    root = _parse(charts.score_chart(ROWS, Decimal("0.70")))
    width, height = int(root.get("width")), int(root.get("height"))
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert "Noto Sans CJK SC" in root.get("font-family")
    assert root.get("role") == "img" and root.get("aria-label") == "各部门得分（按排名）"


def test_one_bar_per_department_in_rank_order():
    root = _parse(charts.score_chart(ROWS, Decimal("0.70")))
    bars = _bars(root)
    assert len(bars) == len(ROWS)
    ys = [float(b.get("y")) for b in bars]
    assert ys == sorted(ys)
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] > widths[1] > widths[2] > widths[3] > 0
    assert widths[4] == 0  # not scored: no bar, and says so
    assert "未计分" in _texts(root)


def test_yellow_cards_in_the_warning_colour_and_scores_labelled():
    root = _parse(charts.score_chart(ROWS, Decimal("0.70")))
    fills = [b.get("fill") for b in _bars(root)]
    assert fills == [charts.BAR, charts.BAR, charts.WARNING, charts.WARNING, charts.BAR]
    texts = _texts(root)
    for label in ("120.0%", "75.0%", "50.0%", "10.0%"):
        assert label in texts


def test_dashed_line_at_the_threshold():
    root = _parse(charts.score_chart(ROWS, Decimal("0.70")))
    (line,) = [el for el in root.iter(f"{SVG}line") if el.get("class") == "threshold"]
    assert line.get("stroke-dasharray")
    # The scale runs 0..125% (best score 120%) over 470 units from x = 170.
    assert float(line.get("x1")) == pytest.approx(170 + 470 * 0.70 / 1.25, abs=0.01)
    assert "黄牌线 70%" in _texts(root)


def test_department_names_stay_text():
    svg = str(charts.score_chart(ROWS, Decimal("0.70")))
    assert "<b>" not in svg
    assert "&lt;b&gt;&amp;" in svg
    root = _parse(svg)
    assert "<b>&" in _texts(root)
    titles = ["".join(t.itertext()) for t in root.iter(f"{SVG}title")]
    assert any("<b>&" in t for t in titles)
    # A long name is shortened on the chart; the full name is in the bar's title.
    assert "市发展和改革委员会…" in _texts(root)
    assert any("市发展和改革委员会驻沪招商联络处" in t for t in titles)


def test_score_chart_without_departments_is_still_well_formed():
    root = _parse(charts.score_chart([], Decimal("0.70")))
    assert _bars(root) == []
    assert "没有参赛部门" in _texts(root)


def test_scores_above_the_scale_do_not_overflow():
    root = _parse(charts.score_chart([_row("甲", "1.5", 1)], Decimal("2")))
    (bar,) = _bars(root)
    assert float(bar.get("x")) + float(bar.get("width")) <= 170 + 470


# --- progress charts -----------------------------------------------------------------------


@pytest.mark.django_db
def test_cumulative_chart_actual_against_timeline(scenario):
    series = cumulative_progress(scenario, as_of=AS_OF)
    root = _parse(charts.cumulative_chart(series))
    assert "Noto Sans CJK SC" in root.get("font-family")
    assert len(root.findall(f"{SVG}g[@class='panel']")) == len(PROGRESS_METRICS)
    polylines = list(root.iter(f"{SVG}polyline"))
    actual = [p for p in polylines if p.get("class") == "actual"]
    timeline = [p for p in polylines if p.get("class") == "timeline"]
    assert len(actual) == len(timeline) == len(PROGRESS_METRICS)
    # Day 0 and one point per elapsed day.
    assert all(len(p.get("points").split()) == 1 + 5 for p in actual)
    assert all(t.get("stroke-dasharray") for t in timeline)
    texts = _texts(root)
    for label in ("接待批次", "意向项目", "签约项目", "到账项目", "开工项目"):
        assert label in texts
    assert "实际 4 · 时序进度 5.0 · 任务 10" in texts


@pytest.mark.django_db
def test_actual_line_reaches_the_current_value(scenario):
    series = cumulative_progress(scenario, as_of=AS_OF)
    root = _parse(charts.cumulative_panel(series, "visit_batches"))
    (actual,) = [p for p in root.iter(f"{SVG}polyline") if p.get("class") == "actual"]
    points = [tuple(map(float, p.split(","))) for p in actual.get("points").split()]
    ys = [y for _, y in points]
    assert ys[0] > ys[-1]  # going up (SVG's y grows downwards)
    xs = [x for x, _ in points]
    assert xs == sorted(xs)
    assert "第5天" in _texts(root)  # today's marker


@pytest.mark.django_db
def test_panel_before_the_window_has_no_actual_line(scenario):
    series = cumulative_progress(scenario, as_of=date(2026, 2, 1))
    root = _parse(charts.cumulative_panel(series, "signed_projects"))
    assert [p.get("class") for p in root.iter(f"{SVG}polyline")] == ["timeline"]


def test_time_progress_bar():
    root = _parse(charts.time_progress_bar(elapsed=43, days=100))
    (filled,) = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "elapsed"]
    assert float(filled.get("width")) == pytest.approx(600 * 0.43)
    assert root.get("aria-label") == "第43天，共100天，时间进度43.0%"


@pytest.mark.django_db
def test_charts_render_in_a_pdf(scenario):
    """WeasyPrint draws the inline SVGs (the bulletins embed them the same way)."""
    weasyprint = pytest.importorskip("weasyprint")
    series = cumulative_progress(scenario, as_of=AS_OF)
    html = (
        "<html><body>"
        + charts.score_chart(ROWS, Decimal("0.70"))
        + charts.cumulative_chart(series)
        + "</body></html>"
    )
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf.startswith(b"%PDF")
