"""Deploying an earlier version again as the newest of a line, in one step."""

from __future__ import annotations

from tests.api.test_district_variants import HULI, SIMING, deploy_siming_variant, version_of
from tests.helpers.designer import FIRST_VISIT_DATA, OVERRIDE, shipped_bpmn, upload, with_briefing_after_first_visit
from tests.helpers.lifecycle import register


def rollback(api, version_id: int, username: str = "designer", **body):
    return api.post(username, f"/api/v1/process-versions/{version_id}/rollback", body)


def test_an_earlier_version_is_deployed_again_and_new_projects_start_on_it(app, api):
    v1 = api.get("designer", "/api/v1/process-versions").get_json()[0]
    resp = upload(api, {"small_works.bpmn": with_briefing_after_first_visit(shipped_bpmn())})
    assert resp.status_code == 201
    on_v2 = register(api)["id"]

    resp = rollback(api, v1["id"], note="交底步骤暂缓")
    assert resp.status_code == 201, resp.get_json()
    v3 = resp.get_json()
    assert (v3["version"], v3["rollback_of"], v3["note"], v3["is_latest"]) == (3, 1, "交底步骤暂缓", True)
    assert v3["content_hash"] == v1["content_hash"]
    assert [e["id"] for e in v3["changes"]["elements"]["removed"]] == ["safety_briefing"]

    new = register(api)["id"]
    assert version_of(app, new) == (3, None)
    api.complete("inspector_lj", api.task_of("inspector_lj", new, "first_visit")["id"], FIRST_VISIT_DATA)
    assert api.task_of("owner1", new, "declare_completion")  # no 安全交底 on the rolled-back content

    # The project on version 2 may move: the preview says so.
    preview = api.get("designer", f"/api/v1/process-versions/{v3['id']}/migration").get_json()
    assert [(p["project_id"], p["from_version"], p["ok"]) for p in preview["projects"]] == [(on_v2, 2, True)]

    # Again: its content is the newest already.
    again = rollback(api, v1["id"])
    assert again.status_code == 409 and "无需回滚" in again.get_json()["message"]
    events = api.get("auditor", "/api/v1/audit", query_string={"action": "deployment"}).get_json()["items"]
    assert "small_works v3（重新部署 v1）" in {e["details"]["title"] for e in events}


def test_a_district_rolls_its_variant_back_and_others_are_refused(app, api):
    first = deploy_siming_variant(api)
    resp = upload(
        api,
        {
            "small_works.bpmn": with_briefing_after_first_visit(shipped_bpmn()).replace(
                'name="安全交底确认"', 'name="安全技术交底确认"'
            )
        },
        username="designer_sm",
    )
    assert resp.status_code == 201 and resp.get_json()["version"] == 3

    assert rollback(api, first["id"], username="admin_hl").status_code == 404  # not 湖里区's to see
    assert rollback(api, first["id"], username="designer").status_code == 403  # the city's line takes city versions
    # The shipped scenarios describe the city's diagram: the variant's extra step needs the override.
    assert rollback(api, first["id"], username="designer_sm").status_code == 422
    resp = rollback(api, first["id"], username="designer_sm", override_failing_scenarios=True, override_reason=OVERRIDE)
    assert resp.status_code == 201, resp.get_json()
    assert (resp.get_json()["version"], resp.get_json()["district_code"], resp.get_json()["rollback_of"]) == (
        4,
        SIMING,
        2,
    )
    assert version_of(app, register(api)["id"]) == (4, SIMING)
    assert version_of(app, register(api, "owner2", **HULI)["id"]) == (1, None)


def test_openapi_documents_rollback_and_the_district_lines(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    rollback_doc = paths["/api/v1/process-versions/{version_id}/rollback"]["post"]
    assert {"201", "409", "422"} <= set(rollback_doc["responses"])
    assert "override_reason" in document["components"]["schemas"]["RollbackRequest"]["properties"]
    diff = paths["/api/v1/process-versions/{version_id}/diff"]["get"]
    assert [p["name"] for p in diff["parameters"] if p["in"] == "query"] == ["against"]
    assert {"bpmn", "dmn", "forms"} <= set(document["components"]["schemas"]["Diff"]["properties"])
    lines = paths["/api/v1/process-variants"]["get"]
    assert "DistrictLines" in str(lines["responses"]["200"])
