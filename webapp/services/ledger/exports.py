"""Spreadsheet exports (.xlsx) written row by row and streamed as they are written.

The workbook is the smallest SpreadsheetML that Excel, LibreOffice and openpyxl open: one sheet,
strings inline, a bold header row frozen at the top, dates and times as Excel serial numbers with
a date format. Writing the XML directly costs a fraction of a general library's cell objects (a
city-wide ledger has tens of thousands of rows), and the zip is written to the response as it
grows (`xlsx_stream`), so the first bytes leave at once and memory stays flat.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from xml.sax.saxutils import escape

MAX_ROWS = 200_000
MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters XML 1.0 does not allow in text (control characters other than tab and line breaks).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = datetime(1899, 12, 30)
# Cell styles (styles.xml cellXfs): 0 plain, 1 bold header, 2 date and time, 3 date.
_BOLD, _DATETIME, _DATE = 1, 2, 3
_FLUSH_ROWS = 500


def xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] | None = None) -> bytes:
    """The whole workbook at once (small reports)."""
    return b"".join(xlsx_stream(title, headers, rows, widths))


def xlsx_stream(
    title: str, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] | None = None
) -> Iterator[bytes]:
    """The workbook's bytes, chunk by chunk, as the rows are read."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as book:
        for name, text in _parts(title).items():
            book.writestr(name, text)
            yield sink.take()
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_sheet_head(widths).encode())
            sheet.write(_row(1, headers, style=_BOLD).encode())
            lines = []
            for count, row in enumerate(rows):
                if count >= MAX_ROWS:
                    break
                lines.append(_row(count + 2, row))
                if len(lines) >= _FLUSH_ROWS:
                    sheet.write("".join(lines).encode())
                    lines = []
                    yield sink.take()
            sheet.write(("".join(lines) + "</sheetData></worksheet>").encode())
        yield sink.take()
    yield sink.take()


class _Sink:
    """A write-only, unseekable file: zipfile then writes each member's sizes after its data, so
    the bytes written so far can be handed on at once."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


def _row(number: int, values: Sequence, style: int = 0) -> str:
    letters = _LETTERS if len(values) <= len(_LETTERS) else [_column(i + 1) for i in range(len(values))]
    cells = [
        _cell(f"{letters[column]}{number}", value, style) for column, value in enumerate(values) if value is not None
    ]
    return f'<row r="{number}">{"".join(cells)}</row>'


def _cell(ref: str, value, style: int) -> str:
    value = _plain(value)
    s = f' s="{style}"' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"{s}><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, datetime):
        serial = (value - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{style or _DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{style or _DATE}"><v>{(value - _EPOCH.date()).days}</v></c>'
    text = escape(_ILLEGAL.sub("", str(value)))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t{space}>{text}</t></is></c>'


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


_LETTERS = [_column(i) for i in range(1, 65)]


def _sheet_head(widths: Sequence[int] | None) -> str:
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths or (), 1))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        'state="frozen"/></sheetView></sheetViews>' + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>"
    )


def _parts(title: str) -> dict[str, str]:
    name = escape(_ILLEGAL.sub("", re.sub(r"[\[\]:*?/\\]", " ", title))[:31].strip() or "Sheet1", {'"': "&quot;"})
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return {
        "[Content_Types].xml": head
        + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
        ),
        "_rels/.rels": head
        + (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": head
        + (
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": head
        + (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": head
        + (
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
            '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
        ),
    }
