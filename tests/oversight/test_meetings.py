"""Joint-meeting agenda: overdue hand-overs, disputed stop-work, repeated orders; decisions kept."""

from __future__ import annotations

import re

from tests.helpers.lifecycle import decide_stop_work, fire_timers, propose_stop_work
from tests.helpers.oversight import patrol_with

PERIOD = "since=2026-12-01&until=2027-02-01"


def test_agenda_and_decisions(app, api, pages, clock):
    repeated = patrol_with(app, api, clock, "rectify", "GENERAL", "电线乱接")
    disputed = patrol_with(app, api, clock, "stop_now", "MAJOR", "脚手架无防护")
    propose_stop_work(api, disputed, "MAJOR_HAZARD", "重大隐患")
    decide_stop_work(api, disputed, approved="no", opinion="现场已整改")
    clock.advance(days=3, seconds=1)  # the rectification deadline passes: stop-work, hand-over
    fire_timers(app)
    propose_stop_work(api, repeated, "OVERDUE", "逾期未整改", handover="yes", violation="OVERDUE")
    decide_stop_work(api, repeated)
    clock.advance(hours=4, seconds=1)  # no enforcement case system took it (P-34b): the department's task
    fire_timers(app)
    clock.advance(days=31)  # no feedback from enforcement within 30 days

    pages.login("admin_sm")
    page = pages.get(f"/meetings?{PERIOD}").get_data(as_text=True)
    items = dict(re.findall(r'<li class="card" data-reg-no="([^"]+)">(.*?)</li>', page, re.S))
    reasons = {reg: set(re.findall(r'data-reason="(\w+)"', body)) for reg, body in items.items()}
    numbers = {api.project("admin_sm", pid)["reg_no"]: pid for pid in (repeated, disputed)}
    by_id = {numbers[reg]: r for reg, r in reasons.items()}
    assert by_id == {repeated: {"handover_overdue", "repeated"}, disputed: {"disputed"}}

    resp = pages.post(
        f"/meetings/{repeated}/decision",
        data={"decision": "由区综合执法局 5 日内立案查处", "since": "2026-12-01", "until": "2027-02-01"},
    )
    assert resp.status_code == 302
    assert "由区综合执法局 5 日内立案查处" in pages.get(f"/meetings?{PERIOD}").get_data(as_text=True)
    history = api.project("city", repeated)["history"]
    assert history[-1]["kind"] == "meeting_decision" and history[-1]["actor"] == "admin_sm"

    pages.login("admin_hl")  # another district: nothing of 思明 on its agenda, no decisions on its cases
    assert "data-reg-no" not in pages.get(f"/meetings?{PERIOD}").get_data(as_text=True)
    assert pages.post(f"/meetings/{repeated}/decision", data={"decision": "x"}).status_code == 404
    pages.login("inspector_lj")
    assert pages.get("/meetings").status_code == 403
    assert pages.post(f"/meetings/{repeated}/decision", data={"decision": "x"}).status_code == 403
