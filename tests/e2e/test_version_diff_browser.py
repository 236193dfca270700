"""In Chromium: a designer opens a version's diff, sees the added and changed elements marked on the
diagram, and deploys the earlier version again in one step (a new version appears, its diff marking
what the rollback removed)."""

from __future__ import annotations

import io
import json
import urllib.request
import uuid

import pytest

from tests.helpers.browser import sign_in
from tests.helpers.designer import OVERRIDE, shipped_bpmn, with_briefing_after_first_visit

pytestmark = pytest.mark.browser

MARKED = """(selector) => [...document.querySelectorAll(selector + ' .djs-element')]
  .filter(e => [...e.classList].some(c => c.startsWith('diff-')))
  .map(e => [e.getAttribute('data-element-id'), [...e.classList].find(c => c.startsWith('diff-'))])"""


def _briefing_drawn() -> str:
    """安全交底确认 after 首次核实, with a shape so the diagram draws it; 首次核实 renamed."""
    bpmn = with_briefing_after_first_visit(shipped_bpmn()).replace('name="首次核实"', 'name="首次现场核实"', 1)
    shape = (
        '<bpmndi:BPMNShape id="safety_briefing_di" bpmnElement="safety_briefing">'
        '<dc:Bounds x="1710" y="620" width="100" height="80"/></bpmndi:BPMNShape>\n    </bpmndi:BPMNPlane>'
    )
    return bpmn.replace("</bpmndi:BPMNPlane>", shape, 1)


def _call(base, path, token=None, body=None, files=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if files is not None:  # multipart, as curl -F sends it
        boundary = uuid.uuid4().hex
        out = io.BytesIO()
        for name, value in body.items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for filename, text in files.items():
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
                f'Content-Type: application/xml\r\n\r\n'.encode()
                + text.encode()
                + b"\r\n"
            )
        out.write(f"--{boundary}--\r\n".encode())
        data, headers["Content-Type"] = out.getvalue(), f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    with urllib.request.urlopen(urllib.request.Request(base + path, data=data, headers=headers), timeout=60) as resp:
        return json.loads(resp.read() or b"null")


def test_a_designer_sees_the_diff_and_rolls_back(browser, live_server, shots):
    base = live_server
    token = _call(base, "/api/v1/auth/token", body={"username": "designer", "password": "demo12345"})["token"]
    v1 = _call(base, "/api/v1/process-versions", token)[0]
    v2 = _call(
        base,
        "/api/v1/process-versions",
        token,
        files={"small_works.bpmn": _briefing_drawn()},
        body={"note": "首次核实后安全交底", "override_failing_scenarios": "true", "override_reason": OVERRIDE},
    )
    assert v2["version"] == 2

    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())  # 重新部署 asks first
    try:
        sign_in(page, base, "designer")
        page.goto(f"{base}/designer/versions/{v2['id']}")
        page.wait_for_selector("[data-testid=diff-new][data-ready='1']")
        page.wait_for_selector("[data-testid=diff-old][data-ready='1']")
        page.screenshot(path=str(shots / "version-diff.png"), full_page=True)
        new = dict(page.evaluate(MARKED, "[data-testid=diff-new]"))
        old = dict(page.evaluate(MARKED, "[data-testid=diff-old]"))
        assert new["safety_briefing"] == "diff-added"  # f_briefed has no edge drawn: listed only
        assert new["first_visit"] == "diff-changed" and old["first_visit"] == "diff-changed"
        assert new["f_first_visit_done"] == "diff-changed" and new["Lane_inspector"] == "diff-changed"
        assert "safety_briefing" not in old and "gw_first_visit" not in new
        assert page.locator("[data-testid=diff-new] .diff-badge-added").count() == 1
        assert page.locator("[data-diff-element=f_briefed]").count() == 1
        assert page.locator("[data-testid=diff-against]").inner_text() == "从第 1 版到第 2 版。"

        # Back to version 1 in one step, from its page.
        page.goto(f"{base}/designer/versions/{v1['id']}")
        page.fill("#rollback-note", "交底步骤暂缓")
        page.click("[data-testid=rollback-button]")
        page.wait_for_selector("[data-testid=version-line]")
        assert "v3" in page.locator("h1").inner_text()
        assert "由第 1 版重新部署" in page.locator("[data-testid=version-line]").inner_text()
        page.wait_for_selector("[data-testid=diff-old][data-ready='1']")
        removed = dict(page.evaluate(MARKED, "[data-testid=diff-old]"))
        assert removed["safety_briefing"] == "diff-removed"
        page.screenshot(path=str(shots / "version-rolled-back.png"), full_page=True)
        assert errors == []
    finally:
        page.close()
    latest = _call(base, "/api/v1/process-versions", token)[0]
    assert (latest["version"], latest["rollback_of"], latest["note"], latest["is_latest"]) == (
        3,
        1,
        "交底步骤暂缓",
        True,
    )
