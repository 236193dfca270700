"""Spreadsheet exports (.xlsx) written row by row, so a city-wide ledger stays small in memory."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

MAX_ROWS = 200_000


def xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] | None = None) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or "Sheet1")
    for index, width in enumerate(widths or (), start=1):
        sheet.column_dimensions[_column(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=str(text))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for count, row in enumerate(rows):
        if count >= MAX_ROWS:
            break
        sheet.append([_plain(v) for v in row])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _plain(value):
    if value is None:
        return None
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: callers pass local times
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never let a cell become a formula
    return value


def _column(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
