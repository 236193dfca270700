"""Issue 15: the district parameters no other test changed. Each test changes one (or, for the
wording of notices, a family) and sees the process behave differently."""

from __future__ import annotations

import pytest

from tests.api.test_rules_act import set_rules, stopped_and_handed_over
from tests.daily.test_notifications import notes, worker_round
from tests.helpers.lifecycle import (
    checklist,
    decide_stop_work,
    notice_kinds,
    order,
    propose_stop_work,
    register,
    to_patrol,
)
from tests.oversight.test_participation import _estate_code, _report, _user_id

FIRST_VISIT = {"site_matches": "yes", "site_status": "IN_PROGRESS"}


def notices(api, pid) -> dict[str, str]:
    return {n["kind"]: n["html"] for n in api.get("inspector_lj", f"/api/v1/projects/{pid}/notices").get_json()}


@pytest.mark.parametrize(
    "rules, risk",
    [
        ({}, "LOW"),  # 35 万元 over 180 ㎡ = 1,944 元/㎡: no mismatch
        ({"risk_mismatch_yuan_per_m2": 3000}, "HIGH"),  # P-05c
        ({"risk_mismatch_yuan_per_m2": 3000, "risk_mismatch_min_area_m2": 200}, "LOW"),  # P-05d: too small
    ],
)
def test_the_mismatch_between_investment_and_area_comes_from_the_district(api, clock, rules, risk):
    if rules:
        set_rules(api, rules)
    pid = register(api, risk_flags=[])["id"]
    assert api.project("owner1", pid)["risk_level"] == risk


def test_the_low_risk_patrol_interval_comes_from_the_district(api, clock):
    set_rules(api, {"patrol_interval_low": "P3D"})  # P-08c
    pid = register(api, risk_flags=[])["id"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"], FIRST_VISIT)
    assert api.project("owner1", pid)["next_patrol_at"].startswith("2026-12-04")


def test_the_imminent_lead_dispatch_limit_comes_from_the_district(api, clock):
    set_rules(api, {"lead_dispatch_imminent": "PT30M"})  # P-10a
    lead = api.post(
        "grid_lj",
        "/api/v1/leads",
        {
            "data": {
                "street": "350203001",
                "address": "思明区大同路 12 号",
                "description": "正在拆墙",
                "urgency": "IMMINENT",
            }
        },
    )
    assert api.task_of("inspector_lj", lead.get_json()["id"], "check_lead")["due_at"].startswith("2026-12-01T01:30")


def test_the_decision_limit_of_a_handed_over_case_comes_from_the_district(api, app, clock):
    set_rules(api, {"enforcement_decision_within": "P10D"})  # P-17b
    pid = stopped_and_handed_over(api, app, clock)
    api.complete(
        "housing_sm",
        api.task_of("housing_sm", pid, "ack_housing")["id"],
        {"received": True, "case_no": "思住建〔2026〕11号"},
    )
    assert api.task_of("housing_sm", pid, "decide_housing")["due_at"].startswith("2026-12-25")


def stop_now(app, api, clock) -> int:
    pid, patrol = to_patrol(app, api, clock)
    api.complete(
        "inspector_lj",
        patrol["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist(api, patrol),
            "outcome": "stop_now",
            "hazard_severity": "MAJOR",
            "hazard_description": "脚手架倾斜",
        },
    )
    propose_stop_work(api, pid, "MAJOR_HAZARD", "脚手架倾斜", imminent="yes")
    return pid


def test_imminent_danger_waits_for_approval_where_the_district_says_so(app, api, clock):
    set_rules(api, {"auto_stop_major_hazard": False})  # P-15c
    pid = stop_now(app, api, clock)
    assert "stop_work" not in notice_kinds(app, pid)  # no order before the supervisor approves
    decide_stop_work(api, pid)
    assert "stop_work" in notice_kinds(app, pid)


LEGAL = {
    "legal_basis_rectification": "《思明区整改依据（测试）》第一条",  # P-20a…d
    "legal_basis_stop_work": "《思明区停工依据（测试）》第二条",
    "legal_basis_handover": "《思明区移送依据（测试）》第三条",
    "legal_remedies": "可于六十日内向思明区人民政府申请复议（测试）",
}


def test_a_rectification_order_cites_the_districts_legal_basis_and_remedies(app, api, clock):
    set_rules(api, LEGAL)
    rectification = notices(api, order(app, api, clock))["rectification"]
    assert LEGAL["legal_basis_rectification"] in rectification and LEGAL["legal_remedies"] in rectification


def test_stop_and_hand_over_cite_the_districts_legal_basis(app, api, clock):
    set_rules(api, LEGAL)
    stopped = notices(api, stopped_and_handed_over(api, app, clock))
    assert "《思明区停工依据（测试）》第二条" in stopped["stop_work"]
    assert "可于六十日内向思明区人民政府申请复议（测试）" in stopped["stop_work"]
    assert "《思明区移送依据（测试）》第三条" in stopped["handover"]


def test_escalation_waits_the_districts_delay(app, api, clock):
    set_rules(api, {"escalate_overdue_after": "PT1H"})  # P-33b (default one day)
    pid = register(api)["id"]
    assert api.task_of("inspector_lj", pid, "first_visit")["due_at"].startswith("2026-12-06T01:00")
    clock.advance(days=5, hours=1, minutes=1)
    worker_round(app)
    assert [n["title"] for n in notes(api, "supervisor_lj", "escalation")] == ["督办：首次核实"]


def test_entrusted_supervision_is_off_where_the_district_turns_it_off(app, api, clock):
    set_rules(api, {"entrusted_supervision_enabled": False})  # P-27a
    pid = register(api)["id"]
    named = api.client.put(
        f"/api/v1/projects/{pid}/entrusted-supervisor",
        json={"supervisor_id": _user_id(app, "entrusted_sm")},
        headers={"Authorization": f"Bearer {api.token('owner1')}"},
    )
    assert named.status_code in (403, 409) and "supervisor_id" not in (named.get_json() or {})


def test_the_star_base_score_comes_from_the_district(app, api, clock):
    register(api, "property_lj", estate=_estate_code(app, "鹭江花园"))
    before = _report(api, "admin_sm")[0]["score"]
    set_rules(api, {"star_base_score": 50})  # P-26c
    assert _report(api, "admin_sm")[0]["score"] == before - 30


@pytest.mark.parametrize(
    "name, value, figures, base",
    [
        ("star_weight_lead_confirmed", 10, {"confirmed": 2}, 80),  # P-26e
        ("star_weight_rectification", 10, {"rectifications": 2}, 80),  # P-26f
        ("star_weight_stop_work", 20, {"stop_works": 2}, 80),  # P-26g
        ("star_min_2", 1, {}, 1),  # P-26h: a score of 1 earns two stars
    ],
)
def test_each_star_weight_and_threshold_moves_the_rating(name, value, figures, base):
    from webapp.domain.rules import PARAMS
    from webapp.services.participation.property_companies import rate

    defaults = dict({p.name: p.default for p in PARAMS}, star_base_score=base)
    given = {"estates": 1, "assisted": 0, "confirmed": 0, "rectifications": 0, "stop_works": 0, **figures}
    assert rate(defaults, given) != rate(dict(defaults, **{name: value}), given)
