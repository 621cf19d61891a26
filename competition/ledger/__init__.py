"""The ledger workbook (台账): one competition whole, as offices keep it in Excel.

schema: the sheets and headers of LEDGER.md; reader: workbook → checked rows;
importer: rows → database (all or nothing, with history); writer: database → workbook.
"""
