"""A patrol in a basement: the inspector opens the task with signal, the network is cut, the
patrol is filled (全部合格, then one exception) and submitted; it waits in the browser and is
applied once when the signal returns. Replaying its Idempotency-Key through the API returns the
first answer and changes nothing.

The network is cut for real: the browser reaches the app through a proxy on 127.0.0.1 that stops
passing traffic (the browser's offline switch alone does not reach a service worker's requests)."""

from __future__ import annotations

import socket
import threading
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from tests.conftest import ApiClient, registration_data
from tests.helpers.browser import sign_in

pytestmark = pytest.mark.browser


class SwitchableProxy:
    """Forwards TCP connections to the app while on; while off, drops every connection."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.on = True
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.on:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        self.on = False
        with self.lock:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.open.clear()

    def restore(self):
        self.on = True

    def close(self):
        self.cut()
        self.listener.close()


def test_patrol_filled_offline_is_applied_once_when_the_signal_returns(browser, live_server, live_app, shots):
    api = ApiClient(live_app.test_client())
    pid = api.post("owner1", "/api/v1/registrations", {"data": registration_data()}).get_json()["id"]
    first = api.task_of("inspector_lj", pid, "first_visit")
    api.complete("inspector_lj", first["id"], {"site_matches": "yes", "site_status": "IN_PROGRESS"})
    from webapp.services.lifecycle.timers import fire_due_timers

    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=15), tick=False), live_app.app_context():
        assert fire_due_timers("e2e") == 1
    patrol = api.task_of("inspector_lj", pid, "patrol")

    proxy = SwitchableProxy(int(live_server.rsplit(":", 1)[1]))
    base = f"http://127.0.0.1:{proxy.port}"
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, service_workers="allow"
    )
    page = context.new_page()
    try:
        sign_in(page, base, "inspector_lj")
        page.goto(f"{base}/tasks/{patrol['id']}")
        page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=15000)
        page.reload()  # now served through the worker, which keeps this copy
        page.wait_for_selector('[data-testid="task-form"]')
        key = page.input_value('input[name="idempotency_key"]')

        # Into the basement.
        proxy.cut()
        context.set_offline(True)
        page.select_option('select[name="site_status"]', "IN_PROGRESS")
        page.click("[data-all-ok]")  # 全部合格 …
        assert page.locator('input[type=radio][value="OK"]:checked').count() >= 10
        page.check('input[name="checklist.D02"][value="NOK"]')  # … then the exception
        page.check('input[name="outcome"][value="rectify"]')
        page.check('input[name="hazard_severity"][value="GENERAL"]')
        page.fill('textarea[name="hazard_description"]', "地下室临时用电电线乱拉乱接")
        page.click('button[name="action"][value="complete"]')
        page.wait_for_selector('[data-offline-page="queued"]', timeout=15000)
        page.screenshot(path=str(shots / "offline-queued.png"))
        assert "已保存在本机" in page.inner_text("body")
        assert api.tasks("inspector_lj", "patrol"), "nothing may reach the server without signal"

        # Out of the basement.
        proxy.restore()
        context.set_offline(False)
        page.wait_for_function(
            "document.querySelector('[data-offline-status]') && "
            "document.querySelector('[data-offline-status]').getAttribute('data-sent') === '1'",
            timeout=20000,
        )
        page.screenshot(path=str(shots / "offline-sent.png"))
        assert "已提交 1 项" in page.inner_text("[data-offline-status]")
    finally:
        context.close()
        proxy.close()

    assert api.tasks("inspector_lj", "patrol") == []
    history = api.project("city", pid)["history"]
    done = [h for h in history if h["kind"] == "task_completed" and h["element_id"] == "patrol"]
    assert len(done) == 1 and done[0]["data"]["checklist"]["D02"] == "NOK"
    assert done[0]["data"]["hazard_description"] == "地下室临时用电电线乱拉乱接"

    # The same key through the API: the first answer, nothing changed.
    replay = api.client.post(
        f"/api/v1/tasks/{patrol['id']}/complete",
        json={"data": {"outcome": "ok"}},
        headers={"Authorization": f"Bearer {api.token('inspector_lj')}", "Idempotency-Key": key},
    )
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["project_id"] == pid and replay.get_json()["stage"] == "enforcement"
    assert api.project("city", pid)["history"] == history
