"""District implementation rules: versions in force, validation, history, and the process reading
them at the moment of decision."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import registration_data

HULI, SIMING = "350206", "350203"


def huli_registration(**overrides) -> dict:
    data = registration_data(street="350206001", community="350206001001", address="湖里区湖里大道 18 号",
                             title="湖里大道 18 号店面装修")
    data.update(overrides)
    return data


def user(username):
    from sqlalchemy import select

    from webapp.persistence.models import User, db

    return db.session.scalar(select(User).where(User.username == username))


def save_rules(app, username, district, values, reason="演练：缩短期限", **kw):
    from webapp.services import rules

    with app.app_context():
        row = rules.save(user(username), district, values, reason=reason, **kw)
        return row.version


def register(api, username="owner1", data=None) -> int:
    resp = api.post(username, "/api/v1/registrations", {"data": data or huli_registration()})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def fire_timers(app) -> int:
    from webapp.services.timers import fire_due_timers

    with app.app_context():
        return fire_due_timers("test-worker")


def to_rectification(app, api, clock, pid, inspector, severity="GENERAL"):
    """First visit, wait for the patrol (medium risk: 14 days), order rectification."""
    api.complete(inspector, api.task_of(inspector, pid, "first_visit")["id"],
                 {"site_matches": "yes", "site_status": "IN_PROGRESS"})
    clock.advance(days=14, seconds=1)
    assert fire_timers(app) == 1
    patrol = api.task_of(inspector, pid, "patrol")
    items = api.get(inspector, f"/api/v1/tasks/{patrol['id']}").get_json()["checklist"]
    api.complete(inspector, patrol["id"], {
        "site_status": "IN_PROGRESS", "checklist": {i["code"]: "OK" for i in items}, "outcome": "rectify",
        "hazard_severity": severity, "hazard_description": "临时用电电线乱拉乱接"})


def rules_read_at(api, pid, element_id) -> list[dict]:
    steps = [h for h in api.project("city", pid)["history"] if h["element_id"] == element_id]
    assert steps, element_id
    return (steps[-1]["data"] or {}).get("rules", [])


# -- versions ----------------------------------------------------------------------------------------
def test_versions_follow_each_other_and_the_one_in_force_is_picked_by_date(app, clock):
    from webapp.services import rules

    assert save_rules(app, "admin_hl", HULI, {"rectify_general": "P2D"}) == 1
    later = clock.now() + timedelta(days=10)
    assert save_rules(app, "admin_hl", HULI, {"rectify_general": "P1D"}, effective_from=later.isoformat()) == 2
    with app.app_context():
        assert rules.in_force(HULI).version == 1
        assert rules.in_force(HULI).values["rectify_general"] == "P2D"
        assert rules.in_force(HULI, at=later).values["rectify_general"] == "P1D"
        assert rules.in_force(SIMING).version == 0
        assert rules.in_force(SIMING).values["rectify_general"] == "P3D"
        assert [r.version for r in rules.scheduled(HULI)] == [2]
        # A third version may not take effect before the scheduled second one.
        with pytest.raises(rules.ValidationFailed) as refused:
            rules.save(user("admin_hl"), HULI, {"rectify_general": "PT12H"}, reason="再次调整")
        assert "第 2 版" in refused.value.errors["effective_from"]
    clock.advance(days=10)
    with app.app_context():
        assert rules.in_force(HULI).version == 2


def test_a_save_is_validated_whole(app, clock):
    from webapp.services import rules

    with app.app_context():
        admin = user("admin_hl")
        with pytest.raises(rules.ValidationFailed) as refused:
            rules.save(admin, HULI, {"rectify_general": "3 days", "patrol_interval_high": "PT0S"},
                       effective_from=(clock.now() - timedelta(days=1)).isoformat(), reason="")
        assert set(refused.value.errors) == {"rectify_general", "patrol_interval_high", "effective_from", "reason"}
        with pytest.raises(rules.ValidationFailed) as same:
            rules.save(admin, HULI, {"rectify_general": "P3D"}, reason="没有变化")
        assert set(same.value.errors) == {"values"}
        rules.save(admin, HULI, {"rectify_general": "P2D"}, reason="第一次")
        with pytest.raises(rules.Conflict):
            rules.save(admin, HULI, {"rectify_general": "P1D"}, reason="基于旧版本", base_version=0)


def test_history_says_who_when_why_and_the_previous_value(app, clock):
    from webapp.services import rules

    save_rules(app, "admin_hl", HULI, {"rectify_general": "PT30S"}, reason="演练：整改期限 30 秒")
    clock.advance(hours=1)
    save_rules(app, "admin_hl", HULI, {"rectify_general": "P2D", "writeoff_auto": True}, reason="演练结束")
    with app.app_context():
        newest, first = rules.history(user("city"), HULI)
    assert (first["version"], first["author"], first["reason"], first["status"]) == (
        1, "admin_hl", "演练：整改期限 30 秒", "superseded")
    assert first["created_at"] == datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
    assert [(c["name"], c["before"], c["after"]) for c in first["changes"]] == [("rectify_general", "P3D", "PT30S")]
    assert newest["status"] == "in_force" and newest["author"] == "admin_hl"
    assert [(c["name"], c["before_text"], c["after_text"]) for c in newest["changes"]] == [
        ("rectify_general", "30秒", "2天"), ("writeoff_auto", "否", "是")]


def test_saved_versions_cannot_be_changed(app, clock):
    from webapp.persistence.models import DistrictRuleVersion, db

    save_rules(app, "admin_hl", HULI, {"rectify_general": "P2D"})
    with app.app_context():
        row = db.session.scalar(db.select(DistrictRuleVersion))
        row.reason = "悄悄改掉"
        with pytest.raises(ValueError, match="immutable"):
            db.session.commit()


# -- the process reads the rule in force at the moment of decision ---------------------------------
def test_huli_hazard_gets_the_huli_deadline_and_the_history_names_the_version(app, api, clock):
    save_rules(app, "admin_hl", HULI, {"rectify_general": "PT30S"})
    pid = register(api)
    to_rectification(app, api, clock, pid, "inspector_hl")
    evidence = api.task_of("owner1", pid, "submit_evidence")
    assert evidence["due_at"] == (clock.now() + timedelta(seconds=30)).isoformat()
    assert rules_read_at(api, pid, "set_deadline") == [
        {"rule": "rectify_general", "ref": "P-11b", "value": "PT30S", "district": HULI, "version": 1}]
    # A saved version holds the whole rule set: unchanged parameters are read from it too.
    assert {"rule": "first_visit_medium", "ref": "P-09b", "value": "P5D", "district": HULI, "version": 1} in \
        rules_read_at(api, pid, "classify_risk")


def test_working_days_are_counted_on_the_district_calendar(app, api, clock):
    # 2026-12-01 is a Tuesday; Wednesday is declared a holiday, so 2 working days end on Friday.
    save_rules(app, "admin_hl", HULI, {"first_visit_medium": "2WD", "calendar_holidays": ["2026-12-02"]})
    pid = register(api)
    first = api.task_of("inspector_hl", pid, "first_visit")
    assert first["due_at"] == "2026-12-04T01:00:00+00:00"
    read = [r for r in rules_read_at(api, pid, "classify_risk") if r["rule"] == "first_visit_medium"]
    assert read == [{"rule": "first_visit_medium", "ref": "P-09b", "value": "2WD", "resolved": "P3D",
                     "district": HULI, "version": 1}]


def test_thresholds_and_categories_come_from_the_district(app, api, clock):
    save_rules(app, "admin_hl", HULI, {"threshold_investment_wan": 30, "threshold_area_m2": 300,
                                       "enabled_categories": ["FITOUT_NONRESIDENTIAL", "AC_INSTALL"]})
    huli = register(api, data=huli_registration(investment_wan=35, floor_area_m2=180))
    assert api.project("owner1", huli)["status"] == "待首次核实"  # area within 300㎡ (OR)
    over = register(api, data=huli_registration(investment_wan=35, floor_area_m2=320))
    assert api.project("owner1", over)["status"] == "转施工许可监管待接收"
    siming = register(api, data=registration_data(investment_wan=35, floor_area_m2=320))
    assert api.project("owner1", siming)["status"] == "待首次核实"  # 思明: the default 100万元 / 500㎡

    refused = api.post("owner1", "/api/v1/registrations", {"data": huli_registration(category="LIFT_ADDITION")})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"category": "本区实施细则未将该类别纳入纳管范围"}
    assert api.post("owner1", "/api/v1/registrations",
                    {"data": registration_data(category="LIFT_ADDITION")}).status_code == 201
