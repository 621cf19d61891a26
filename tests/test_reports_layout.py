"""The briefing pack's page breaks, decided from an estimate of each department section's
height (competition.reports.layout); tests/test_reports_pdf.py measures the real pages."""

from datetime import date

import pytest

from competition.reports import content, layout
from tests.conftest import make_project, make_visit
from tests.test_reports import AS_OF, build_city


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-01-21 09:00 +08:00")


@pytest.fixture
def city(commerce, finance):
    return build_city(commerce, finance)


def commerce_page(city):
    pages = content.pack_content(city, as_of=AS_OF).pages
    return next(p for p in pages if p.result.department_name == "商务局")


def add_visits(commerce, n):
    for i in range(n):
        make_visit(commerce, date(2026, 1, 2 + i % 18), persons=2, purpose="考察")


def test_the_estimate_grows_with_the_rows_and_shrinks_when_compact(city, commerce):
    small = layout.section_parts(commerce_page(city), rows=layout.NORMAL)
    add_visits(commerce, 5)
    page = commerce_page(city)
    larger = layout.section_parts(page, rows=layout.NORMAL)
    compact = layout.section_parts(page, rows=layout.COMPACT)
    assert larger.visits > small.visits and larger.head == small.head
    assert compact.total < larger.total
    # A row of one line: 14 pt and its padding; five more visits are five more rows.
    assert larger.visits - small.visits == pytest.approx(
        5 * (14 + 1 * layout.MM + 0.25 * layout.MM)
    )


def test_a_section_that_fits_is_left_alone(city):
    page = commerce_page(city)
    layout.fit([page])
    assert (page.compact, page.break_before) == (False, "")


def test_a_section_a_little_over_a_page_is_set_tighter(city, commerce):
    page = commerce_page(city)
    base = layout.section_parts(page, rows=layout.NORMAL).total
    row = 14 + 1 * layout.MM + 0.25 * layout.MM
    # Just enough visits to pass the page, not enough to pass it when compact.
    extra = int((layout.SAFE_HEIGHT - base) / row) + 2
    add_visits(commerce, extra)
    page = commerce_page(city)
    assert layout.section_parts(page, rows=layout.NORMAL).total > layout.SAFE_HEIGHT
    assert layout.section_parts(page, rows=layout.COMPACT).total <= layout.SAFE_HEIGHT
    layout.fit([page])
    assert page.compact and page.break_before == ""


def test_a_longer_section_breaks_where_its_second_page_is_well_filled(city, commerce):
    add_visits(commerce, 6)
    # Projects until even the compact section is over a page: flowing on from there would
    # leave its second page thin.
    for i in range(40):
        page = commerce_page(city)
        if layout.section_parts(page, rows=layout.COMPACT).total > layout.SAFE_HEIGHT:
            break
        make_project(commerce, f"Q{i}", name=f"新增招商项目{i}", responsible_person="张三")
    parts = layout.section_parts(page, rows=layout.NORMAL)
    assert parts.total - layout.SAFE_HEIGHT < layout.WELL_FILLED
    layout.fit([page])
    assert not page.compact and page.break_before == "visits"
    assert parts.head + parts.projects <= layout.SAFE_HEIGHT
    assert parts.visits + parts.flags >= layout.WELL_FILLED


def test_a_very_long_section_flows_on(city, commerce):
    add_visits(commerce, 60)
    page = commerce_page(city)
    layout.fit([page])
    assert (page.compact, page.break_before) == (False, "")  # its overflow fills a page


def test_the_last_section_keeps_room_for_the_colophon(city, commerce):
    page = commerce_page(city)
    base = layout.section_parts(page, rows=layout.NORMAL).total
    row = 14 + 1 * layout.MM + 0.25 * layout.MM
    add_visits(commerce, int((layout.SAFE_HEIGHT - base) / row) - 1)  # fits, barely
    page = commerce_page(city)
    colophon = layout.colophon_height(copy_to=["市委办公室", "市政府办公室"], copies=True)
    assert colophon > 100
    layout.fit([page])
    assert not page.compact
    layout.fit([page], colophon=colophon)
    assert page.compact or page.break_before
