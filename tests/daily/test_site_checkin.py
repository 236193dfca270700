"""GPS check-in and photos on a patrol, as the district's rules say (P-13a/b/d)."""

from __future__ import annotations

import pytest

from tests.helpers.lifecycle import checklist, to_patrol

SITE = (24.4556, 118.0712)  # registration_data's latitude/longitude


def _patrol(app, api, clock):
    pid, patrol = to_patrol(app, api, clock)
    return (
        pid,
        patrol["id"],
        {"site_status": "IN_PROGRESS", "checklist": checklist(api, patrol), "outcome": "no_hazard"},
    )


def _rules(api, **values):
    resp = api.client.put(
        "/api/v1/districts/350203/rules",
        headers={"Authorization": f"Bearer {api.token('admin_sm')}"},
        json={"values": values, "reason": "现场核验"},
    )
    assert resp.status_code == 200, resp.get_json()


def test_check_in_is_recorded_with_its_distance(app, api, clock):
    pid, task, data = _patrol(app, api, clock)
    api.complete("inspector_lj", task, dict(data, checkin_lat=SITE[0] + 0.001, checkin_lng=SITE[1]))
    done = [h for h in api.project("city", pid)["history"] if h["element_id"] == "patrol"][-1]
    assert done["data"]["checkin"]["distance_m"] == 111 and done["data"]["checkin"]["max_m"] == 200


@pytest.mark.parametrize("where, expect", [(None, 422), ((SITE[0] + 0.01, SITE[1]), 422), (SITE, 200)])
def test_a_district_that_requires_check_in_refuses_none_or_far(app, api, clock, where, expect):
    _rules(api, checkin_required=True, checkin_max_distance_m=300)
    pid, task, data = _patrol(app, api, clock)
    if where:
        data = dict(data, checkin_lat=where[0], checkin_lng=where[1])
    resp = api.post("inspector_lj", f"/api/v1/tasks/{task}/complete", {"data": data})
    assert resp.status_code == expect, resp.get_json()
    if expect == 422:
        message = resp.get_json()["errors"]["checkin"]
        assert ("1112 米，超过本区允许的 300 米" in message) if where else ("定位签到" in message)


def test_a_district_that_requires_photos(app, api, clock):
    _rules(api, patrol_min_photos=2)
    pid, task, data = _patrol(app, api, clock)
    resp = api.post("inspector_lj", f"/api/v1/tasks/{task}/complete", {"data": data})
    assert resp.status_code == 422 and resp.get_json()["errors"]["photos"] == "本区要求至少上传 2 张现场照片"
