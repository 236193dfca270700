"""Chromium: the district dashboard's overdue figure opens exactly the ledger rows it counts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from tests.conftest import ApiClient, registration_data
from tests.helpers.browser import sign_in

pytestmark = pytest.mark.browser
DESK = {"viewport": {"width": 1366, "height": 900}}


def seed(app) -> dict[str, list[str]]:
    """Registered ten days ago and never visited: each first visit (due in 5 days) is overdue now."""
    api = ApiClient(app.test_client())
    made = {"lj": [], "zh": [], "hl": []}
    with time_machine.travel(datetime.now(timezone.utc) - timedelta(days=10), tick=False):
        start = (datetime.now(timezone.utc) + timedelta(days=4)).date()
        dates = {"planned_start": start.isoformat(), "planned_end": (start + timedelta(days=40)).isoformat()}
        for key, street, community in (
            ("lj", "350203001", "350203001001"),
            ("lj", "350203001", "350203001002"),
            ("zh", "350203002", "350203002001"),
            ("hl", "350206001", "350206001001"),
        ):
            resp = api.post(
                "owner1",
                "/api/v1/registrations",
                {"data": registration_data(street=street, community=community, title=f"{key} 工程", **dates)},
            )
            assert resp.status_code == 201, resp.get_json()
            made[key].append(resp.get_json()["reg_no"])
    return made


def signed_in(browser, base: str, username: str):
    context = browser.new_context(locale="zh-CN", **DESK)
    page = context.new_page()
    return context, sign_in(page, base, username)


def test_district_dashboard_overdue_figure_opens_its_ledger_rows(live_app, live_server, browser, shots):
    made = seed(live_app)
    context, page = signed_in(browser, live_server, "admin_sm")
    page.click("nav.mainnav >> text=数据看板")
    page.wait_for_selector("[data-testid=kpi-overdue]")
    page.wait_for_function("document.querySelector('#chart-weekly').width > 0")  # Chart.js drew
    page.screenshot(path=str(shots / "dashboard-district.png"), full_page=True)
    overdue = page.locator("[data-testid=kpi-overdue]")
    shown = int(overdue.inner_text())
    assert shown == 3  # 鹭江 2 + 中华 1; 湖里 is another district

    overdue.click()
    page.wait_for_url(re.compile(r"/ledger\?.*overdue=1"))
    page.wait_for_selector("[data-testid=kpi-filter]")
    rows = page.locator("[data-testid=ledger] tbody tr")
    listed = sorted(rows.nth(i).get_attribute("data-reg-no") for i in range(rows.count()))
    assert listed == sorted(made["lj"] + made["zh"])
    page.screenshot(path=str(shots / "dashboard-ledger-overdue.png"), full_page=True)

    # Per street: 鹭江's figure lists 鹭江's rows only.
    page.go_back()
    page.click("[data-testid=overdue-street-350203001]")
    page.wait_for_url(re.compile(r"street=350203001"))
    rows = page.locator("[data-testid=ledger] tbody tr")
    assert sorted(rows.nth(i).get_attribute("data-reg-no") for i in range(rows.count())) == sorted(made["lj"])
    context.close()


def test_heatmap_marks_the_projects_waiting_on_the_diagram(live_app, live_server, browser, shots):
    seed(live_app)
    context, page = signed_in(browser, live_server, "admin_sm")
    page.goto(f"{live_server}/dashboard")
    page.click("[data-testid=heatmap-link]")
    page.wait_for_selector("[data-testid=heatmap][data-ready='1']")
    badge = page.locator(".heat-badge[data-element=first_visit]")
    assert badge.inner_text() == "3"  # 思明: 鹭江 2 + 中华 1, never visited
    page.screenshot(path=str(shots / "dashboard-heatmap.png"), full_page=True)
    context.close()


def test_ledger_export_downloads_with_its_progress_on_the_page(live_app, live_server, browser, shots, tmp_path):
    from openpyxl import load_workbook

    made = seed(live_app)
    context, page = signed_in(browser, live_server, "admin_sm")
    page.goto(f"{live_server}/ledger")
    status = page.locator("[data-testid=export-status]")
    assert status.is_hidden()
    with page.expect_download() as download:
        page.click("[data-testid=export]")
    page.wait_for_function("document.querySelector('[data-export-text]').textContent.startsWith('已导出')")
    assert status.is_visible() and "已导出 3 行" in status.inner_text()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.startswith("ledger-") and path.suffix == ".xlsx"
    rows = list(load_workbook(path).active.iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in rows) == sorted(made["lj"] + made["zh"])
    page.screenshot(path=str(shots / "ledger-export.png"), full_page=True)
    context.close()
