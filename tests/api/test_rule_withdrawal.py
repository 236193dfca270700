"""Issue 15: a scheduled version of a district's rules can be withdrawn or replaced before it takes
effect; the history keeps both."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers.district_rules import SIMING, put_rules


def schedule(api, clock, days=10) -> str:
    later = (clock.now() + timedelta(days=days)).isoformat()
    resp = put_rules(
        api, "admin_sm", SIMING, {"rectify_general": "P5D"}, reason="下月起放宽整改期限", effective_from=later
    )
    assert resp.status_code == 200, resp.get_json()
    assert [s["version"] for s in resp.get_json()["scheduled"]] == [1]
    return later


def withdraw(api, username, version, reason="政策调整，暂缓执行"):
    return api.post(username, f"/api/v1/districts/{SIMING}/rules/versions/{version}/withdraw", {"reason": reason})


def history(api) -> list[dict]:
    return api.get("admin_sm", f"/api/v1/districts/{SIMING}/rules/history").get_json()


def test_a_scheduled_version_blocks_an_immediate_change_until_withdrawn(api, clock):
    schedule(api, clock)
    blocked = put_rules(api, "admin_sm", SIMING, {"rectify_general": "P2D"}, reason="立即收紧")
    assert blocked.status_code == 422 and "第 1 版" in blocked.get_json()["errors"]["effective_from"]
    assert withdraw(api, "admin_hl", 1).status_code == 403  # another district's administrator
    assert withdraw(api, "admin_sm", 1, reason="").get_json()["errors"] == {"reason": "请填写撤回原因（2～500 个字）"}
    done = withdraw(api, "admin_sm", 1)
    assert done.status_code == 200 and done.get_json()["scheduled"] == []
    assert withdraw(api, "admin_sm", 1).status_code == 404  # withdrawn already
    now = put_rules(api, "admin_sm", SIMING, {"rectify_general": "P2D"}, reason="立即收紧")
    assert now.status_code == 200, now.get_json()
    assert now.get_json()["version"] == 2 and now.get_json()["values"]["rectify_general"] == "P2D"
    clock.advance(days=11)  # the withdrawn version never takes effect
    rules = api.get("admin_sm", f"/api/v1/districts/{SIMING}/rules").get_json()
    assert rules["version"] == 2 and rules["values"]["rectify_general"] == "P2D"
    versions = {v["version"]: v for v in history(api)}
    assert versions[1]["status"] == "withdrawn" and versions[1]["withdrawal"]["reason"] == "政策调整，暂缓执行"
    assert versions[1]["withdrawal"]["by"] == "admin_sm" and versions[1]["withdrawal"]["replaced_by"] is None
    # Version 2 differs from the defaults, not from the withdrawn version it never followed.
    assert versions[2]["changes"][0]["before"] == "P3D" and versions[2]["status"] == "in_force"


def test_a_scheduled_version_is_replaced_and_may_take_effect_earlier(api, clock):
    schedule(api, clock)
    replaced = put_rules(api, "admin_sm", SIMING, {"rectify_general": "P4D"}, reason="改为立即放宽一天", replaces=1)
    assert replaced.status_code == 200, replaced.get_json()
    doc = replaced.get_json()
    assert doc["version"] == 2 and doc["values"]["rectify_general"] == "P4D" and doc["scheduled"] == []
    versions = {v["version"]: v for v in history(api)}
    assert versions[1]["status"] == "withdrawn" and versions[1]["withdrawal"]["replaced_by"] == 2
    assert versions[2]["status"] == "in_force"


def test_a_version_in_force_is_neither_withdrawn_nor_replaced(api, clock):
    assert put_rules(api, "admin_sm", SIMING, {"rectify_general": "P2D"}, reason="收紧").status_code == 200
    refused = withdraw(api, "admin_sm", 1)
    assert refused.status_code == 409 and "已生效" in refused.get_json()["message"]
    again = put_rules(api, "admin_sm", SIMING, {"rectify_general": "P1D"}, reason="再收紧", replaces=1)
    assert again.status_code == 409
