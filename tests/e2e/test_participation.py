"""A property company and an entrusted supervisor in Chromium, in Chinese.

property_lj registers a facade renovation in its estate on the owner's behalf, sees its stars and
names the district's entrusted supervisor; entrusted_sm (on a phone) records an advisory log that
asks for a check; inspector_lj finds the lead in the inbox.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.e2e.test_lifecycle import PHONE, User, finish_registration

pytestmark = pytest.mark.browser


def test_property_company_and_entrusted_supervisor(browser, live_server, shots):
    today = date.today()
    company = User(browser, live_server).login("property_lj")
    page = company.page
    page.click("text=小区工程")
    assert "厦门鹭江物业服务有限公司" in page.inner_text("h1")
    assert page.locator('[data-testid="stars"]').count() == 1

    page.click("text=代业主登记")
    page.select_option('select[name="object_type"]', "SMALL_WORKS")
    page.select_option('select[name="category"]', "FACADE_RENOVATION")
    page.fill('input[name="title"]', "鹭江花园 3 栋外立面翻新")
    page.fill('textarea[name="description"]', "外墙涂料翻新，搭设落地脚手架。")
    page.click('button[value="next"]')
    page.select_option('select[name="street"]', "350203001")
    page.select_option('select[name="community"]', "350203001001")
    page.fill('input[name="address"]', "思明区鹭江花园 3 栋")
    page.select_option('select[name="place_type"]', "RESIDENTIAL_MANAGED")
    page.select_option('select[name="estate"]', label="鹭江街道 · 鹭江花园")
    page.click('button[value="next"]')
    finish_registration(page, today, risk_flags=("SCAFFOLD",), owner=False)
    reg_no = re.search(r"XM-350203-\d{8}-\d{4}", " ".join(company.flash())).group(0)

    page.select_option('#supervision select[name="supervisor_id"]', label="思明建设监理刘工")
    page.click('#supervision button[type="submit"]')
    page.wait_for_selector('[data-testid="supervisor"]')
    assert page.inner_text('[data-testid="supervisor"]') == "思明建设监理刘工"
    page.screenshot(path=str(shots / "property-project.png"), full_page=True)

    supervisor = User(browser, live_server, **PHONE).login("entrusted_sm")
    spage = supervisor.page
    spage.goto(live_server + "/supervision")
    spage.click(f'li.task[data-reg-no="{reg_no}"] .task-title a')
    spage.fill('#visited_on', today.isoformat())
    spage.fill('#findings', "脚手架连墙件缺失，存在坠落风险")
    spage.select_option('#concern', "MAJOR")
    spage.check('input[name="raise_lead"]')
    spage.click('[data-testid="advisory-form"] button[type="submit"]')
    spage.wait_for_selector('[data-testid="advisory-logs"]')
    assert "街道巡查员将核查该线索" in " ".join(supervisor.flash())
    assert "已生成" in spage.inner_text('[data-testid="advisory-logs"]')
    spage.screenshot(path=str(shots / "supervision-log-phone.png"), full_page=True)

    inspector = User(browser, live_server).login("inspector_lj")
    lead = inspector.page.locator('li.task', has_text="监理线索")
    assert lead.count() == 1 and "线索核查" in lead.inner_text()
