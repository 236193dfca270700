"""The dashboard page links each number to the ledger rows behind it; notices print per project."""

from __future__ import annotations

import html as htmllib
import re

from tests.helpers import scenario
from tests.helpers.lifecycle import register


def _href(page: str, testid: str) -> str:
    match = re.search(rf'<a[^>]*href="([^"]+)"[^>]*data-testid="{testid}"', page)
    return htmllib.unescape(match.group(1))


def test_dashboard_numbers_open_their_ledger_rows(app, api, pages, clock):
    scenario.build(app, api, clock)
    clock.advance(days=2)
    pages.login("admin_sm")
    page = pages.get("/dashboard").get_data(as_text=True)
    for testid in ("kpi-overdue", "kpi-stop-work", "kpi-writeoff-late", "kpi-registered"):
        value = int(re.search(rf'data-testid="{testid}">(\d+)<', page).group(1))
        ledger = pages.get(_href(page, testid)).get_data(as_text=True)
        rows = ledger.count("<tr data-reg-no=")
        assert value > 0 and rows == value, (testid, value, rows)
        assert 'data-testid="kpi-filter"' in ledger  # the ledger says which figure it shows


def test_dashboard_page_is_for_officials_only(app, api, pages, clock):
    pages.login("owner1")
    assert pages.get("/dashboard").status_code == 403
    pages.login("inspector_zh")
    assert pages.get("/dashboard").status_code == 200


def test_notices_are_listed_for_the_owner_and_printable_only_by_those_who_see_the_project(app, api, pages, clock):
    pid = register(api)["id"]
    pages.login("owner1")
    listing = pages.get("/owner/notices").get_data(as_text=True)
    links = re.findall(r'href="(/notices/\d+)"', listing)
    assert len(links) == 3  # receipt, risk notice, commitment
    doc = pages.get(links[-1]).get_data(as_text=True)  # newest first: the receipt is last
    assert "思明-登记-2026-0001" in doc and "data-print" in doc  # static/js/page.js prints
    assert links[0] in pages.get(f"/projects/{pid}").get_data(as_text=True)
    from webapp.services.casefile import notice_pdf

    with app.test_request_context():
        has_font = notice_pdf.available()
    pdf = pages.get(links[-1] + ".pdf")
    if has_font:  # Debian: fonts-noto-cjk
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    pages.login("owner2")
    assert pages.get(links[0]).status_code == 404
    assert pages.get(links[0] + ".pdf").status_code == 404
    pages.login("inspector_hl")
    assert pages.get(links[0]).status_code == 404
