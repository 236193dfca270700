"""In Chromium: a designer adds a user task to the shipped process in the modeler and deploys it;
a project registered afterwards shows that task in the inspectors' inbox, with no restart."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import registration_data
from tests.helpers.browser import sign_in
from tests.helpers.designer import shipped_bpmn

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture
def live_server(tmp_path, monkeypatch, sqlite_template):
    """The whole app on 127.0.0.1 with CSRF on, as in production; one process for the whole test."""
    from werkzeug.serving import make_server

    from tests.conftest import copy_sqlite
    from webapp import create_app
    from webapp.config import Config

    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setenv("INSTANCE_DIR", str(instance))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    copy_sqlite(sqlite_template, instance / "xiaosan.db")
    app = create_app(Config(TESTING=True))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser_page():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        yield page
        browser.close()


def api(base: str, method: str, path: str, body=None, token: str | None = None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def token(base: str, username: str) -> str:
    return api(base, "POST", "/api/v1/auth/token", {"username": username, "password": "demo12345"})["token"]


# Drawn as a designer would: a new user task in the inspectors' lane, the flow from 风险分级
# re-pointed to it, and a new flow from it on to 首次核实. Returns the new task's id.
ADD_TASK = """() => {
  const m = window.designerModeler;
  const registry = m.get('elementRegistry'), modeling = m.get('modeling'), factory = m.get('elementFactory');
  const flow = registry.get('f_classified'), next = registry.get('first_visit'), lane = registry.get('Lane_inspector');
  const shape = modeling.createShape(factory.createShape({ type: 'bpmn:UserTask' }),
    { x: next.x + next.width / 2, y: lane.y + lane.height - 60 }, registry.get('Participant_small_works'));
  modeling.reconnectEnd(flow, shape, { x: shape.x, y: shape.y + shape.height / 2 });
  modeling.connect(shape, next);
  m.get('selection').select(shape);
  m.get('canvas').scrollToElement(shape);
  return shape.id;
}"""


def test_a_task_added_in_the_modeler_reaches_the_right_inbox_without_a_restart(live_server, browser_page, shots):
    base, page = live_server, browser_page
    sign_in(page, base, "designer")
    page.goto(base + "/designer")
    page.click("[data-testid=process-small_works] [data-testid=edit-bpmn]")
    page.wait_for_selector("#canvas[data-ready='1']")

    task_id = page.evaluate(ADD_TASK)
    assert page.inner_text("[data-testid=inspector-id]") == task_id
    assert "镇街巡查员" in page.inner_text("#inspector")  # the lane it landed in, and its role
    page.fill("[data-testid=inspector-name]", "安全交底确认")
    page.press("[data-testid=inspector-name]", "Tab")
    page.select_option("[data-testid=inspector-form]", "permit_referral")
    page.fill("[data-testid=inspector-status]", "待安全交底")
    page.press("[data-testid=inspector-status]", "Tab")

    page.click("[data-testid=btn-check]")
    page.wait_for_selector("[data-testid=editor-status].error")
    # The diagram is valid, but the shipped scenarios expected 首次核实 where the new task now waits:
    # each failing one is listed, and the element after which its path went elsewhere is marked.
    assert "场景测试未通过" in page.inner_text("[data-testid=editor-status]")
    assert "owner_no_hazard_written_off.json" in page.inner_text("[data-testid=problems]")
    before = re.search(r'id="f_classified"[^>]*sourceRef="(\w+)"', shipped_bpmn()).group(1)
    assert page.locator(f"g.djs-element.has-problem[data-element-id={before}]").count() == 1
    page.fill("#deploy-note", "首次核实前增加安全交底")
    page.once("dialog", lambda dialog: dialog.accept())  # 部署 asks first
    page.click("[data-testid=btn-deploy]")
    page.wait_for_selector("[data-testid=editor-status].error")  # refused: no override
    assert len(api(base, "GET", "/api/v1/process-versions", token=token(base, "designer"))) == 1
    page.check("[data-testid=deploy-override]")
    page.fill("[data-testid=deploy-override-reason]", "新增安全交底，场景随后更新")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=btn-deploy]")
    page.wait_for_selector("[data-testid=deployed-link]")
    page.screenshot(path=str(shots / "designer-modeler-deployed.png"))
    assert page.errors == []

    versions = api(base, "GET", "/api/v1/process-versions", token=token(base, "designer"))
    assert [(v["version"], v["is_latest"]) for v in versions] == [(2, True), (1, False)]
    assert versions[0]["changes"]["elements"]["added"] == [{"id": task_id, "name": "安全交底确认"}]
    assert versions[0]["note"] == "首次核实前增加安全交底"
    assert versions[0]["changes"]["scenario_override"]["reason"] == "新增安全交底，场景随后更新"
    assert "owner_no_hazard_written_off" in versions[0]["changes"]["scenario_override"]["scenarios"]

    project = api(base, "POST", "/api/v1/registrations", {"data": registration_data()}, token=token(base, "owner1"))
    inspector_tasks = api(base, "GET", "/api/v1/tasks", token=token(base, "inspector_lj"))
    mine = [t for t in inspector_tasks if t["project_id"] == project["id"]]
    assert [(t["element_id"], t["title"], t["form_key"]) for t in mine] == [
        (task_id, "安全交底确认", "permit_referral")
    ]
    assert project["status"] == "待安全交底"
    owner_tasks = api(base, "GET", "/api/v1/tasks", token=token(base, "owner1"))
    assert not [t for t in owner_tasks if t["element_id"] == task_id]

    # And on the inspector's own inbox page.
    page.click("form.logout button")
    sign_in(page, base, "inspector_lj")
    page.goto(base + "/inbox")
    assert "安全交底确认" in page.inner_text("main")
    page.screenshot(path=str(shots / "designer-inbox-after-deploy.png"))


def test_problems_are_marked_on_the_diagram(live_server, browser_page, shots):
    base, page = live_server, browser_page
    sign_in(page, base, "designer")
    page.goto(base + "/designer/versions/1/bpmn")
    page.wait_for_selector("#canvas[data-ready='1']")
    page.evaluate(
        "() => window.designerModeler.get('selection').select("
        "window.designerModeler.get('elementRegistry').get('first_visit'))"
    )
    page.select_option("[data-testid=inspector-form]", "")
    page.click("[data-testid=btn-check]")
    page.wait_for_selector("[data-testid=editor-status].error")
    assert page.is_visible("[data-testid=problems]")
    assert "first_visit" in page.inner_text("[data-testid=problems]")
    assert page.locator("g.djs-element.has-problem[data-element-id=first_visit]").count() == 1
    assert page.locator(".problem-badge").count() == 1
    assert "用户任务没有指定表单" in page.inner_text("#inspector")
    page.screenshot(path=str(shots / "designer-modeler-problems.png"))
    # Validation deployed nothing.
    assert len(api(base, "GET", "/api/v1/process-versions", token=token(base, "designer"))) == 1


def test_a_service_tasks_topic_is_edited_and_an_empty_one_is_a_problem(live_server, browser_page):
    base, page = live_server, browser_page
    sign_in(page, base, "designer")
    page.goto(base + "/designer/versions/1/bpmn")
    page.wait_for_selector("#canvas[data-ready='1']")
    page.evaluate(
        "() => window.designerModeler.get('selection').select("
        "window.designerModeler.get('elementRegistry').get('refer_permit'))"
    )
    assert page.input_value("[data-testid=inspector-topic]") == "permit-referral"
    assert page.input_value("[data-testid=inspector-form]") == "permit_decision"
    page.fill("[data-testid=inspector-topic]", "")
    page.press("[data-testid=inspector-topic]", "Tab")
    page.click("[data-testid=btn-check]")
    page.wait_for_selector("[data-testid=editor-status].error")
    assert "refer_permit" in page.inner_text("[data-testid=problems]")
    assert "没有主题" in page.inner_text("#inspector")
