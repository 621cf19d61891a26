"""How the briefing pack's department sections fall on pages, decided before WeasyPrint runs.

Each department starts a page (DOMAIN.md: "one page per department"). A section that
would spill a few lines onto a second page leaves that page nearly empty, so each section's
height is estimated from its text and the sizes of static/css/print-report.css (the
department tables have fixed column widths for that reason), and then:

- a section that fits one page is left alone;
- one that spills a little is set tighter (``compact``: table rows 13 pt instead of 15 pt,
  thinner cell padding) when that makes it fit one page;
- one that stays longer continues onto a second page that is well filled: it flows on
  when its overflow fills at least ``WELL_FILLED`` of a page, and otherwise breaks before
  its visits (or its projects), whichever leaves both pages well filled.

The estimate is deliberately a little generous (wrapping rounds up, a safety margin on
the page); tests/test_reports_pdf.py measures the demo pack's pages from the PDF.
Plain functions over the pack's content: no queries, no WeasyPrint.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from competition.reports.content import DepartmentPage

MM = 72 / 25.4  # points in a millimetre
TEXT_WIDTH = 156 * MM  # the text block (版心), 442.2 pt
PAGE_HEIGHT = 225 * MM  # 637.8 pt
# What a page may be filled to by the estimate: wrapping and rounding are approximate.
SAFE_HEIGHT = PAGE_HEIGHT * 0.96
# A second page is well filled from a third of a page (the goal: no page under a quarter).
WELL_FILLED = PAGE_HEIGHT / 3

LINE = 28.95  # a 3号 line of the grid: headings, the meta lines, plain paragraphs
PART = 22.0 + 1 * MM  # a part's title (4号黑体) and the gap above it
BODY_SIZE = 16.0
NOTE_SIZE, NOTE_LINE, NOTE_MARGINS = 12.0, 18.0, 3 * MM
FLAG_SIZE, FLAG_LINE = 14.0, 22.0
META_SIZE, META_LINE = 14.0, 22.0  # group rank and people under a department's heading
TABLE_SIZE = 12.0
TABLE_MARGINS = 3 * MM  # 1 mm above, 2 mm below
CELL_SIDE_PADDING = 2 * MM  # 1 mm either side


@dataclass(frozen=True)
class Rows:
    """Table row metrics of one density: line height and vertical padding plus rule."""

    line: float
    padding: float


NORMAL = Rows(line=14.0, padding=2 * 0.5 * MM + 0.25 * MM)
COMPACT = Rows(line=13.0, padding=2 * 0.2 * MM + 0.25 * MM)

# Column widths in millimetres, as print-report.css sets them.
QUOTA_LABEL = 32
QUOTA_METRIC = (156 - QUOTA_LABEL) / 7
PROJECT_COLUMNS = {"name": 50, "stage": 17}
VISIT_COLUMNS = {"org": 52, "purpose": 156 - 21 - 52 - 11 - 20, "host": 20}
# The note under a table with lost projects, as the template prints it (about).
LOST_NOTE = "竞赛期间流失的项目1个列在表末（不计入未流失项目），日期为流失日期。"
# The 版记 under the last section: the footnote area's margin, rules, and 4号 lines.
COLOPHON_LINE = 24.0
COLOPHON_ROW_PADDING = 2 * MM


def ems(text: str) -> float:
    """The width of `text` in ems: CJK and full-width characters 1, others about a half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.55 for ch in text or "")


def lines(text: str, *, size: float, width: float) -> int:
    """How many lines `text` set at `size` takes in `width` points (at least one)."""
    return max(1, math.ceil(ems(text) * size / width - 1e-9))


def cell_lines(text: str, *, width_mm: float, size: float = TABLE_SIZE) -> int:
    # Two points less than the cell's inside: its rules, and WeasyPrint's rounding.
    return lines(text, size=size, width=width_mm * MM - CELL_SIDE_PADDING - 2)


def table_height(header_lines: int, row_lines: list[int], rows: Rows) -> float:
    cells = [header_lines, *row_lines]
    return sum(n * rows.line + rows.padding for n in cells) + TABLE_MARGINS


def note_height(text: str) -> float:
    return lines(text, size=NOTE_SIZE, width=TEXT_WIDTH) * NOTE_LINE + NOTE_MARGINS


def colophon_height(*, copy_to: list[str], copies: bool) -> float:
    """The 版记's height at the foot of the last page (with the gap above it)."""
    height = 14.0 + COLOPHON_LINE + COLOPHON_ROW_PADDING  # gap, the issuing line
    if copy_to:
        text = "抄送：" + "、".join(copy_to) + "。"
        width = TEXT_WIDTH - 2 * 14.0
        height += lines(text, size=14.0, width=width) * COLOPHON_LINE + COLOPHON_ROW_PADDING
    if copies:
        height += COLOPHON_LINE + COLOPHON_ROW_PADDING
    return height


