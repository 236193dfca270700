"""On a phone the header title stays on one line and every header control is at least 40 px."""
from __future__ import annotations

import pytest

from tests.helpers.browser import sign_in

pytestmark = pytest.mark.browser


def test_phone_header_title_and_tap_targets(browser, live_server, shots):
    context = browser.new_context(locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        sign_in(page, live_server, "supervisor_lj")
        page.screenshot(path=str(shots / "phone-header.png"))
        title = page.locator(".brand-text").evaluate(
            "e => ({lines: Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight))})")
        assert title["lines"] == 1
        for selector in (".logout button", ".lang-switch button"):
            for box in [b.bounding_box() for b in page.locator(selector).all()]:
                assert box["width"] >= 40 and box["height"] >= 40, (selector, box)
        header = page.locator(".topbar").bounding_box()
        assert header["height"] <= 64
    finally:
        context.close()
