"""The enforcement chain (执法处置) in Chromium, through the pages, in Chinese (issue 14).

A patrol finds an unauthorised structural change → the rectification order, its deadline seen
before submitting → the owner answers → the re-inspection fails → stop-work proposed with a
hand-over → the supervisor approves → 区住建 acknowledges the case; the letter names 区住建局 and
the resumption check is the inspector's before any decision; the stop order is served (refusal noted).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from tests.e2e.test_lifecycle import User, fire_timers, photo

pytestmark = pytest.mark.browser


def registered_and_verified(app) -> str:
    """Registration and first visit are not what this walk is about: done through the services."""
    from tests.conftest import registration_data
    from webapp.persistence.models import InboxTask, Project, db
    from webapp.persistence.models import User as Account
    from webapp.services.lifecycle import instances

    with app.app_context():
        owner = db.session.query(Account).filter_by(username="owner1").one()
        inspector = db.session.query(Account).filter_by(username="inspector_lj").one()
        project = instances.register_project(owner, registration_data(title="鹭江道 66 号住宅装修"))
        pid = project.id
        task = db.session.query(InboxTask).filter_by(project_id=pid, element_id="first_visit").one()
        instances.complete(inspector, task.id, {"site_matches": "yes", "site_status": "IN_PROGRESS"})
        return db.session.get(Project, pid).reg_no


def test_enforcement_chain_in_chromium(browser, live_server, live_app, shots, tmp_path):
    reg_no = registered_and_verified(live_app)
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=14, hours=1), tick=True):
        assert fire_timers(live_app) == 1
        inspector = User(browser, live_server).login("inspector_lj")
        ipage = inspector.page

        # 1. The patrol finds the load-bearing wall removed (A07) and orders rectification; the
        #    deadline the district proposes is on the form before it is sent.
        inspector.open_task(reg_no, "日常巡查")
        proposal = ipage.locator(".form-text", has_text="整改期限由区实施细则建议").inner_text()
        proposed = re.search(r"重大隐患 (\d{4}-\d{2}-\d{2})", proposal)
        assert proposed and "最迟 " in proposal and "—" not in proposal
        ipage.select_option('select[name="site_status"]', "IN_PROGRESS")
        for radio in ipage.locator('.check-item input[value="OK"]').all():
            radio.check()
        ipage.locator('.check-item[data-item="A07"] input[value="NOK"]').check()
        ipage.check('input[name="outcome"][value="rectify"]')
        ipage.fill('textarea[name="hazard_description"]', "擅自拆除卫生间承重墙")
        ipage.set_input_files('input[name="photos"]', photo(tmp_path / "wall.jpg", (150, 90, 40)))
        inspector.submit()
        assert any("已提交" in f for f in inspector.flash())

        # 2. The owner answers the order.
        owner = User(browser, live_server).login("owner1")
        owner.open_task(reg_no, "整改并提交整改材料")
        owner.page.fill('textarea[name="measures_taken"]', "已设置临时支撑")
        owner.page.fill('input[name="completed_on"]', datetime.now(timezone.utc).date().isoformat())
        owner.submit()
        assert any("已提交" in f for f in owner.flash())

        # 3. The re-inspection fails the hazard and proposes stop-work.
        inspector.open_task(reg_no, "复查")
        hazard = ipage.locator('[data-hazard="H1"]')
        assert "A07" in hazard.inner_text() and proposed.group(1) in hazard.inner_text()
        hazard.locator('input[value="failed"]').check()
        ipage.check('input[name="method"][value="onsite"]')
        ipage.check('input[name="failed_action"][value="escalate"]')
        inspector.submit()
        assert any("已提交" in f for f in inspector.flash())

        # 4. Stop-work proposed for the wall works, with a hand-over for an illegal structural change.
        inspector.open_task(reg_no, "提出停工意见")
        ipage.select_option('select[name="reason"]', "PROHIBITED_ACT")
        ipage.check('input[name="scope"][value="OPERATION"]')
        ipage.fill('input[name="scope_detail"]', "墙体拆除")
        ipage.fill('textarea[name="facts"]', "擅自拆除承重墙，复查仍未恢复")
        ipage.check('input[name="imminent"][value="no"]')
        ipage.check('input[name="handover"][value="yes"]')
        ipage.select_option('select[name="violation"]', "STRUCTURAL_CHANGE")
        inspector.submit()
        assert any("已提交" in f for f in inspector.flash())

        # 5. The street's supervisor approves.
        supervisor = User(browser, live_server).login("supervisor_lj")
        supervisor.open_task(reg_no, "审批责令停工")
        # The proposal's facts are in the history (behind 详情) beside the approval form.
        assert "擅自拆除承重墙，复查仍未恢复" in supervisor.page.locator('[data-testid="timeline"]').text_content()
        supervisor.page.check('input[name="approved"][value="yes"]')
        supervisor.page.fill('textarea[name="opinion"]', "同意局部停工并移送")
        supervisor.submit()
        assert any("已提交" in f for f in supervisor.flash())

        # 6. The case reaches 区住建 (P-16), not 区综合执法; the resumption check is already the inspector's.
        enforcer = User(browser, live_server).login("enforcer_sm")
        assert reg_no not in enforcer.page.inner_text("main")
        housing = User(browser, live_server).login("housing_sm")
        hpage = housing.page
        row = hpage.locator(f'li.task[data-reg-no="{reg_no}"]', has_text="接收移送案件（区住建）")
        assert row.count() == 1
        ipage.goto(live_server + "/inbox")
        assert ipage.locator(f'li.task[data-reg-no="{reg_no}"]', has_text="复工核查").count() == 1
        housing.open_task(reg_no, "接收移送案件（区住建）")
        hpage.check('input[name="received"]')
        hpage.fill('input[name="case_no"]', "思住建〔2026〕12号")
        housing.submit()
        assert any("已提交" in f for f in housing.flash())
        hpage.goto(live_server + "/inbox")
        assert hpage.locator(f'li.task[data-reg-no="{reg_no}"]', has_text="执法处置结果（区住建）").count() == 1

        # The case file: the hazard failed, the stop order for the wall works, the letter to 区住建局.
        ipage.goto(live_server + "/ledger")
        ipage.locator(f'tr[data-reg-no="{reg_no}"] a').first.click()
        assert "A07" in ipage.inner_text('[data-testid="hazards"]')
        documents = ipage.locator('[data-testid="documents"]')
        assert "责令限期整改通知书" in documents.inner_text() and "责令停工（暂停施工）通知书" in documents.inner_text()
        project_url = ipage.url
        documents.locator("a", has_text="案件移送函").click()
        letter = ipage.inner_text('[data-testid="notice"]')
        assert "思明区住建局" in letter and "擅自变动主体和承重结构" in letter
        ipage.goto(project_url)
        ipage.locator('[data-testid="documents"] a', has_text="责令停工").click()
        order = ipage.inner_text('[data-testid="notice"]')
        assert "停止墙体拆除作业" in order and "行政复议" in order and "同意局部停工并移送" not in order

        # The order is served on the site: the owner's agent refuses to sign, the inspector posts it,
        # photographs it and says so (送达回证); the record replaces the form and cannot be made twice.
        service = ipage.locator('[data-testid="service"]')
        assert "送达" in service.inner_text()
        service.locator('select[name="method"]').select_option("REFUSED")
        service.locator('input[name="served_to"]').fill("现场负责人 王某")
        service.locator('input[name="photos"]').set_input_files(photo(tmp_path / "posted.jpg", (200, 200, 200)))
        service.locator('textarea[name="note"]').fill("拒绝签收，已张贴于现场门口，见证人：社区网格员")
        service.locator('button[type="submit"]').click()
        # The upload and redirect take a moment on a loaded machine: wait for the answer's flash.
        ipage.locator(".flash", has_text="送达").first.wait_for()
        assert any("送达" in f for f in inspector.flash())
        record = ipage.inner_text('[data-testid="service"]')
        assert "拒收" in record and "现场负责人 王某" in record and "拒绝签收" in record
        assert ipage.locator('[data-testid="service"] a', has_text="照片").count() == 1
        assert ipage.locator('[data-testid="service"] form').count() == 0
        ipage.screenshot(path=str(shots / "stop-order.png"), full_page=True)
    for user in (inspector, owner, supervisor, enforcer, housing):
        user.context.close()