@dataclass(frozen=True)
class Parts:
    """A department section's height in parts, where a page may be broken before."""

    head: float  # heading, meta lines, the quota table
    projects: float  # its heading, table and notes
    visits: float  # its heading and table
    flags: float  # its heading and the flags

    @property
    def total(self) -> float:
        return self.head + self.projects + self.visits + self.flags


def section_parts(page: DepartmentPage, *, rows: Rows, first: bool = False) -> Parts:
    """Estimate the parts of one department section (see the module docstring)."""
    result = page.result
    title = f"（{page.ordinal}）{result.department_name}　全市第{result.rank}名　得分{page.score}"
    if result.yellow_card:
        title += "黄牌警告"
    if result.zero_result:
        title += "无实绩"
    meta = f"{result.group_name}组内第{result.group_rank}名　" if result.group_rank else ""
    meta += "主要负责人：" + (page.department.head or "—") + "　联络员：" + "、".join(page.liaisons)
    head = LINE if first else 0.0  # 四、各部门情况 above the first one
    head += lines(title, size=BODY_SIZE, width=TEXT_WIDTH) * LINE
    head += lines(meta, size=META_SIZE, width=TEXT_WIDTH) * META_LINE
    # 1. and the quota table: 任务数 … 权重, then 还需 and 还需日均 (issue #20).
    head += PART + table_height(3, [1] * 7, rows)
    if page.plan_text:
        head += note_height(page.plan_text)

    projects = PART
    project_rows = [
        cell_lines(
            line.project.name + ("*高新" if line.project.is_high_tech else ""),
            width_mm=PROJECT_COLUMNS["name"],
        )
        for line in page.projects
    ]
    project_rows += [
        cell_lines(line.project.name, width_mm=PROJECT_COLUMNS["name"])
        + cell_lines(
            "原因：" + line.project.lost_reason, width_mm=PROJECT_COLUMNS["name"], size=10.5
        )
        for line in page.lost
    ]
    if project_rows:
        projects += table_height(3, project_rows, rows)
        if page.lost:
            projects += note_height(LOST_NOTE)
        for line in page.early_receipts:
            projects += note_height(
                f"* {line.project.name}在竞赛开始（2026年10月22日）前到账{line.funds_before}万元，"
                "不计入竞赛期间到账资金。"
            )
    else:
        projects += LINE

    visits = PART
    if page.visits:
        visit_rows = [
            max(
                cell_lines(v.investor_org, width_mm=VISIT_COLUMNS["org"]),
                cell_lines(v.purpose or "—", width_mm=VISIT_COLUMNS["purpose"]),
                cell_lines(v.host or "—", width_mm=VISIT_COLUMNS["host"]),
            )
            for v in page.visits
        ]
        visits += table_height(1, visit_rows, rows)
    else:
        visits += LINE

    flags = PART
    if page.diagnosis.flags:
        for flag in page.diagnosis.flags:
            reasons = "、".join(r.label for r in flag.reasons)
            text = f"{flag.label}：{flag.detail}（{reasons}）。"
            flags += lines(text, size=FLAG_SIZE, width=TEXT_WIDTH) * FLAG_LINE
    else:
        flags += LINE
    return Parts(head=head, projects=projects, visits=visits, flags=flags)


def fit(pages: list[DepartmentPage], *, colophon: float = 0.0) -> None:
    """Set each section's `compact` and `break_before` (see the module docstring).

    `colophon` is the height of the 版记, which follows the last section on its page.
    """
    for index, page in enumerate(pages):
        first, last = index == 0, index == len(pages) - 1
        tail = colophon if last else 0.0
        normal = section_parts(page, rows=NORMAL, first=first)
        height = normal.total + tail
        if height <= SAFE_HEIGHT:
            continue
        compact = section_parts(page, rows=COMPACT, first=first)
        if compact.total + tail <= SAFE_HEIGHT:
            page.compact = True
            continue
        # Two pages or more. Flowing on leaves at least the overflow on the second page.
        if height - SAFE_HEIGHT >= WELL_FILLED:
            continue
        for where, before, after in (
            ("visits", normal.head + normal.projects, normal.visits + normal.flags),
            ("projects", normal.head, normal.projects + normal.visits + normal.flags),
        ):
            # The 版记 sits at the foot of the page whatever fills it: the section's own
            # part must fill the second page, and leave room for the 版记 below.
            if before <= SAFE_HEIGHT and after >= WELL_FILLED and after + tail <= SAFE_HEIGHT:
                page.break_before = where
                break
