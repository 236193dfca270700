"""On a phone (360 x 740) the header title stays on one line, whole, and every control a finger
uses on the everyday pages -- inbox, a task with its form, the owner's home, notifications -- is a
target of at least 40 x 40 px: buttons, links styled as buttons, navigation items and tabs,
disclosures, and checkboxes and radios through their label. Plain links inside running text
(paragraphs, table cells, titles) are excepted: they are text, not controls."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClient, registration_data
from tests.helpers.browser import sign_in

pytestmark = pytest.mark.browser

# Each visible control, or the label of a checkbox/radio, smaller than 40 x 40 px.
SMALL_TARGETS = """() => {
  const shown = e => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
  const small = [];
  const controls = 'button, .btn, [role=button], input[type=submit], input[type=button], nav a, .tabs a, '
                 + 'select, summary, input[type=checkbox], input[type=radio]';
  document.querySelectorAll(controls).forEach(e => {
    let target = e;
    if (e.matches('input[type=checkbox], input[type=radio]')) {
      const label = e.closest('label') || (e.id && document.querySelector('label[for="' + CSS.escape(e.id) + '"]'));
      if (label && shown(label)) target = label;
    }
    if (!shown(target)) return;
    const r = target.getBoundingClientRect();
    if (r.width < 40 || r.height < 40) {
      const text = (e.innerText || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 24);
      small.push(`${e.tagName.toLowerCase()}.${String(e.className).trim().replace(/\\s+/g, '.')} "${text}" `
                 + `${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  });
  return small;
}"""

TITLE = """() => { const e = document.querySelector('.brand-text');
  return { lines: Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)),
           cut: e.scrollWidth > e.clientWidth }; }"""


def _check_page(page, shots, name: str) -> None:
    page.screenshot(path=str(shots / f"phone-{name}.png"), full_page=True)
    title = page.evaluate(TITLE)
    assert title == {"lines": 1, "cut": False}, (name, title)
    assert page.evaluate(SMALL_TARGETS) == [], name
    assert page.locator(".topbar").bounding_box()["height"] <= 64


def test_phone_header_title_and_tap_targets(browser, live_app, live_server, shots):
    api = ApiClient(live_app.test_client())
    project = api.post("owner1", "/api/v1/registrations", {"data": registration_data()}).get_json()
    inspector_task = next(t for t in api.tasks("inspector_lj") if t["project_id"] == project["id"])

    for username, pages in (
        ("inspector_lj", ["/inbox", f"/tasks/{inspector_task['id']}", "/notifications"]),
        ("owner1", ["/owner/projects", "/notifications"]),
    ):
        context = browser.new_context(
            locale="zh-CN",
            viewport={"width": 360, "height": 740},
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
        )
        page = context.new_page()
        try:
            sign_in(page, live_server, username)
            for path in pages:
                page.goto(live_server + path)
                _check_page(
                    page,
                    shots,
                    username + path.replace("/", "-").split("-tasks-")[0] + ("-task" if "/tasks/" in path else ""),
                )
            if username == "inspector_lj":  # the task page's form: its buttons and choices were checked above
                page.goto(f"{live_server}/tasks/{inspector_task['id']}")
                assert page.locator("main form button[type=submit], main form .btn").count() > 0
                assert page.locator("main form input[type=radio], main form input[type=checkbox]").count() > 0
        finally:
            context.close()
