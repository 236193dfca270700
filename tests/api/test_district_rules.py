"""District implementation rules: versions in force, validation, history, and the process reading
them at the moment of decision."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import registration_data
from tests.helpers.district_rules import HULI, SIMING, huli_registration, put_rules


def user(username):
    from sqlalchemy import select

    from webapp.persistence.models import User, db

    return db.session.scalar(select(User).where(User.username == username))


def save_rules(app, username, district, values, reason="演练：缩短期限", **kw):
    from webapp.services.district_rules import rulebook

    with app.app_context():
        row = rulebook.save(user(username), district, values, reason=reason, **kw)
        return row.version


def register(api, username="owner1", data=None) -> int:
    resp = api.post(username, "/api/v1/registrations", {"data": data or huli_registration()})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def fire_timers(app) -> int:
    from webapp.services.lifecycle.timers import fire_due_timers

    with app.app_context():
        return fire_due_timers("test-worker")


def to_rectification(app, api, clock, pid, inspector, severity="GENERAL"):
    """First visit, wait for the patrol (medium risk: 14 days), order rectification."""
    api.complete(
        inspector,
        api.task_of(inspector, pid, "first_visit")["id"],
        {"site_matches": "yes", "site_status": "IN_PROGRESS"},
    )
    clock.advance(days=14, seconds=1)
    assert fire_timers(app) == 1
    patrol = api.task_of(inspector, pid, "patrol")
    items = api.get(inspector, f"/api/v1/tasks/{patrol['id']}").get_json()["checklist"]
    api.complete(
        inspector,
        patrol["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": {i["code"]: "OK" for i in items},
            "outcome": "rectify",
            "hazard_severity": severity,
            "hazard_description": "临时用电电线乱拉乱接",
        },
    )


def rules_read_at(api, pid, element_id) -> list[dict]:
    steps = [h for h in api.project("city", pid)["history"] if h["element_id"] == element_id]
    assert steps, element_id
    return (steps[-1]["data"] or {}).get("rules", [])


# -- versions ----------------------------------------------------------------------------------------
def test_versions_follow_each_other_and_the_one_in_force_is_picked_by_date(app, clock):
    from webapp.services.district_rules import rulebook

    assert save_rules(app, "admin_hl", HULI, {"rectify_general": "P2D"}) == 1
    later = clock.now() + timedelta(days=10)
    assert save_rules(app, "admin_hl", HULI, {"rectify_general": "P1D"}, effective_from=later.isoformat()) == 2
    with app.app_context():
        assert rulebook.in_force(HULI).version == 1
        assert rulebook.in_force(HULI).values["rectify_general"] == "P2D"
        assert rulebook.in_force(HULI, at=later).values["rectify_general"] == "P1D"
        assert rulebook.in_force(SIMING).version == 0
        assert rulebook.in_force(SIMING).values["rectify_general"] == "P3D"
        assert [r.version for r in rulebook.scheduled(HULI)] == [2]
        # A third version may not take effect before the scheduled second one.
        with pytest.raises(rulebook.ValidationFailed) as refused:
            rulebook.save(user("admin_hl"), HULI, {"rectify_general": "PT12H"}, reason="再次调整")
        assert "第 2 版" in refused.value.errors["effective_from"]
    clock.advance(days=10)
    with app.app_context():
        assert rulebook.in_force(HULI).version == 2


def test_a_save_is_validated_whole(app, clock):
    from webapp.services.district_rules import rulebook

    with app.app_context():
        admin = user("admin_hl")
        with pytest.raises(rulebook.ValidationFailed) as refused:
            rulebook.save(
                admin,
                HULI,
                {"rectify_general": "3 days", "patrol_interval_high": "PT0S"},
                effective_from=(clock.now() - timedelta(days=1)).isoformat(),
                reason="",
            )
        assert set(refused.value.errors) == {"rectify_general", "patrol_interval_high", "effective_from", "reason"}
        with pytest.raises(rulebook.ValidationFailed) as same:
            rulebook.save(admin, HULI, {"rectify_general": "P3D"}, reason="没有变化")
        assert set(same.value.errors) == {"values"}
        rulebook.save(admin, HULI, {"rectify_general": "P2D"}, reason="第一次")
        with pytest.raises(rulebook.Conflict):
            rulebook.save(admin, HULI, {"rectify_general": "P1D"}, reason="基于旧版本", base_version=0)


def test_history_says_who_when_why_and_the_previous_value(app, clock):
    from webapp.services.district_rules import rulebook

    save_rules(app, "admin_hl", HULI, {"rectify_general": "PT30S"}, reason="演练：整改期限 30 秒")
    clock.advance(hours=1)
    save_rules(app, "admin_hl", HULI, {"rectify_general": "P2D", "writeoff_auto": True}, reason="演练结束")
    with app.app_context():
        newest, first = rulebook.history(user("city"), HULI)
    assert (first["version"], first["author"], first["reason"], first["status"]) == (
        1,
        "admin_hl",
        "演练：整改期限 30 秒",
        "superseded",
    )
    assert first["created_at"] == datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
    assert [(c["name"], c["before"], c["after"]) for c in first["changes"]] == [("rectify_general", "P3D", "PT30S")]
    assert newest["status"] == "in_force" and newest["author"] == "admin_hl"
    assert [(c["name"], c["before_text"], c["after_text"]) for c in newest["changes"]] == [
        ("rectify_general", "30秒", "2天"),
        ("writeoff_auto", "否", "是"),
    ]


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
    # The deadline is proposed before the patrol (the inspector sees it on the form).
    assert {
        "rule": "rectify_general",
        "ref": "P-11b",
        "value": "PT30S",
        "district": HULI,
        "version": 1,
    } in rules_read_at(api, pid, "propose_deadline")
    # A saved version holds the whole rule set: unchanged parameters are read from it too.
    assert {
        "rule": "first_visit_medium",
        "ref": "P-09b",
        "value": "P5D",
        "district": HULI,
        "version": 1,
    } in rules_read_at(api, pid, "classify_risk")


def test_working_days_are_counted_on_the_district_calendar(app, api, clock):
    # 2026-12-01 is a Tuesday; Wednesday is declared a holiday, so 2 working days end on Friday.
    save_rules(app, "admin_hl", HULI, {"first_visit_medium": "2WD", "calendar_holidays": ["2026-12-02"]})
    pid = register(api)
    first = api.task_of("inspector_hl", pid, "first_visit")
    assert first["due_at"] == "2026-12-04T01:00:00+00:00"
    read = [r for r in rules_read_at(api, pid, "classify_risk") if r["rule"] == "first_visit_medium"]
    assert read == [
        {
            "rule": "first_visit_medium",
            "ref": "P-09b",
            "value": "2WD",
            "resolved": "P3D",
            "district": HULI,
            "version": 1,
        }
    ]


def test_thresholds_and_categories_come_from_the_district(app, api, clock):
    save_rules(
        app,
        "admin_hl",
        HULI,
        {
            "threshold_investment_wan": 30,
            "threshold_area_m2": 300,
            "enabled_categories": ["FITOUT_NONRESIDENTIAL", "AC_INSTALL"],
        },
    )
    huli = register(api, data=huli_registration(investment_wan=35, floor_area_m2=180))
    assert api.project("owner1", huli)["status"] == "待首次核实"  # area within 300㎡ (OR)
    over = register(api, data=huli_registration(investment_wan=35, floor_area_m2=320))
    assert api.project("owner1", over)["status"] == "已推送施工许可监管系统，待答复"
    siming = register(api, data=registration_data(investment_wan=35, floor_area_m2=320))
    assert api.project("owner1", siming)["status"] == "待首次核实"  # 思明: the default 100万元 / 500㎡

    refused = api.post("owner1", "/api/v1/registrations", {"data": huli_registration(category="LIFT_ADDITION")})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"category": "本区实施细则未将该类别纳入纳管范围"}
    assert (
        api.post("owner1", "/api/v1/registrations", {"data": registration_data(category="LIFT_ADDITION")}).status_code
        == 201
    )


def test_huli_30_second_deadline_becomes_overdue_and_escalates_on_its_own(app, api, clock):
    resp = put_rules(api, "admin_hl", HULI, {"rectify_general": "PT30S"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["version"] == 1 and resp.get_json()["values"]["rectify_general"] == "PT30S"
    pid = register(api)
    to_rectification(app, api, clock, pid, "inspector_hl")
    assert api.task_of("owner1", pid, "submit_evidence")
    clock.advance(seconds=29)
    assert fire_timers(app) == 0
    clock.advance(seconds=2)
    assert fire_timers(app) == 1
    assert api.tasks("owner1", "submit_evidence") == []
    assert api.task_of("inspector_hl", pid, "propose_stop_work")
    project = api.project("city", pid)
    assert project["status"] == "拟责令停工"
    assert [h["element_id"] for h in project["history"]].count("deadline_passed") == 1


def test_the_same_hazard_in_siming_keeps_the_default_deadline(app, api, clock):
    assert put_rules(api, "admin_hl", HULI, {"rectify_general": "PT30S"}).status_code == 200
    pid = register(api, data=registration_data())  # 思明区 鹭江街道
    to_rectification(app, api, clock, pid, "inspector_lj")
    evidence = api.task_of("owner1", pid, "submit_evidence")
    assert evidence["due_at"] == (clock.now() + timedelta(days=3)).isoformat()
    clock.advance(seconds=31)
    assert fire_timers(app) == 0
    assert api.task_of("owner1", pid, "submit_evidence")
    assert {
        "rule": "rectify_general",
        "ref": "P-11b",
        "value": "P3D",
        "district": SIMING,
        "version": 0,
    } in rules_read_at(api, pid, "propose_deadline")


def test_a_project_past_the_decision_keeps_the_rule_that_decided_it(app, api, clock):
    pid = register(api)
    to_rectification(app, api, clock, pid, "inspector_hl")
    evidence = api.task_of("owner1", pid, "submit_evidence")
    assert evidence["due_at"] == (clock.now() + timedelta(days=3)).isoformat()

    assert put_rules(api, "admin_hl", HULI, {"rectify_general": "PT30S", "reinspect_within": "PT1H"}).status_code == 200
    clock.advance(seconds=31)
    assert fire_timers(app) == 0
    assert api.task_of("owner1", pid, "submit_evidence")["due_at"] == evidence["due_at"]
    assert {r["version"] for r in rules_read_at(api, pid, "propose_deadline")} == {0}
    # The next decision of the same project is taken under the new version.
    api.complete("owner1", evidence["id"], {"measures_taken": "已规范临时用电线路", "completed_on": "2026-12-15"})
    assert api.task_of("inspector_hl", pid, "reinspect")["due_at"] == (clock.now() + timedelta(hours=1)).isoformat()
    assert {
        "rule": "reinspect_within",
        "ref": "P-12a",
        "value": "PT1H",
        "district": HULI,
        "version": 1,
    } in rules_read_at(api, pid, "propose_deadline_reinspect")


# -- the API: scope and validation -------------------------------------------------------------------
@pytest.mark.parametrize(
    "username, read, write",
    [
        ("admin_hl", 200, 200),
        ("admin_sm", 403, 403),
        ("city", 200, 403),
        ("inspector_hl", 200, 403),
        ("inspector_lj", 403, 403),
        ("owner1", 403, 403),
    ],
)
def test_only_the_districts_own_administrators_change_its_rules(app, api, clock, username, read, write):
    assert api.get(username, f"/api/v1/districts/{HULI}/rules").status_code == read
    assert api.get(username, f"/api/v1/districts/{HULI}/rules/history").status_code == read
    assert put_rules(api, username, HULI, {"rectify_general": "P2D"}).status_code == write
    preview = api.post(username, f"/api/v1/districts/{HULI}/rules/preview", {"values": {"rectify_general": "P2D"}})
    assert preview.status_code == write
    current = api.get("admin_hl", f"/api/v1/districts/{HULI}/rules").get_json()
    assert current["version"] == (1 if write == 200 else 0)


def test_admin_sm_changes_siming_only_and_unknown_districts_are_404(app, api, clock):
    assert put_rules(api, "admin_sm", SIMING, {"rectify_general": "P2D"}).status_code == 200
    assert api.get("admin_hl", f"/api/v1/districts/{HULI}/rules").get_json()["version"] == 0
    assert api.get("admin_sm", "/api/v1/districts/999999/rules").status_code == 404
    assert put_rules(api, "admin_sm", "350203001", {"rectify_general": "P2D"}).status_code == 404  # a street


def test_put_names_every_failing_parameter(app, api, clock):
    resp = put_rules(
        api,
        "admin_hl",
        HULI,
        {"rectify_general": "three days", "threshold_area_m2": -5, "nonsense": 1},
        reason="",
        effective_from="2020-01-01T00:00",
    )
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {
        "rectify_general",
        "threshold_area_m2",
        "nonsense",
        "reason",
        "effective_from",
    }
    assert "ISO 8601" in resp.get_json()["errors"]["rectify_general"]
    stale = put_rules(api, "admin_hl", HULI, {"rectify_general": "P2D"}, base_version=3)
    assert stale.status_code == 409


def test_history_and_city_view_through_the_api(app, api, clock):
    assert put_rules(api, "admin_hl", HULI, {"rectify_general": "PT30S"}).status_code == 200
    history = api.get("city", f"/api/v1/districts/{HULI}/rules/history").get_json()
    assert [(h["version"], h["author"], h["status"]) for h in history] == [(1, "admin_hl", "in_force")]
    assert history[0]["changes"][0]["before_text"] == "3天" and history[0]["changes"][0]["after_text"] == "30秒"

    city = api.get("city", "/api/v1/rules/districts").get_json()
    assert [d["name"] for d in city["districts"]] == ["思明区", "湖里区"]
    row = next(r for r in city["rows"] if r["name"] == "rectify_general")
    assert row["texts"] == ["3天", "30秒"] and row["differs"] is True
    assert [d["name"] for d in api.get("admin_sm", "/api/v1/rules/districts").get_json()["districts"]] == ["思明区"]

    params = {p["name"]: p for p in api.get("admin_hl", "/api/v1/rules/parameters").get_json()}
    assert params["rectify_general"]["read_by"] == ["rectification_deadline.dmn"]
    assert params["writeoff_auto"]["read_by"] == ["small_works.bpmn"]


# -- what-if preview -----------------------------------------------------------------------------------
def test_preview_shows_reclassified_projects_patrol_load_and_moved_deadlines(app, api, clock):
    medium = register(api)  # height work + temporary power: medium risk, 14-day patrols
    high = register(api, data=huli_registration(risk_flags=["DEMOLITION"]))  # weekly patrols
    for pid in (medium, high):
        api.complete(
            "inspector_hl",
            api.task_of("inspector_hl", pid, "first_visit")["id"],
            {"site_matches": "yes", "site_status": "IN_PROGRESS"},
        )
    register(api)  # a third one still waiting for its first visit: medium, no patrol scheduled yet
    draft = {
        "patrol_interval_medium": "P7D",
        "risk_high_flags": [
            "STRUCTURAL_CHANGE",
            "CONFINED_SPACE",
            "DEMOLITION",
            "GONDOLA",
            "LIFTING",
            "EXCAVATION",
            "NEAR_GAS",
            "LIFT_ADDITION",
            "HEIGHT_2M",
        ],
        "risk_medium_flags": ["FACADE", "SCAFFOLD", "HOT_WORK", "TEMP_POWER", "CROWDED_PLACE"],
    }
    resp = api.post("admin_hl", f"/api/v1/districts/{HULI}/rules/preview", {"values": draft})
    assert resp.status_code == 200, resp.get_json()
    out = resp.get_json()
    assert out["projects"] == 3 and out["patrolled_projects"] == 3 and out["errors"] == []
    assert {
        (r["project_id"], r["risk_before"], r["risk_after"], r["recorded_risk_level"]) for r in out["reclassified"]
    } == {(medium, "MEDIUM", "HIGH", "MEDIUM"), (medium + 2, "MEDIUM", "HIGH", "MEDIUM")}
    load = {(r["street_name"], r["inspector"]): (r["per_week_before"], r["per_week_after"]) for r in out["patrol_load"]}
    assert load[("湖里街道", "湖里巡查员周（inspector_hl）")] == (2.0, 3.0)  # 0.5 + 1 + 0.5 → 1 + 1 + 1
    moved = out["moved_deadlines"]
    assert [(m["project_id"], m["following_before"][:10], m["following_after"][:10]) for m in moved] == [
        (medium, "2026-12-29", "2026-12-22")
    ]
    assert out["kept_deadlines"] == 3  # the third project's first-visit due date, two patrol timers
    assert {c["name"] for c in out["changes"]} == {"patrol_interval_medium", "risk_high_flags", "risk_medium_flags"}
    # Nothing was saved.
    assert api.get("admin_hl", f"/api/v1/districts/{HULI}/rules").get_json()["version"] == 0


def test_preview_validates_like_a_save(app, api, clock):
    resp = api.post("admin_hl", f"/api/v1/districts/{HULI}/rules/preview", {"values": {"rectify_general": "soon"}})
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"rectify_general"}
