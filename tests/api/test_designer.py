"""Designers upload BPMN, DMN and forms: validated, versioned, deployed without a restart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.bundles import MIWG_FILES
from tests.helpers.designer import (
    BRIEFING_DATA,
    FIRST_VISIT_DATA,
    ROOT,
    shipped_bpmn,
    upload,
    with_briefing_after_first_visit,
)
from tests.helpers.lifecycle import register


def versions(api) -> list[dict]:
    resp = api.get("designer", "/api/v1/process-versions")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_shipped_processes_and_forms_are_version_1(api):
    (v1,) = versions(api)
    assert (v1["process_id"], v1["version"], v1["is_latest"], v1["created_by"]) == ("small_works", 1, True, "system")
    assert "small_works.bpmn" in v1["files"] and "triage.dmn" in v1["files"]
    assert "forms/first_visit.json" in v1["files"] and "checklist" not in v1["forms"]
    shipped = {p.stem for p in (Path(__file__).parents[2] / "forms").glob("*.json")} - {"checklist"}
    assert sorted(v1["forms"]) == sorted(shipped) and len(shipped) >= 21


def test_a_changed_diagram_is_deployed_and_new_projects_get_it(api):
    resp = upload(api, {"small_works.bpmn": with_briefing_after_first_visit(shipped_bpmn())}, note="安全交底")
    assert resp.status_code == 201, resp.get_json()
    v2 = resp.get_json()
    assert (v2["version"], v2["is_latest"], v2["created"], v2["note"], v2["created_by"]) == (
        2,
        True,
        True,
        "安全交底",
        "designer",
    )
    # Only the diagram was uploaded: the version still carries the decision tables and forms.
    assert set(v2["files"]) == set(versions(api)[1]["files"])
    changes = v2["changes"]
    assert changes["by"] == "designer" and changes["previous"] == 1
    assert changes["files"] == {"added": [], "removed": [], "changed": ["small_works.bpmn"]}
    assert changes["elements"]["added"] == [{"id": "safety_briefing", "name": "安全交底确认"}]
    assert {e["id"] for e in changes["elements"]["changed"]} == {"first_visit", "gw_first_visit"}

    pid = register(api)["id"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"], FIRST_VISIT_DATA)
    task = api.task_of("inspector_lj", pid, "safety_briefing")
    assert task["title"] == "安全交底确认" and task["form_key"] == "permit_referral"
    api.complete("inspector_lj", task["id"], BRIEFING_DATA)
    assert api.task_of("owner1", pid, "declare_completion")


def test_problems_are_422_per_element_and_nothing_is_deployed(api):
    bpmn = shipped_bpmn().replace(
        '<spiffworkflow:property name="formKey" value="patrol" />',
        '<spiffworkflow:property name="formKey" value="patrol_v9" />',
    )
    bpmn = bpmn.replace('name="区住建"', 'name="区规划局"')
    resp = upload(api, {"small_works.bpmn": bpmn})
    assert resp.status_code == 422
    problems = resp.get_json()["problems"]
    assert {(p["file"], p["element_id"], p["element_name"]) for p in problems} == {
        ("small_works.bpmn", "patrol", "日常巡查"),
        ("small_works.bpmn", "Lane_housing", "区规划局"),
    }
    assert all(p["message"] for p in problems)
    assert len(versions(api)) == 1

    dry = upload(api, {"small_works.bpmn": bpmn}, dry_run="true")
    assert dry.status_code == 200 and len(dry.get_json()["problems"]) == 2
    clean = upload(api, {"small_works.bpmn": shipped_bpmn()}, dry_run="true")
    assert clean.status_code == 200 and clean.get_json()["problems"] == []
    odd = upload(api, {"notes.txt": "x"}, dry_run="true")
    assert odd.status_code == 200 and odd.get_json()["problems"][0]["file"] == "notes.txt"
    empty = api.client.post(
        "/api/v1/process-versions",
        data={},
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {api.token('designer')}"},
    )
    assert empty.status_code == 422 and empty.get_json()["problems"][0]["message"] == "没有上传任何文件"
    assert len(versions(api)) == 1


def test_only_designers_deploy_and_read_versions(api):
    for username in ("inspector_lj", "owner1", "city"):
        assert upload(api, {"small_works.bpmn": shipped_bpmn()}, username=username).status_code == 403
        assert api.get(username, "/api/v1/process-versions").status_code == 403
    assert api.get("ops", "/api/v1/process-versions").status_code == 200
    assert api.client.get("/api/v1/process-versions").status_code == 401
    assert len(versions(api)) == 1


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p" isExecutable="true">
<startEvent id="s" name="&lol3;"/></process></definitions>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p" isExecutable="true">
<startEvent id="s" name="&xxe;"/></process></definitions>"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_dtds_and_entities_are_refused(api, text):
    resp = upload(api, {"evil.bpmn": text})
    assert resp.status_code == 422
    assert resp.get_json()["problems"] == [
        {
            "file": "evil.bpmn",
            "element_id": None,
            "element_name": None,
            "message": "DTD / entity declarations are not allowed",
        }
    ]
    assert "root:" not in resp.get_data(as_text=True)


def test_uploads_are_size_limited_and_typed(api):
    big = b"<definitions>" + b" " * (2 * 1024 * 1024) + b"</definitions>"
    resp = upload(api, {"big.bpmn": big})
    assert resp.status_code == 422 and "文件过大" in resp.get_json()["problems"][0]["message"]
    huge = {f"part{i}.bpmn": b" " * (2 * 1024 * 1024) for i in range(7)}
    assert upload(api, huge).status_code == 413
    resp = upload(api, {"notes.txt": "hello", "diagram.bpmn": b"\xff\xfe<"})
    assert resp.status_code == 422
    assert [(p["file"], p["message"][:6]) for p in resp.get_json()["problems"]] == [
        ("notes.txt", "不支持的文件"),
        ("diagram.bpmn", "文件不是 U"),
    ]
    assert len(versions(api)) == 1


def test_every_miwg_diagram_deploys_or_gets_per_element_problems(api):
    outcomes = {}
    for path in MIWG_FILES:
        resp = upload(api, {path.name: path.read_bytes()})
        assert resp.status_code in (201, 422), (path.name, resp.status_code, resp.get_data(as_text=True)[:500])
        if resp.status_code == 422:
            problems = resp.get_json()["problems"]
            assert problems and any(p["element_id"] for p in problems), path.name
            assert all(p["message"] and p["file"] == path.name for p in problems), path.name
        outcomes[path.name] = resp.status_code
    assert len(outcomes) == 21
    # None of them carries our lanes and forms, so each is explained element by element.
    assert set(outcomes.values()) == {422}
    assert len(versions(api)) == 1


def test_forms_are_versioned_with_the_process(api, app):
    form = json.loads((ROOT / "forms" / "first_visit.json").read_text(encoding="utf-8"))
    form["components"].append(
        {
            "type": "textfield",
            "key": "site_contact",
            "label": "现场联系人",
            "label_en": "Site contact",
            "validate": {"required": True},
        }
    )
    old_pid = register(api)["id"]
    resp = upload(api, {"first_visit.json": json.dumps(form, ensure_ascii=False)})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["changes"]["files"]["changed"] == ["forms/first_visit.json"]
    new_pid = register(api)["id"]

    new_task = api.task_of("inspector_lj", new_pid, "first_visit")
    detail = api.get("inspector_lj", f"/api/v1/tasks/{new_task['id']}").get_json()
    assert "site_contact" in [c.get("key") for c in detail["form"]["components"]]
    body = api.complete("inspector_lj", new_task["id"], FIRST_VISIT_DATA, expect=422)
    assert set(body["errors"]) == {"site_contact"}
    api.complete("inspector_lj", new_task["id"], dict(FIRST_VISIT_DATA, site_contact="王工"))

    # The project registered before keeps the form of its own version.
    old_task = api.task_of("inspector_lj", old_pid, "first_visit")
    detail = api.get("inspector_lj", f"/api/v1/tasks/{old_task['id']}").get_json()
    assert "site_contact" not in [c.get("key") for c in detail["form"]["components"]]
    api.complete("inspector_lj", old_task["id"], FIRST_VISIT_DATA)


def test_same_content_again_is_not_a_new_version(api):
    resp = upload(api, {"small_works.bpmn": shipped_bpmn()})
    assert resp.status_code == 200 and resp.get_json()["version"] == 1 and resp.get_json()["created"] is False
    assert upload(api, {"small_works.bpmn": with_briefing_after_first_visit(shipped_bpmn())}).status_code == 201
    resp = upload(api, {"small_works.bpmn": shipped_bpmn()})
    assert resp.status_code == 409 and "第 1 版" in resp.get_json()["message"]
    assert [v["version"] for v in versions(api)] == [2, 1]


def test_files_of_a_version_can_be_downloaded(api):
    v1 = versions(api)[0]["id"]
    resp = api.get("designer", f"/api/v1/process-versions/{v1}/files/small_works.bpmn")
    assert resp.status_code == 200 and resp.get_data(as_text=True) == shipped_bpmn()
    assert "attachment" in resp.headers["Content-Disposition"]
    resp = api.get("designer", f"/api/v1/process-versions/{v1}/files/forms/first_visit.json")
    assert resp.status_code == 200 and resp.get_json()["id"] == "first_visit"
    assert api.get("designer", f"/api/v1/process-versions/{v1}/files/../secret").status_code == 404
    assert api.get("inspector_lj", f"/api/v1/process-versions/{v1}/files/small_works.bpmn").status_code == 403


def test_openapi_documents_the_designer_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/process-versions",
        "/api/v1/process-versions/{version_id}",
        "/api/v1/process-versions/{version_id}/migration",
        "/api/v1/projects/{project_id}/migrate",
    ):
        assert path in paths, path
    assert "multipart/form-data" in paths["/api/v1/process-versions"]["post"]["requestBody"]["content"]


def test_a_deployment_renaming_the_patrol_step_is_refused_naming_the_figure(api):
    from tests.helpers.bundles import renamed

    resp = upload(api, {"small_works.bpmn": renamed(shipped_bpmn(), "patrol", "patrol_round")})
    assert resp.status_code == 422, resp.get_json()
    messages = [p["message"] for p in resp.get_json()["problems"] if p["element_id"] == "patrol"]
    assert any("巡查覆盖率" in m and "site_visit" in m for m in messages), resp.get_json()
    assert len(versions(api)) == 1
