"""Spreadsheet formula injection (CSV/Excel "formula injection"): text typed by users must
never run as a formula when the office opens an export in Excel or WPS. And control
characters pasted into a text field (a vertical tab from Word) must not break an XLSX
export: openpyxl refuses them (IllegalCharacterError), so they are dropped from exports.

Two ways, for two kinds of file:

- CSV and django-tables2 exports (CSV and XLSX through tablib): a text cell that starts
  with = + - @ (or a tab or carriage return, which Excel skips before them) gets a
  leading apostrophe, as OWASP recommends: `neutralise()`, `safe_table_export()`.
- Workbooks written with openpyxl that are read back by the application (the ledger):
  text cells are written as text cells (`text_cells()`), so Excel shows "=1+1" as typed
  and never computes it, and the importer reads back exactly what was written.
"""

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE): C0 controls but tab, LF, CR.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def printable(value: Any) -> Any:
    """`value` without the control characters a workbook cannot hold (text only)."""
    if isinstance(value, str):
        return ILLEGAL.sub("", value)
    return value


def neutralise(value: Any) -> Any:
    """`value` with a leading apostrophe if it is text a spreadsheet would run as a formula,
    and without control characters.

    Numbers, dates and None pass unchanged: only text typed by users can carry a formula.
    """
    value = printable(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of a row through `neutralise` (for csv.writer rows)."""
    return [neutralise(value) for value in row]


def safe_table_export(export_format: str, table, **kwargs):
    """A django-tables2 TableExport of `table` whose text cells are neutralised.

    Use it wherever `TableExport(export_format, table, …)` is used; the arguments are the same.
    """
    from django_tables2.export import TableExport

    exporter = TableExport(export_format, table, **kwargs)
    dataset = exporter.dataset
    for index in range(dataset.height):
        row = dataset[index]
        safe = tuple(neutralise_row(row))
        if safe != tuple(row):
            dataset[index] = safe
    if dataset.headers:
        dataset.headers = neutralise_row(dataset.headers)
    return exporter


def text_cells(worksheet, row: Iterable[Any]) -> list[Any]:
    """A row for an openpyxl write-only `worksheet`, its text typed as text, never a formula.

    Use as `worksheet.append(text_cells(worksheet, row))`. Values read back are unchanged,
    but for control characters a workbook cannot hold (dropped).
    """
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in row:
        value = printable(value)
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(worksheet, value=value)
            cell.data_type = "s"  # openpyxl would store text starting with "=" as a formula
            cells.append(cell)
        else:
            cells.append(value)
    return cells
