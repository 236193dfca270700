"""Notices as PDF (fpdf2, pure Python): the stored HTML of the notice, laid out for A4, with the
QR code of the site page on a registration receipt.

Chinese text needs a CJK font: NOTICE_FONT (a .ttf/.otf/.ttc path) or the first of FONT_CANDIDATES
found (Debian: apt-get install fonts-noto-cjk). Without one there is no PDF, and the page says so;
the printable HTML page (print stylesheet) works everywhere.
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import qrcode
from flask import current_app
from fpdf import FPDF, TextStyle

from ...persistence.oversight import Notice
from . import notices, site_link

# (regular, bold, index in a .ttc collection: 2 is Simplified Chinese in Noto CJK)
FONT_CANDIDATES = (
    (
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
        2,
    ),
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        2,
    ),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None, 0),
)


def font() -> tuple[str, str | None, int] | None:
    configured = current_app.config.get("NOTICE_FONT")
    if configured:
        return (configured, None, 0) if Path(configured).exists() else None
    for regular, bold, index in FONT_CANDIDATES:
        if Path(regular).exists():
            return regular, bold if bold and Path(bold).exists() else None, index
    return None


def available() -> bool:
    return font() is not None


def render(notice: Notice, reg_no: str) -> bytes:
    site = site_link.site_url(reg_no) if notice.kind == "receipt" else None
    return _render(font(), notice.number, notices.document(notice), site)


@functools.lru_cache(maxsize=64)
def _render(found: tuple[str, str | None, int], number: str, html: str, site: str | None) -> bytes:
    """A notice's PDF from what it shows, kept: parsing the CJK font and subsetting it take seconds
    of CPU, and a notice is printed by the owner, the inspector and the office, again and again.
    A notice's document never changes once issued; if it did, the key would."""
    regular, bold, index = found
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.add_font("cjk", "", regular, collection_font_number=index)
    pdf.add_font("cjk", "B", bold or regular, collection_font_number=index)
    pdf.add_page()
    pdf.set_font("cjk", size=11)
    pdf.set_title(number)
    black = {
        tag: TextStyle(font_family="cjk", font_style="B", color="#000000", font_size_pt=size, t_margin=4, b_margin=2)
        for tag, size in (("h1", 18), ("h2", 14))
    }
    pdf.write_html(_printable(html), font_family="cjk", table_line_separators=True, tag_styles=black)
    if site is not None:
        # The QR code of the public site page, under the table: the part of the receipt posted on site.
        image = qrcode.make(site, box_size=6, border=1)
        out = io.BytesIO()
        image.save(out, format="PNG")
        pdf.image(out, x=(pdf.w - 40) / 2, y=pdf.get_y() + 4, w=40)
        pdf.set_y(pdf.get_y() + 46)
        pdf.cell(0, 6, "扫码查看工地公示信息", align="C")
    return bytes(pdf.output())


def _printable(html: str) -> str:
    """The stored HTML reduced to what fpdf2's write_html lays out (p, h1, table, ul, blockquote, b)."""
    html = re.sub(r'<div class="doc-qr".*?</svg>.*?</div>\s*</div>', "", html, flags=re.S)
    html = re.sub(r'<div class="doc-(issuer|number)">(.*?)</div>', r'<p align="center">\2</p>', html, flags=re.S)
    html = html.replace('<h1 class="doc-title">', '<h1 align="center">')
    html = re.sub(
        r'<footer class="doc-foot">(.*?)</footer>',
        lambda m: re.sub(r"<div>(.*?)</div>", r'<p align="right">\1</p>', m.group(1)),
        html,
        flags=re.S,
    )
    # Every table of a notice is label | value.
    html = re.sub(r"<(td|th)[^>]*>", r"<\1>", html)
    html = re.sub(
        r"<table[^>]*>\s*<tr><th>(.*?)</th><td>",
        r'<table width="100%"><tr><th width="22%">\1</th><td width="78%">',
        html,
        flags=re.S,
    )
    html = html.replace("<strong>", "<b>").replace("</strong>", "</b>")
    html = re.sub(r"</?(article|header|div|span)[^>]*>", "", html)
    return re.sub(r"\s*\n\s*", "", html)  # a line break in the template is not one in the document
