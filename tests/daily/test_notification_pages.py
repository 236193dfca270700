"""The notification centre page: the count in the navigation, the list, mark read, preferences."""

from __future__ import annotations

import re

from tests.helpers.pages import Pages


def test_centre_page_counts_lists_and_marks_read(app, client, clock):
    from webapp.services.notifications.worker import work

    pages = Pages(client)
    pages.register()
    clock.advance(days=4, hours=2)  # the first visit is due within 24 h
    with app.app_context():
        work("w1")
    pages.login("inspector_lj")
    page = client.get("/inbox").get_data(as_text=True)
    count = int(re.search(r'data-testid="notification-count">(\d+)<', page).group(1))
    assert count >= 1
    centre = client.get("/notifications").get_data(as_text=True)
    assert "即将到期" in centre and "首次核实" in centre and 'class="note unread' in centre
    note_id = re.search(r'/notifications/open/(\d+)', centre).group(1)
    opened = client.post(f"/notifications/open/{note_id}")
    assert opened.status_code == 302 and opened.headers["Location"].startswith("/tasks/")
    page = client.get("/inbox").get_data(as_text=True)
    after = re.search(r'data-testid="notification-count">(\d+)<', page)
    assert (int(after.group(1)) if after else 0) == count - 1
    client.post("/notifications/read")
    assert 'data-testid="notification-count"' not in client.get("/inbox").get_data(as_text=True)


def test_preferences_form_reports_errors_beside_fields(app, client):
    pages = Pages(client)
    pages.login("inspector_lj")
    resp = client.post("/notifications/preferences", data={"channels": "console", "quiet_start": "22:00"})
    assert resp.status_code == 422
    assert "免打扰时段需同时填写开始和结束" in resp.get_data(as_text=True)
    resp = client.post(
        "/notifications/preferences",
        data={"channels": "console", "quiet_start": "22:00", "quiet_end": "07:00", "muted": "new_task"},
    )
    assert resp.status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert 'value="22:00"' in page and re.search(r'value="new_task" checked', page)
    # The delivery log is for operations only.
    assert client.get("/ops/deliveries").status_code == 403
