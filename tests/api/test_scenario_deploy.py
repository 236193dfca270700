"""Validation runs the shipped scenario tests; a deploy whose scenarios fail needs an override with a
reason, which the version's history keeps."""
from __future__ import annotations

import json

from tests.helpers.designer import shipped_bpmn, upload

PERMIT = "<bpmn:conditionExpression>route == 'permit'</bpmn:conditionExpression>"
NARROWER = "<bpmn:conditionExpression>route == 'permit' and investment_wan &gt; 1000</bpmn:conditionExpression>"


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
    assert set(failing) == {"permit_referral", "permit_unpermitted_start"}
    assert failing["permit_referral"]["diverged_at"] == "gw_triage"
    assert failing["permit_referral"]["file"] == "permit_referral.json"
    assert any("预期 permit_referral，实际 classify_risk" in f for f in failing["permit_referral"]["failures"])


def test_deploy_is_refused_without_override_and_recorded_with_it(api, app):
    refused = upload(api, {"small_works.bpmn": _changed()}, override=None, note="收紧限额")
    assert refused.status_code == 422
    body = refused.get_json()
    assert "permit_referral" in body["message"] and body["scenarios"]["failed"] == 2
    # A flag without a reason is no override.
    no_reason = upload(api, {"small_works.bpmn": _changed()}, override=None, override_failing_scenarios="true")
    assert no_reason.status_code == 422 and "理由" in no_reason.get_json()["message"]
    assert [v["version"] for v in api.get("designer", "/api/v1/process-versions").get_json()] == [1]

    accepted = upload(api, {"small_works.bpmn": _changed()}, override="区里决定提高转许可门槛，场景另行更新")
    assert accepted.status_code == 201, accepted.get_json()
    version = api.get("designer", f"/api/v1/process-versions/{accepted.get_json()['id']}").get_json()
    override = version["changes"]["scenario_override"]
    assert override == {"reason": "区里决定提高转许可门槛，场景另行更新", "by": "designer",
                        "scenarios": ["permit_referral", "permit_unpermitted_start"]}
    assert version["changes"]["scenarios"]["failed"] == 2

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
    resp = pages.post("/designer/upload", data={"files": [(io.BytesIO(_changed().encode()), "small_works.bpmn")]},
                      content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'data-testid="scenario-permit_referral"' in html and "gw_triage" in html
    resp = pages.post("/designer/upload", data={
        "files": [(io.BytesIO(_changed().encode()), "small_works.bpmn")], "override_failing_scenarios": "1",
        "override_reason": "门槛调整"}, content_type="multipart/form-data")
    assert resp.status_code == 302
    page = pages.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="scenario-override"' in page and "门槛调整" in page and "permit_referral" in page
