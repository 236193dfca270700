"""The whole 纳管 loop in Chromium, as the users do it, in Chinese.

owner1 registers → inspector_lj verifies, later patrols and orders rectification → owner1 answers
with an evidence photo (first forgetting a required field) → inspector_lj re-inspects and passes
it → owner1 declares completion → inspector_lj writes the project off.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from PIL import Image

from tests.helpers.browser import sign_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1366, "height": 900}}


def photo(path, color):
    image = Image.new("RGB", (640, 480), color)
    for x in range(0, 640, 40):
        for y in range(0, 480, 40):
            if (x + y) // 40 % 2:
                image.paste((255, 255, 255), (x, y, x + 20, y + 20))
    image.save(path, "JPEG")
    return str(path)


class User:
    """One person at one browser: signs in, follows the inbox, fills forms."""

    def __init__(self, browser, base, **context):
        self.context = browser.new_context(locale="zh-CN", **(context or DESK))
        self.page = self.context.new_page()
        self.base = base

    def login(self, username):
        sign_in(self.page, self.base, username)
        return self

    def logout(self):
        self.page.click(".logout button")
        self.page.wait_for_selector("#username")

    def open_task(self, reg_no, title):
        page = self.page
        page.goto(self.base + "/inbox")
        row = page.locator(f'li.task[data-reg-no="{reg_no}"]', has_text=title)
        row.locator(".task-title a").click()
        page.wait_for_selector('[data-testid="task-form"]')

    def submit(self):
        self.page.click('button[name="action"][value="complete"]')
        self.page.wait_for_load_state()

    def flash(self):
        return self.page.locator(".flash").all_inner_texts()


def finish_registration(page, today, risk_flags, owner=True):
    """The registration form's last three steps (owner and contractor, scale and dates, commitment),
    then submit and land on the project page."""
    page.select_option('select[name="owner_type"]', "INDIVIDUAL")
    page.fill('input[name="owner_name"]', "张三")
    page.fill('input[name="owner_id_no"]', "350203198001011234")
    page.fill('input[name="owner_phone"]', "13800001111")
    page.select_option('select[name="contractor_type"]', "QUALIFIED_ENTERPRISE")
    page.fill('input[name="contractor_name"]', "厦门安建装饰工程有限公司")
    page.fill('input[name="site_manager_name"]', "李四")
    page.fill('input[name="site_manager_phone"]', "13900002222")
    page.fill('input[name="worker_count"]', "6")
    page.click('button[value="next"]')
    page.fill('input[name="investment_wan"]', "35")
    page.fill('input[name="floor_area_m2"]', "180")
    page.fill('input[name="planned_start"]', (today + timedelta(days=4)).isoformat())
    page.fill('input[name="planned_end"]', (today + timedelta(days=60)).isoformat())
    for flag in risk_flags:
        page.check(f'input[name="risk_flags"][value="{flag}"]')
    page.click('button[value="next"]')
    if owner:  # staff registering for an owner never see the owner's commitment
        page.check('input[name="commitment_signed"]')
    page.click('button[value="submit"]')
    page.wait_for_selector('[data-testid="project"]')


def fire_timers(app):
    from webapp.services.lifecycle.timers import fire_due_timers

    with app.app_context():
        return fire_due_timers("e2e-worker")


def test_lifecycle_in_chromium(browser, live_server, live_app, shots, tmp_path):
    today = date.today()
    owner = User(browser, live_server).login("owner1")
    page = owner.page

    # 1. owner1 registers in steps; the first step is sent without the project name.
    page.click("text=登记项目")
    page.select_option('select[name="object_type"]', "SMALL_WORKS")
    page.select_option('select[name="category"]', "FITOUT_NONRESIDENTIAL")
    page.fill('textarea[name="description"]', "店面室内装修，含吊顶、水电改造和招牌更换。")
    page.click('button[value="next"]')
    error = page.locator('[data-field="title"] .field-error')
    assert error.inner_text() == "此项为必填项"
    assert "第 1 步" in page.inner_text(".page-head")
    page.fill('input[name="title"]', "鹭江道 88 号店面装修")
    page.click('button[value="next"]')
    page.select_option('select[name="street"]', "350203001")
    page.select_option('select[name="community"]', "350203001001")
    page.fill('input[name="address"]', "思明区鹭江道 88 号")
    page.select_option('select[name="place_type"]', "SHOP_STREET")
    page.click('button[value="next"]')
    finish_registration(page, today, risk_flags=("HEIGHT_2M", "TEMP_POWER"))
    flash = " ".join(owner.flash())
    reg_no = re.search(r"XM-350203-\d{8}-\d{4}", flash).group(0)
    assert "登记成功" in flash and "待首次核实" in page.inner_text('[data-testid="project"]')

    # 2. inspector_lj: the first visit, from the inbox.
    inspector = User(browser, live_server).login("inspector_lj")
    ipage = inspector.page
    assert reg_no in ipage.inner_text('[data-testid="tasklist"]')
    assert ipage.inner_text('[data-testid="inbox-count"]') == "1"
    ipage.screenshot(path=str(shots / "inbox-desk.png"), full_page=True)
    inspector.open_task(reg_no, "首次核实")
    ipage.check('input[name="site_matches"][value="yes"]')
    ipage.select_option('select[name="site_status"]', "IN_PROGRESS")
    inspector.submit()
    assert any("已提交" in f for f in inspector.flash())

    # Fourteen days later (medium risk) the patrol timer fires.
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=14, hours=1), tick=True):
        assert fire_timers(live_app) == 1

        # 3. inspector_lj patrols: one checklist item not OK, rectification ordered, with a photo.
        inspector.open_task(reg_no, "日常巡查")
        ipage.select_option('select[name="site_status"]', "IN_PROGRESS")
        for radio in ipage.locator('.check-item input[value="OK"]').all():
            radio.check()
        ipage.locator('.check-item[data-item="D02"] input[value="NOK"]').check()
        ipage.check('input[name="outcome"][value="rectify"]')
        ipage.check('input[name="hazard_severity"][value="GENERAL"]')
        ipage.fill('textarea[name="hazard_description"]', "临时用电电线乱拉乱接，未设漏电保护")
        ipage.set_input_files('input[name="photos"]', photo(tmp_path / "hazard.jpg", (190, 40, 40)))
        ipage.screenshot(path=str(shots / "task-patrol-desk.png"), full_page=True)
        inspector.submit()
        assert any("已提交" in f for f in inspector.flash())

        # 4. owner1 reads the order and answers it, first forgetting the measures taken.
        page.goto(live_server + "/owner/notices")
        assert "责令限期整改通知" in page.inner_text("main") and "临时用电电线乱拉乱接" in page.inner_text("main")
        owner.open_task(reg_no, "整改并提交整改材料")
        page.set_input_files('input[name="photos"]', photo(tmp_path / "fixed.jpg", (40, 150, 60)))
        page.fill('input[name="completed_on"]', datetime.now(timezone.utc).date().isoformat())
        owner.submit()
        error = page.locator('[data-field="measures_taken"] .field-error')
        assert error.inner_text() == "此项为必填项"
        assert page.locator('[data-field="photos"] img').count() == 1  # the photo is kept
        page.fill('textarea[name="measures_taken"]', "已重新敷设电缆并加装漏电保护器")
        owner.submit()
        assert any("已提交" in f for f in owner.flash())

        # 5. inspector_lj re-inspects, sees the evidence photo, passes it.
        inspector.open_task(reg_no, "复查")
        evidence = ipage.locator('[data-testid="timeline"] img').last
        evidence.scroll_into_view_if_needed()
        ipage.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=evidence.element_handle())
        assert "已重新敷设电缆并加装漏电保护器" in ipage.inner_text('[data-testid="timeline"]')
        # One hazard per failed item: D02 is H1, judged on its own line with its deadline beside it.
        hazard = ipage.locator('[data-field="hazard_results"] [data-hazard="H1"]')
        assert "D02" in hazard.inner_text() and "整改期限" in hazard.inner_text()
        hazard.locator('input[value="passed"]').check()
        ipage.check('input[name="method"][value="onsite"]')
        inspector.submit()
        assert any("已提交" in f for f in inspector.flash())

        # 6. owner1 declares completion.
        owner.open_task(reg_no, "申报完工")
        page.fill('input[name="actual_end"]', datetime.now(timezone.utc).date().isoformat())
        for key in ("scaffold_removed", "temp_power_removed", "debris_cleared", "no_structural_change"):
            page.check(f'input[name="{key}"]')
        owner.submit()
        assert any("已提交" in f for f in owner.flash())

        # 7. inspector_lj writes the project off.
        inspector.open_task(reg_no, "完工核销")
        for key in ("scaffold_removed", "temp_power_removed", "debris_cleared"):
            ipage.check(f'input[name="{key}"]')
        ipage.check('input[name="outcome"][value="written_off"]')
        inspector.submit()
        assert any("已提交" in f for f in inspector.flash())

        # The case file: written off, the hazard closed, the diagram marks the path taken.
        ipage.goto(live_server + "/ledger")
        ipage.locator(f'tr[data-reg-no="{reg_no}"] a').first.click()
        assert "已核销" in ipage.inner_text('[data-testid="project"]')
        assert "已销号" in ipage.inner_text('[data-testid="hazards"]')
        ipage.click('[data-testid="diagram"] summary')
        ipage.wait_for_selector(".bpmn-canvas[data-ready]")
        assert ipage.locator(".djs-element.done").count() >= 8
        ipage.screenshot(path=str(shots / "project-desk.png"), full_page=True)
    for user in (owner, inspector):
        user.context.close()


def test_inbox_and_task_page_on_a_phone(browser, live_server, live_app, shots):
    """The pages inspectors use on site fit a phone screen (no sideways scrolling)."""
    from tests.conftest import registration_data
    from webapp.persistence.models import User as Account
    from webapp.persistence.models import db
    from webapp.services.lifecycle import instances

    with live_app.app_context():
        owner = db.session.query(Account).filter_by(username="owner1").one()
        for n in range(3):
            instances.register_project(owner, registration_data(title=f"鹭江道 {n + 1} 号店面装修"))
    phone = User(browser, live_server, **PHONE).login("inspector_lj")
    page = phone.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "inbox-phone.png"), full_page=True)
    page.locator(".task-title a").first.click()
    page.wait_for_selector('[data-testid="task-form"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "task-phone.png"), full_page=True)
    phone.context.close()
