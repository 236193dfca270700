"""In Chromium: the modeler and a project's diagram open with the whole diagram in view, and 部署
asks first; an unchanged diagram deployed anyway makes no new version."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.conftest import registration_data

pytestmark = pytest.mark.browser

# Every drawn shape lies inside the visible canvas (a pixel of tolerance for anti-aliasing).
OUTSIDE = """(canvas) => {
  const box = document.querySelector(canvas).getBoundingClientRect();
  const shapes = [...document.querySelectorAll(canvas + ' .djs-element.djs-shape')];
  return {count: shapes.length, outside: shapes.map(s => [s.getAttribute('data-element-id'), s.getBoundingClientRect()])
    .filter(([, r]) => r.left < box.left - 1 || r.top < box.top - 1 || r.right > box.right + 1 || r.bottom > box.bottom + 1)
    .map(([id]) => id)};
}"""


def _api(base, path, body=None, token=None):
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def _login(page, base, username):
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", "demo12345")
    page.press("#password", "Enter")
    page.wait_for_load_state()


def test_diagrams_open_whole_and_deploy_asks_first(browser, live_server, shots):
    base = live_server
    owner = _api(base, "/api/v1/auth/token", {"username": "owner1", "password": "demo12345"})["token"]
    project = _api(base, "/api/v1/registrations", {"data": registration_data()}, token=owner)
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _login(page, base, "inspector_lj")
        page.goto(f"{base}/projects/{project['id']}")
        page.click("[data-testid=diagram] summary")
        page.wait_for_selector(".bpmn-canvas[data-ready]")
        page.screenshot(path=str(shots / "project-diagram-fitted.png"))
        seen = page.evaluate(OUTSIDE, ".bpmn-canvas")
        assert seen["count"] > 50 and seen["outside"] == [], seen

        page.click("form.logout button")
        _login(page, base, "designer")
        page.goto(base + "/designer")
        page.click("[data-testid=process-small_works] [data-testid=edit-bpmn]")
        page.wait_for_selector("#canvas[data-ready='1']")
        page.screenshot(path=str(shots / "modeler-fitted.png"))
        seen = page.evaluate(OUTSIDE, "#canvas")
        assert seen["count"] > 50 and seen["outside"] == [], seen

        # 部署 asks; saying no sends nothing.
        questions: list[str] = []
        page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
        page.click("[data-testid=btn-deploy]")
        assert questions and "新版本" in questions[0]
        assert page.inner_text("[data-testid=editor-status]").strip() == ""
        # Saying yes to an unchanged diagram (written afresh by the modeler): no new version.
        page.once("dialog", lambda d: d.accept())
        page.click("[data-testid=btn-deploy]")
        page.wait_for_selector("[data-testid=editor-status].warning")
        assert "与第 1 版相同" in page.inner_text("[data-testid=editor-status]")
        designer = _api(base, "/api/v1/auth/token", {"username": "designer", "password": "demo12345"})["token"]
        request = urllib.request.Request(
            base + "/api/v1/process-versions", headers={"Authorization": f"Bearer {designer}"}
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert [v["version"] for v in json.loads(resp.read())] == [1]
        assert errors == []
    finally:
        page.close()
