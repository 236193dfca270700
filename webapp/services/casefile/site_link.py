"""The public site page of a registered project: its address and the QR code that points to it
(printed on the registration receipt, served beside the site page)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from flask import current_app, has_request_context, request


def site_url(reg_no: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or (
        request.url_root if has_request_context() else "http://localhost:5000/"
    )
    return f"{base.rstrip('/')}/s/{reg_no}"


def qr_svg(url: str) -> str:
    """An inline SVG QR code (no XML declaration, so it can sit inside HTML)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    text = out.getvalue().decode()
    return text[text.index("<svg") :]
