"""District variants: a district deploys its own version line; the city's version stays the default
of every other district; a variant must keep what the city requires."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.helpers.designer import (
    BRIEFING_DATA,
    FIRST_VISIT_DATA,
    shipped_bpmn,
    upload,
    with_briefing_after_first_visit,
)
from tests.helpers.lifecycle import register
from tests.helpers.pages import login

HULI = dict(
    street="350206001", community="350206001001", address="湖里区湖里大道 18 号", title="湖里大道 18 号店面装修"
)
SIMING, HULI_CODE = "350203", "350206"


def version_of(app, project_id: int) -> tuple[int, str | None]:
    from webapp.persistence.models import ProcessInstance, ProcessVersion, db

    with app.app_context():
        instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.project_id == project_id))
        version = db.session.get(ProcessVersion, instance.version_id)
        return version.version, version.district_code


def deploy_siming_variant(api, username: str = "designer_sm") -> dict:
    resp = upload(
        api,
        {"small_works.bpmn": with_briefing_after_first_visit(shipped_bpmn())},
        username=username,
        note="思明区：首次核实后安全交底",
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_siming_deploys_a_variant_and_only_its_new_projects_start_on_it(app, api):
    variant = deploy_siming_variant(api)
    assert (variant["version"], variant["district_code"], variant["district_name"]) == (2, SIMING, "思明区")
    assert variant["changes"]["previous"] == 1  # laid over the city's version 1
    assert [e["id"] for e in variant["changes"]["elements"]["added"]] == ["safety_briefing"]

    huli = register(api, "owner2", **HULI)["id"]
    siming = register(api)["id"]
    assert version_of(app, huli) == (1, None)
    assert version_of(app, siming) == (2, SIMING)

    # The variant's step is in 思明区's inbox, not in 湖里区's.
    api.complete("inspector_lj", api.task_of("inspector_lj", siming, "first_visit")["id"], FIRST_VISIT_DATA)
    api.complete("inspector_lj", api.task_of("inspector_lj", siming, "safety_briefing")["id"], BRIEFING_DATA)
    api.complete("inspector_hl", api.task_of("inspector_hl", huli, "first_visit")["id"], FIRST_VISIT_DATA)
    assert api.tasks("inspector_hl", "safety_briefing") == []
    assert api.task_of("owner2", huli, "declare_completion")

    # The city deploys its next version: 湖里区 takes it, 思明区 stays on its variant.
    resp = upload(api, {"small_works.bpmn": shipped_bpmn().replace('name="首次核实"', 'name="首次现场核实"', 1)})
    assert resp.status_code == 201, resp.get_json()
    assert (resp.get_json()["version"], resp.get_json()["district_code"]) == (3, None)
    assert version_of(app, register(api, "owner2", **HULI)["id"]) == (3, None)
    assert version_of(app, register(api)["id"]) == (2, SIMING)

    # The city sees which district runs which version.
    lines = api.get("city", "/api/v1/process-variants").get_json()
    assert lines["city_version"]["version"] == 3
    by_name = {d["district_name"]: d for d in lines["districts"]}
    assert by_name["思明区"]["has_variant"] and by_name["思明区"]["new_projects_version"]["version"] == 2
    assert by_name["思明区"]["variant"]["created_by"] == "designer_sm"
    assert by_name["思明区"]["running"] == [{"version": 2, "variant": True, "projects": 2}]
    assert not by_name["湖里区"]["has_variant"] and by_name["湖里区"]["new_projects_version"]["version"] == 3
    assert sorted((r["version"], r["projects"]) for r in by_name["湖里区"]["running"]) == [(1, 1), (3, 1)]

    # The city's page says the same.
    browser = app.test_client()
    login(browser, "city")
    html = browser.get("/process-variants").get_data(as_text=True)
    siming_row = html.split('data-testid="district-350203"')[1].split("</tr>")[0]
    huli_row = html.split('data-testid="district-350206"')[1].split("</tr>")[0]
    assert 'data-testid="runs-variant"' in siming_row and "v2" in siming_row
    assert 'data-testid="runs-city"' in huli_row and "v3" in huli_row

    # Both deployments are in the audit trail, the variant named by its district.
    events = api.get("auditor", "/api/v1/audit", query_string={"action": "deployment"}).get_json()["items"]
    titles = {e["details"]["title"] for e in events}
    assert {"small_works 思明区 v2", "small_works v3"} <= titles


def test_a_district_sees_and_changes_only_its_own_line(app, api):
    variant = deploy_siming_variant(api, username="admin_sm")  # the district's administrator may deploy too
    assert variant["district_code"] == SIMING and variant["created_by"] == "admin_sm"
    # 湖里区 neither sees 思明区's variant nor moves projects onto it; its own lines: only the city's.
    assert api.get("admin_hl", f"/api/v1/process-versions/{variant['id']}").status_code == 404
    assert {v["district_code"] for v in api.get("admin_hl", "/api/v1/process-versions").get_json()} == {None}
    assert [d["district_name"] for d in api.get("admin_hl", "/api/v1/process-variants").get_json()["districts"]] == [
        "湖里区"
    ]
    # A 湖里区 project cannot move onto 思明区's variant, nor may 思明区 move projects onto city versions.
    huli = register(api, "owner2", **HULI)["id"]
    assert version_of(app, register(api)["id"]) == (2, SIMING)
    resp = api.post("designer", f"/api/v1/projects/{huli}/migrate", {"version": 2, "dry_run": True})
    assert resp.status_code == 403
    assert api.get("admin_sm", "/api/v1/process-versions/1/migration").status_code == 403
    preview = api.get("admin_sm", f"/api/v1/process-versions/{variant['id']}/migration").get_json()
    assert preview["projects"] == []  # 湖里区's project is not 思明区's to move


def test_siming_projects_on_the_city_version_can_move_to_the_variant(app, api):
    siming = register(api)["id"]
    huli = register(api, "owner2", **HULI)["id"]
    variant = deploy_siming_variant(api)
    preview = api.get("designer_sm", f"/api/v1/process-versions/{variant['id']}/migration").get_json()
    assert [(p["project_id"], p["ok"]) for p in preview["projects"]] == [(siming, True)]
    moved = api.post(
        "designer_sm", f"/api/v1/process-versions/{variant['id']}/migration", {"project_ids": [siming, huli]}
    ).get_json()
    assert [(r["project_id"], r["migrated"]) for r in moved] == [(siming, True)]
    assert version_of(app, siming) == (2, SIMING) and version_of(app, huli) == (1, None)


def test_a_variant_must_keep_the_city_lanes_figures_and_notices(api):
    bpmn = with_briefing_after_first_visit(shipped_bpmn())
    # The gas authority's lane renamed into a second enforcement lane: its role is gone.
    no_lane = bpmn.replace(
        '<bpmn:lane id="Lane_gas" name="燃气主管部门">', '<bpmn:lane id="Lane_gas" name="区综合执法局">'
    )
    # 首次核实 no longer counts as a site visit; the rectification order is no longer issued.
    no_kpi = no_lane.replace('<spiffworkflow:property name="kpi" value="site_visit" />', "", 1)
    dropped = no_kpi.replace('<spiffworkflow:property name="notice" value="rectification" />', "", 1)
    assert dropped.count("site_visit") == bpmn.count("site_visit") - 1

    resp = upload(api, {"small_works.bpmn": dropped}, username="designer_sm")
    assert resp.status_code == 422, resp.get_json()
    problems = {p["element_id"]: p["message"] for p in resp.get_json()["problems"]}
    assert "燃气主管部门" in problems["Lane_gas"] and "思明区的变体" in problems["Lane_gas"]
    assert "kpi=site_visit" in problems["first_visit"] and "巡查覆盖率" in problems["first_visit"]
    assert "notice=rectification" in problems["set_deadline"]
    assert api.get("designer", "/api/v1/process-versions").get_json()[0]["version"] == 1  # nothing deployed

    # Each requirement is its own problem: the lane alone is one.
    resp = upload(api, {"small_works.bpmn": no_lane}, username="designer_sm", dry_run="true")
    assert [p["element_id"] for p in resp.get_json()["problems"]] == ["Lane_gas"]
    # Without those drops the variant deploys.
    assert upload(api, {"small_works.bpmn": bpmn}, username="designer_sm").status_code == 201


def test_a_variant_runs_its_district_scenarios_in_place_of_the_city_ones(app, api, tmp_path):
    """processes/scenarios/<district>/ holds how a variant's cases go: each replaces the city's
    scenario of its name for that district's deploys only."""
    import shutil

    from webapp.domain import scenarios as domain
    from webapp.domain.catalog import parse_bundle
    from webapp.services.designer import scenarios as service
    from webapp.services.designer.versions import read_directory

    processes = tmp_path / "processes"
    shutil.copytree(app.config["PROCESSES_DIR"], processes)
    app.config["PROCESSES_DIR"] = str(processes)
    variant = with_briefing_after_first_visit(shipped_bpmn())

    def dry_run(username):
        resp = upload(api, {"small_works.bpmn": variant}, username=username, override=None, dry_run="true")
        return {r["name"]: r for r in resp.get_json()["scenarios"]["results"]}

    before = dry_run("designer_sm")
    assert not before["first_visit_mismatch"]["passed"]
    # 思明区's own case: the briefing answered after 首次核实, its outcome recorded from a replay.
    case = domain.parse(
        (processes / "scenarios" / "first_visit_mismatch.json").read_text(encoding="utf-8"), "first_visit_mismatch.json"
    )
    case.steps.insert(1, {"task": "safety_briefing", "data": BRIEFING_DATA})
    files = dict(read_directory(str(processes)), **{"small_works.bpmn": variant})
    with app.app_context():
        case.expect = domain.expectation(domain.execute(parse_bundle(files), case, service.helpers, service.checklist))
    assert "safety_briefing" in case.expect["path"]
    (processes / "scenarios" / SIMING).mkdir()
    (processes / "scenarios" / SIMING / "first_visit_mismatch.json").write_text(
        json.dumps(case.to_dict(), ensure_ascii=False), encoding="utf-8"
    )

    after = dry_run("designer_sm")
    assert (
        after["first_visit_mismatch"]["passed"]
        and after["first_visit_mismatch"]["file"] == f"{SIMING}/first_visit_mismatch.json"
    )
    assert sum(not r["passed"] for r in after.values()) == sum(not r["passed"] for r in before.values()) - 1
    assert not dry_run("admin_hl")["first_visit_mismatch"]["passed"]  # 湖里区 runs the city's
