"""Validation runs the shipped scenario tests; a deploy whose scenarios fail needs an override with a
reason, which the version's history keeps."""

from __future__ import annotations

import json

from tests.helpers.designer import shipped_bpmn, upload

PERMIT = "<bpmn:conditionExpression>route == 'permit'</bpmn:conditionExpression>"
NARROWER = "<bpmn:conditionExpression>route == 'permit' and investment_wan &gt; 1000</bpmn:conditionExpression>"
# The scenarios that take the permit branch (sorted by file name, as the override lists them).
PERMIT_SCENARIOS = [
    "permit_decision_after_fallback",
    "permit_decision_message",
    "permit_referral",
    "permit_unpermitted_start",
]


def _changed() -> str:
    bpmn = shipped_bpmn()
    assert bpmn.count(PERMIT) == 1
    return bpmn.replace(PERMIT, NARROWER)


def test_validation_lists_every_scenario_result(api):
    resp = upload(api, {"small_works.bpmn": shipped_bpmn()}, override=None, dry_run="true")
    assert resp.status_code == 200
    report = resp.get_json()["scenarios"]
    assert report["failed"] == 0 and report["passed"] == len(report["results"]) >= 20
    by_name = {r["name"]: r for r in report["results"]}
    assert by_name["permit_referral"]["passed"] and by_name["permit_referral"]["end"] == "end_referred_permit"


def test_a_changed_condition_fails_its_scenario_on_validation(api):
    resp = upload(api, {"small_works.bpmn": _changed()}, override=None, dry_run="true")
    assert resp.status_code == 200 and resp.get_json()["problems"] == []
    failing = {r["name"]: r for r in resp.get_json()["scenarios"]["results"] if not r["passed"]}
    assert set(failing) == set(PERMIT_SCENARIOS)
    assert failing["permit_referral"]["diverged_at"] == "gw_triage"
    assert failing["permit_referral"]["file"] == "permit_referral.json"
    assert any("预期 refer_permit，实际 classify_risk" in f for f in failing["permit_referral"]["failures"])


def test_deploy_is_refused_without_override_and_recorded_with_it(api, app):
    refused = upload(api, {"small_works.bpmn": _changed()}, override=None, note="收紧限额")
    assert refused.status_code == 422
    body = refused.get_json()
    assert "permit_referral" in body["message"] and body["scenarios"]["failed"] == 4
    # A flag without a reason is no override.
    no_reason = upload(api, {"small_works.bpmn": _changed()}, override=None, override_failing_scenarios="true")
    assert no_reason.status_code == 422 and "理由" in no_reason.get_json()["message"]
    assert [v["version"] for v in api.get("designer", "/api/v1/process-versions").get_json()] == [1]

    accepted = upload(api, {"small_works.bpmn": _changed()}, override="区里决定提高转许可门槛，场景另行更新")
    assert accepted.status_code == 201, accepted.get_json()
    version = api.get("designer", f"/api/v1/process-versions/{accepted.get_json()['id']}").get_json()
    override = version["changes"]["scenario_override"]
    assert override == {
        "reason": "区里决定提高转许可门槛，场景另行更新",
        "by": "designer",
        "scenarios": PERMIT_SCENARIOS,
    }
    assert version["changes"]["scenarios"]["failed"] == 4

    from webapp.persistence.models import HistoryEvent, db

    with app.app_context():
        event = db.session.query(HistoryEvent).filter_by(kind="deployment", title="small_works v2").one()
        assert json.loads(event.data_json)["scenario_override"]["reason"].startswith("区里决定")


def test_a_passing_deploy_records_its_scenarios_and_no_override(api):
    bpmn = shipped_bpmn().replace('name="线索办结"', 'name="线索办结（无需处置）"', 1)
    resp = upload(api, {"small_works.bpmn": bpmn}, override=None)
    assert resp.status_code == 201, resp.get_json()
    changes = api.get("designer", f"/api/v1/process-versions/{resp.get_json()['id']}").get_json()["changes"]
    assert changes["scenarios"]["failed"] == 0 and changes["scenarios"]["passed"] >= 20
    assert "scenario_override" not in changes


def test_the_upload_page_lists_failing_scenarios_and_the_version_page_the_override(pages):
    import io

    pages.login("designer")
    resp = pages.post(
        "/designer/upload",
        data={"files": [(io.BytesIO(_changed().encode()), "small_works.bpmn")]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'data-testid="scenario-permit_referral"' in html and "gw_triage" in html
    resp = pages.post(
        "/designer/upload",
        data={
            "files": [(io.BytesIO(_changed().encode()), "small_works.bpmn")],
            "override_failing_scenarios": "1",
            "override_reason": "门槛调整",
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    page = pages.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="scenario-override"' in page and "门槛调整" in page and "permit_referral" in page


def test_a_project_history_is_recorded_as_a_scenario_that_replays(app, api, clock):
    from tests.helpers.lifecycle import checklist, to_patrol
    from webapp.domain import scenarios
    from webapp.services.designer import scenarios as scenario_service

    pid, task = to_patrol(app, api, clock)
    api.complete(
        "inspector_lj",
        task["id"],
        {"site_status": "IN_PROGRESS", "checklist": checklist(api, task), "outcome": "no_hazard"},
    )
    assert api.get("inspector_lj", f"/api/v1/projects/{pid}/scenario").status_code == 403
    resp = api.get("designer", f"/api/v1/projects/{pid}/scenario")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["replayed"] and body["error"] is None
    case = body["scenario"]
    assert [s.get("task") or s.get("timer") for s in case["steps"]] == ["first_visit", "patrol_due", "patrol"]
    assert case["start"]["owner_phone"] == "138****1111"  # masked: a scenario file is shared
    assert case["start"]["planned_end"].startswith("@today+P")  # relative: it replays the same later
    assert case["expect"]["path"][-4:] == ["gw_patrol_outcome", "gw_patrol_loop", "plan_patrol", "gw_started"]
    # Saved beside the diagram, it passes on the version the project ran on.
    with app.app_context():
        bundle = scenario_service.versions.bundle_for(scenario_service.versions.latest_version())
        result = scenarios.run(
            bundle, scenarios.parse(json.dumps(case)), scenario_service.helpers, scenario_service.checklist
        )
    assert result.passed, result.failures
    assert api.get("designer", "/api/v1/projects/999999/scenario").status_code == 404


def test_the_designer_page_downloads_a_recorded_scenario(app, api, clock, pages):
    from tests.helpers.lifecycle import register

    reg_no = register(api)["reg_no"]
    pages.login("designer")
    resp = pages.post("/designer/record", data={"reg_no": reg_no})
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    assert json.loads(resp.get_data(as_text=True))["steps"] == []
    missing = pages.post("/designer/record", data={"reg_no": "XM-NONE"})
    assert missing.status_code == 302
