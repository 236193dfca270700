"""District rules pages: own district only, edit with validation and preview, history, city view."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from tests.helpers.district_rules import HULI, SIMING, huli_registration
from tests.helpers.pages import login, text, untranslated

EDIT = f"/rules/{HULI}/edit"


def edit_form(client, **changes) -> MultiDict:
    """The edit form as the browser would post it: every field as shown, then `changes`."""
    page = text(client.get(EDIT))
    data = MultiDict()
    for name, value in re.findall(r'<input id="r-[^"]*" name="([^"]+)" type="text" value="([^"]*)"', page):
        data[name] = value
    for name, value in re.findall(r'<input type="checkbox" name="([^"]+)" value="([^"]+)" checked', page):
        data.add(name, value)
    for name, body in re.findall(r'<select (?:id="r-[^"]*" )?name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        data[name] = re.search(r'<option value="([^"]*)" selected', body).group(1)
    for name, body in re.findall(r'<textarea id="r-[^"]*" name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        data[name] = body
    data["base_version"] = re.search(r'name="base_version" value="(\d+)"', page).group(1)
    for name, value in changes.items():
        if isinstance(value, list):
            data.setlist(name, value)
        else:
            data[name] = value
    return data


@pytest.mark.parametrize(
    "username, code, status",
    [
        ("admin_hl", HULI, 200),
        ("admin_sm", HULI, 403),
        ("admin_sm", SIMING, 200),
        ("city", HULI, 200),
        ("owner1", HULI, 403),
        ("admin_hl", "999999", 404),
    ],
)
def test_rule_pages_are_scoped(client, username, code, status):
    login(client, username)
    assert client.get(f"/rules/{code}").status_code == status
    assert client.get(f"/rules/{code}/history").status_code == status


def test_admin_sm_can_neither_open_nor_post_the_huli_edit_form(client):
    login(client, "admin_sm")
    assert client.get(EDIT).status_code == 403
    resp = client.post(EDIT, data={"rectify_general": "PT30S", "reason": "越权", "action": "save"})
    assert resp.status_code == 403
    login(client, "admin_hl")
    assert "data-version=" not in text(client.get(f"/rules/{HULI}/history"))


def test_admin_previews_then_saves_and_the_history_shows_the_change(app, client, clock):
    from tests.conftest import ApiClient

    api = ApiClient(app.test_client())
    api.post("owner1", "/api/v1/registrations", {"data": huli_registration()})

    login(client, "admin_hl")
    assert client.get(f"/rules/{HULI}").status_code == 200
    preview = client.post(EDIT, data=edit_form(client, patrol_interval_medium="P7D", action="preview"))
    assert preview.status_code == 200
    page = text(preview)
    assert 'data-testid="preview"' in page and 'data-testid="preview-load"' in page
    assert "inspector_hl" in page
    assert client.get(f"/api/v1/districts/{HULI}/rules").status_code == 401  # pages do not open the API

    refused = client.post(EDIT, data=edit_form(client, rectify_general="three days", reason="", action="save"))
    assert refused.status_code == 422
    assert 'data-error-for="rectify_general"' in text(refused) and 'data-error-for="reason"' in text(refused)

    saved = client.post(
        EDIT, data=edit_form(client, rectify_general="PT30S", reason="演练：整改期限 30 秒", action="save")
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/rules/{HULI}/history")
    history = text(client.get(f"/rules/{HULI}/history"))
    assert "演练：整改期限 30 秒" in history and "admin_hl" in history
    change = re.search(r'<tr data-param="rectify_general">(.*?)</tr>', history, re.S).group(1)
    assert re.search(r'class="rule-before">3[^<]*</td><td class="rule-after">30', change), change

    stale = edit_form(client, rectify_general="PT12H", reason="基于旧版本", action="save")
    stale["base_version"] = "0"
    conflict = client.post(EDIT, data=stale)
    assert conflict.status_code == 302 and conflict.headers["Location"].endswith(EDIT)


def test_city_view_puts_the_districts_side_by_side(app, client, clock):
    login(client, "admin_hl")
    client.post(EDIT, data=edit_form(client, rectify_general="PT30S", reason="演练", action="save"))
    login(client, "city")
    page = text(client.get("/rules/city"))
    row = re.search(r'<tr data-param="rectify_general" class="rule-differs">(.*?)</tr>', page, re.S)
    assert row and re.search(r"<td>3\D+</td>\s*<td>30\D+</td>", row.group(1)), page[:2000]
    assert client.get("/rules").headers["Location"].endswith("/rules/city")
    login(client, "admin_sm")
    assert client.get("/rules").headers["Location"].endswith(f"/rules/{SIMING}")


def test_rule_pages_are_in_chinese(client):
    assert untranslated("web/rules.py", "templates/rules/") == []
    login(client, "admin_hl")
    page = text(client.get(f"/rules/{HULI}"))
    assert "实施细则" in page and "整改期限：一般隐患" in page


def test_a_scheduled_version_is_replaced_or_withdrawn_on_the_pages(client, clock):
    from datetime import timedelta

    login(client, "admin_hl")
    later = (clock.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    saved = client.post(
        EDIT, data=edit_form(client, rectify_general="P5D", effective_from=later, reason="下月起放宽", action="save")
    )
    assert saved.status_code == 302
    show = text(client.get(f"/rules/{HULI}"))
    assert 'data-scheduled="1"' in show and f"/rules/{HULI}/edit?replaces=1" in show
    # Replace it: the draft takes effect at once and withdraws version 1.
    page = text(client.get(EDIT + "?replaces=1"))
    assert 'name="replaces" value="1"' in page and "本稿替换尚未生效的第 1 版" in page
    form = edit_form(client, rectify_general="P4D", effective_from="", reason="改为立即执行", action="save")
    form["replaces"] = "1"
    assert client.post(EDIT, data=form).status_code == 302
    history = text(client.get(f"/rules/{HULI}/history"))
    assert "已撤回" in history and "生效前被第 2 版替换" in history
    # A third version scheduled, then withdrawn without a replacement.
    client.post(
        EDIT, data=edit_form(client, rectify_general="P6D", effective_from=later, reason="再调整", action="save")
    )
    refused = client.post(f"/rules/{HULI}/versions/3/withdraw", data={"reason": ""}, follow_redirects=True)
    assert "请填写撤回原因" in text(refused)
    done = client.post(f"/rules/{HULI}/versions/3/withdraw", data={"reason": "暂缓"}, follow_redirects=True)
    assert "第 3 版已撤回" in text(done)
    assert 'data-scheduled="3"' not in text(client.get(f"/rules/{HULI}"))
