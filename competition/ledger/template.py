"""The blank ledger template offices download: every sheet's headers and one example row."""

from datetime import date
from typing import IO

from competition.ledger import schema

EXAMPLE_ROWS: dict[str, list] = {
    schema.COMPETITION: [
        "2026年市直部门招商引资百日竞赛", date(2026, 3, 1), date(2026, 6, 8), 0.7, 1.5, "否",
    ],
    schema.WEIGHTS: ["签约项目", 20],
    schema.DEPARTMENTS: ["商务局", "综合经济部门", 1, "王志强"],
    schema.QUOTAS: ["商务局", 5, 15, 2, 1, 1, 1000, 1],
    schema.PROJECTS: [
        "DF-2026-001", "风电装备制造", "商务局", "某风电科技有限公司", "张三", "工业", "是",
        6000, 2500, "经济开发区", "上海", "以商引商", date(2026, 3, 2), date(2026, 3, 10),
        date(2026, 3, 20), date(2026, 4, 15), None, None,
    ],
    schema.RECEIPTS: ["DF-2026-001", date(2026, 4, 1), 1200.5],
    schema.VISITS: [
        date(2026, 3, 5), "商务局", "某风电科技有限公司", 3, "李局长", "项目考察", "DF-2026-001",
    ],
}  # fmt: skip


def write_template(target: str | IO[bytes]) -> None:
    """Write the template workbook: LEDGER.md's sheets in order, headers, one example row."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet in schema.SHEETS:
        worksheet = workbook.create_sheet(sheet.name)
        worksheet.append(list(sheet.columns))
        worksheet.append(EXAMPLE_ROWS[sheet.name])
        for cell in worksheet[2]:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    workbook.save(target)
