"""What a version changed, as a designer reads it: diagram elements, decision-table rows, form fields."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.designer import shipped_bpmn, upload, with_briefing_after_first_visit
from tests.helpers.pages import login

ROOT = Path(__file__).resolve().parents[2]


def deploy_changes(api) -> tuple[dict, dict]:
    """v2: 安全交底确认 added, 首次核实 renamed, a triage row changed, a first-visit field relabelled;
    returns (v1, v2)."""
    v1 = api.get("designer", "/api/v1/process-versions").get_json()[0]
    form = json.loads((ROOT / "forms" / "first_visit.json").read_text(encoding="utf-8"))
    form["components"][0]["label"] = "现场与登记信息是否相符"
    triage = (ROOT / "processes" / "triage.dmn").read_text(encoding="utf-8")
    resp = upload(
        api,
        {
            "small_works.bpmn": with_briefing_after_first_visit(shipped_bpmn()).replace(
                'name="首次核实"', 'name="首次现场核实"', 1
            ),
            "triage.dmn": triage.replace(
                '<inputEntry id="triage_r0_i0"><text>True</text>',
                '<inputEntry id="triage_r0_i0"><text>temporary == True</text>',
                1,
            ),
            "first_visit.json": json.dumps(form, ensure_ascii=False),
        },
    )
    assert resp.status_code == 201, resp.get_json()
    return v1, resp.get_json()


def test_the_diff_lists_elements_rows_and_fields(api):
    v1, v2 = deploy_changes(api)
    diff = api.get("designer", f"/api/v1/process-versions/{v2['id']}/diff").get_json()
    assert (diff["version"]["version"], diff["against"]["version"]) == (2, 1)
    bpmn = diff["bpmn"]["small_works.bpmn"]
    assert {e["id"] for e in bpmn["added"]} == {"safety_briefing", "f_briefed"}
    assert bpmn["removed"] == []
    changed = {e["id"]: e["what"] for e in bpmn["changed"]}
    assert changed["first_visit"] == ["name"] and changed["f_first_visit_done"] == ["targetRef"]
    assert changed["Lane_inspector"] == ["flowNodeRef"]
    [table] = diff["dmn"]
    assert table["decision_id"] == "triage" and [r["id"] for r in table["rows_changed"]] == ["triage_r0"]
    row = table["rows_changed"][0]
    assert (row["before"][0], row["after"][0]) == ("True", "temporary == True")
    [form] = diff["forms"]
    assert form["form"] == "first_visit"
    assert [(f["key"], f["what"]) for f in form["changed"]] == [("site_matches", ["label"])]

    # The other way round, against any version: what v2 added is what v1 lacks.
    back = api.get(
        "designer", f"/api/v1/process-versions/{v1['id']}/diff", query_string={"against": v2["id"]}
    ).get_json()
    assert {e["id"] for e in back["bpmn"]["small_works.bpmn"]["removed"]} == {"safety_briefing", "f_briefed"}
    assert api.get("designer", f"/api/v1/process-versions/{v1['id']}/diff").get_json()["against"] is None
    assert api.get("inspector_lj", f"/api/v1/process-versions/{v2['id']}/diff").status_code == 403


def test_the_version_page_marks_the_diagram_and_lists_the_changes(app, api):
    v1, v2 = deploy_changes(api)
    browser = app.test_client()
    login(browser, "designer")
    html = browser.get(f"/designer/versions/{v2['id']}").get_data(as_text=True)
    new = html.split('data-testid="diff-new"')[0].rsplit("<div", 1)[1]
    marks = json.loads(new.split('data-marks="')[1].split('"')[0].replace("&#34;", '"'))
    assert marks["safety_briefing"] == "added" and marks["first_visit"] == "changed"
    assert 'data-testid="diff-old"' in html and "js/designer/diff.js" in html
    assert 'data-diff-element="safety_briefing"' in html
    assert "temporary == True" in html and "现场与登记信息是否相符" in html
    # An older version offers to be deployed again, with the preview of running projects.
    old = browser.get(f"/designer/versions/{v1['id']}").get_data(as_text=True)
    assert 'data-testid="rollback"' in old and 'data-testid="migration"' in old
    assert 'data-testid="rollback"' not in html
