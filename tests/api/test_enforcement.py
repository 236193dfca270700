"""Hazards as records and the enforcement stage (执法处置), through the API (issue 14)."""

from __future__ import annotations

from tests.conftest import registration_data
from tests.helpers.lifecycle import (
    FIRST_VISIT,
    checklist,
    decide_stop_work,
    fire_timers,
    order,
    propose_stop_work,
    register,
    stopped_and_handed_over,
    to_patrol,
)


def put_rules(api, username, district, values):
    resp = api.client.put(
        f"/api/v1/districts/{district}/rules",
        json={"values": values, "reason": "测试：调整停工与执法参数"},
        headers={"Authorization": f"Bearer {api.token(username)}"},
    )
    assert resp.status_code == 200, resp.get_json()


def evidence_and_reinspect(api, pid, results, **extra):
    api.complete(
        "owner1",
        api.task_of("owner1", pid, "submit_evidence")["id"],
        {"measures_taken": "已整改", "completed_on": "2026-12-16"},
    )
    return api.post(
        "inspector_lj",
        f"/api/v1/tasks/{api.task_of('inspector_lj', pid, 'reinspect')['id']}/complete",
        {"data": {"hazard_results": results, "method": "onsite", **extra}},
    )


def test_a_failed_item_cannot_conclude_no_hazard(app, api, clock):
    pid, task = to_patrol(app, api, clock)
    resp = api.post(
        "inspector_lj",
        f"/api/v1/tasks/{task['id']}/complete",
        {"data": {"site_status": "IN_PROGRESS", "checklist": checklist(api, task, ["B02"]), "outcome": "no_hazard"}},
    )
    assert resp.status_code == 422
    assert "B02" in resp.get_json()["errors"]["outcome"] and "临边、洞口防护" in resp.get_json()["errors"]["outcome"]
    assert api.project("inspector_lj", pid)["hazards"] == []


def test_one_hazard_per_failed_item_each_with_deadline_status_and_history(app, api, clock):
    pid = order(app, api, clock)
    project = api.project("inspector_lj", pid)
    hazards = {h["item_code"]: h for h in project["hazards"]}
    assert set(hazards) == {"D02", "B02"} and project["open_hazards"] == 2
    for h in hazards.values():
        assert h["status"] == "open" and h["deadline_at"].startswith("2026-12-18")  # P3D from the order
        assert h["history"][-1]["note"] == "责令限期整改" and h["found_by"] == "inspector_lj"
    assert "电线" in hazards["D02"]["item_text"]
    # The rectification order lists both, cites its legal basis and the remedies, addressed to both parties.
    notices = api.get("inspector_lj", f"/api/v1/projects/{pid}/notices").get_json()
    rect = next(n for n in notices if n["kind"] == "rectification")
    assert "D02" in rect["html"] and "B02" in rect["html"] and "第一百零二条" in rect["html"]
    assert "行政复议" in rect["html"] and "行政诉讼" in rect["html"]
    assert "张三、厦门安建装饰工程有限公司" in rect["html"] and "厦门市思明区人民政府鹭江街道办事处" in rect["html"]
    assert "。。" not in rect["html"]

    # Re-inspection judges each hazard: one passes (销号), one fails and gets an extension.
    resp = evidence_and_reinspect(api, pid, {"H1": "passed", "H2": "failed"}, failed_action="extend")
    assert resp.status_code == 200, resp.get_json()
    hazards = {h["ref"]: h for h in api.project("inspector_lj", pid)["hazards"]}
    assert hazards["H1"]["status"] == "closed" and hazards["H1"]["closed_at"]
    assert hazards["H2"]["status"] == "open" and hazards["H2"]["extensions"] == 1
    assert [e["status"] for e in hazards["H2"]["history"]] == ["open", "evidence_submitted", "failed", "open"]
    assert api.task_of("owner1", pid, "submit_evidence")  # the second round
    # A second failure: P-11c allows one extension, so extending again is refused with the reason.
    resp = evidence_and_reinspect(api, pid, {"H2": "failed"}, failed_action="extend")
    assert resp.status_code == 422 and "最多延期次数" in resp.get_json()["errors"]["failed_action"]


def test_the_deadline_is_proposed_shortened_or_lengthened_within_the_district_maximum(app, api, clock):
    pid, task = to_patrol(app, api, clock)
    detail = api.get("inspector_lj", f"/api/v1/tasks/{task['id']}").get_json()
    text = next(c["text"] for c in detail["form"]["components"] if c.get("id") == "Text_deadline_proposal")
    assert "{rectify_deadline}" in text  # the page quotes the proposal; its value is in the task's data
    data = {
        "site_status": "IN_PROGRESS",
        "checklist": checklist(api, task, ["D02"]),
        "outcome": "rectify",
        "hazard_description": "电线乱拉",
    }
    too_late = api.post(
        "inspector_lj", f"/api/v1/tasks/{task['id']}/complete", {"data": dict(data, rectify_deadline="2026-12-30")}
    )
    assert too_late.status_code == 422 and "2026-12-22" in too_late.get_json()["errors"]["rectify_deadline"]
    api.complete("inspector_lj", task["id"], dict(data, rectify_deadline="2026-12-20"))  # lengthened, within P7D
    assert api.task_of("owner1", pid, "submit_evidence")["due_at"] == "2026-12-20T15:59:59+00:00"
    assert api.project("owner1", pid)["hazards"][0]["deadline_at"] == "2026-12-20T15:59:59+00:00"


def test_a_refused_stop_work_returns_to_rectification_with_a_new_deadline(app, api, clock):
    pid = order(app, api, clock, failed=("D02",))
    clock.advance(days=3, seconds=1)
    assert fire_timers(app) == 1  # overdue: P-15a starts a stop-work proposal
    propose_stop_work(api, pid, "OVERDUE", "逾期未整改")
    decide_stop_work(api, pid, approved="no", opinion="给予一次整改机会", rectify_deadline="2026-12-20")
    evidence = api.task_of("owner1", pid, "submit_evidence")
    assert evidence["due_at"] == "2026-12-20T15:59:59+00:00"
    project = api.project("owner1", pid)
    assert project["hazards"][0]["deadline_at"] == "2026-12-20T15:59:59+00:00" and project["open_hazards"] == 1
    kinds = [n["kind"] for n in api.get("inspector_lj", f"/api/v1/projects/{pid}/notices").get_json()]
    assert kinds.count("rectification") == 2 and "stop_work" not in kinds


def test_write_off_with_an_open_hazard_is_refused_with_the_reason(app, api, clock):
    pid = register(api)["id"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"], FIRST_VISIT)
    # An ad-hoc inspection (any time) orders a rectification; the owner then declares completion.
    assert api.post("inspector_lj", f"/api/v1/projects/{pid}/inspections", {"reason": "抽查"}).status_code == 201
    adhoc = api.task_of("inspector_lj", pid, "adhoc_inspection")
    api.complete(
        "inspector_lj",
        adhoc["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist(api, adhoc, ["D02"]),
            "outcome": "rectify",
            "hazard_description": "电线乱拉",
        },
    )
    api.complete(
        "owner1",
        api.task_of("owner1", pid, "declare_completion")["id"],
        {
            "actual_end": "2026-12-10",
            "scaffold_removed": True,
            "temp_power_removed": True,
            "debris_cleared": True,
            "no_structural_change": True,
        },
    )
    writeoff = api.task_of("inspector_lj", pid, "writeoff")
    refused = api.post(
        "inspector_lj",
        f"/api/v1/tasks/{writeoff['id']}/complete",
        {
            "data": {
                "scaffold_removed": True,
                "temp_power_removed": True,
                "debris_cleared": True,
                "outcome": "written_off",
            }
        },
    )
    assert refused.status_code == 422
    assert "未销号隐患" in refused.get_json()["errors"]["outcome"] and "H1" in refused.get_json()["errors"]["outcome"]
    assert api.task_of("inspector_lj", pid, "writeoff")  # nothing moved, nothing silently rerouted
    # Rectified and re-inspected, the write-off goes through.
    api.complete(
        "owner1",
        api.task_of("owner1", pid, "adhoc_evidence")["id"],
        {"measures_taken": "已整改", "completed_on": "2026-12-11"},
    )
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "adhoc_reinspect")["id"],
        {"hazard_results": {"H1": "passed"}, "method": "onsite"},
    )
    api.complete(
        "inspector_lj",
        writeoff["id"],
        {"scaffold_removed": True, "temp_power_removed": True, "debris_cleared": True, "outcome": "written_off"},
    )
    assert api.project("city", pid)["status"] == "已核销"


def test_structural_change_hand_over_goes_to_housing_and_resumption_comes_first(app, api, clock):
    pid, task = to_patrol(app, api, clock)
    api.complete(
        "inspector_lj",
        task["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist(api, task, ["A07"]),
            "outcome": "stop_now",
            "hazard_severity": "MAJOR",
            "hazard_description": "擅自拆除承重墙",
        },
    )
    propose_stop_work(
        api,
        pid,
        "PROHIBITED_ACT",
        "擅自拆除承重墙",
        scope="OPERATION",
        scope_detail="墙体拆除",
        handover="yes",
        violation="STRUCTURAL_CHANGE",
        internal_note="内部：请尽快",
    )
    decide_stop_work(api, pid, opinion="同意，内部意见不外发")
    ack = api.task_of("housing_sm", pid, "ack_housing")
    assert ack["due_at"].startswith("2026-12-18")  # 3 working days (P-17a)
    assert api.tasks("enforcer_sm", "ack_enforcement") == []
    notices = api.get("inspector_lj", f"/api/v1/projects/{pid}/notices").get_json()
    letter = next(n for n in notices if n["kind"] == "handover")
    assert "思明区住建局" in letter["html"] and "擅自变动主体和承重结构" in letter["html"]
    stop = next(n for n in notices if n["kind"] == "stop_work")
    assert "停止墙体拆除作业" in stop["html"] and "停止全部施工" not in stop["html"]
    assert "内部：请尽快" not in stop["html"] and "内部意见不外发" not in stop["html"]  # public wording only
    # 复工核查 is available before any decision of the receiving department.
    resume = api.task_of("inspector_lj", pid, "resume_check")
    api.complete("inspector_lj", resume["id"], {"hazard_results": {"H1": "passed"}, "resume": "yes", "note": "已恢复"})
    assert api.task_of("owner1", pid, "declare_completion")  # patrol cycle again
    assert api.task_of("housing_sm", pid, "ack_housing")  # the case runs beside it
    api.complete("housing_sm", ack["id"], {"received": True, "case_no": "思住建〔2026〕9号"})
    api.complete(
        "housing_sm",
        api.task_of("housing_sm", pid, "decide_housing")["id"],
        {
            "case_no": "思住建〔2026〕9号",
            "decision_type": "FINE",
            "fine_amount_yuan": 5000,
            "decided_on": "2026-12-20",
            "next_step": "continue",
        },
    )
    assert api.tasks("housing_sm", "decide_housing") == []


def test_stop_work_approver_and_imminent_danger_rules_act(app, api, clock):
    # P-15c: imminent danger → the stop order is issued at once, the supervisor approves afterwards.
    pid, task = to_patrol(app, api, clock)
    api.complete(
        "inspector_lj",
        task["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist(api, task),
            "outcome": "stop_now",
            "hazard_severity": "MAJOR",
            "hazard_description": "脚手架倾斜",
        },
    )
    propose_stop_work(api, pid, "MAJOR_HAZARD", "脚手架倾斜", imminent="yes")
    kinds = [n["kind"] for n in api.get("inspector_lj", f"/api/v1/projects/{pid}/notices").get_json()]
    assert "stop_work" in kinds and api.task_of("supervisor_lj", pid, "approve_stop_work")
    # P-14: the district lets the inspector decide: no approval step at all.
    put_rules(api, "admin_sm", "350203", {"stop_work_approver": "inspector"})
    pid2, task2 = to_patrol(app, api, clock, title="第二个工程")
    api.complete(
        "inspector_lj",
        task2["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist(api, task2),
            "outcome": "stop_now",
            "hazard_severity": "MAJOR",
            "hazard_description": "无防护",
        },
    )
    propose_stop_work(api, pid2, "UNSAFE_CONDITIONS", "无防护")
    assert [t for t in api.tasks("supervisor_lj", "approve_stop_work") if t["project_id"] == pid2] == []
    assert api.task_of("inspector_lj", pid2, "resume_check")


def test_overdue_without_auto_stop_goes_to_reinspection(app, api, clock):
    put_rules(api, "admin_sm", "350203", {"auto_stop_overdue": False})
    pid = order(app, api, clock, failed=("D02",))
    clock.advance(days=3, seconds=1)
    assert fire_timers(app) == 1
    assert api.tasks("inspector_lj", "propose_stop_work") == []
    assert api.task_of("inspector_lj", pid, "reinspect")


def test_remote_reinspection_only_for_the_districts_severities(app, api, clock):
    pid = order(app, api, clock, failed=("D01",))  # D01 is a major item
    resp = evidence_and_reinspect(api, pid, {"H1": "passed"}, method="remote")
    assert resp.status_code == 422 and "现场复查" in resp.get_json()["errors"]["method"]
    put_rules(api, "admin_sm", "350203", {"remote_reinspection_severities": ["GENERAL", "MAJOR"]})
    task = api.task_of("inspector_lj", pid, "reinspect")
    api.complete("inspector_lj", task["id"], {"hazard_results": {"H1": "passed"}, "method": "remote"})
    assert api.project("owner1", pid)["open_hazards"] == 0


def test_unregistered_site_without_auto_stop_gets_no_stop_notice(app, api, clock):
    put_rules(api, "admin_sm", "350203", {"auto_stop_unregistered": False})
    lead = api.post(
        "grid_lj",
        "/api/v1/leads",
        {
            "data": {
                "street": "350203001",
                "address": "思明区大同路 20 号",
                "description": "疑似装修",
                "urgency": "NORMAL",
            }
        },
    ).get_json()
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", lead["id"], "check_lead")["id"],
        {"outcome": "unregistered", "finding": "未登记"},
    )
    assert api.task_of("inspector_lj", lead["id"], "onsite_registration")
    kinds = [n["kind"] for n in api.get("inspector_lj", f"/api/v1/projects/{lead['id']}/notices").get_json()]
    assert "stop_work" not in kinds


def test_leads_about_a_registered_site_become_inspections_on_it(app, api, clock):
    pid = register(api)["id"]
    reg_no = api.project("owner1", pid)["reg_no"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"], FIRST_VISIT)
    before = api.get("city", "/api/v1/projects").get_json()["total"]
    # (A report from the site's public page: tests/oversight/test_public.py.) A grid worker's lead that the inspector finds to be the registered site.
    lead = api.post(
        "grid_lj",
        "/api/v1/leads",
        {
            "data": {
                "street": "350203001",
                "address": "思明区鹭江道 88 号",
                "description": "夜间施工噪音，疑似无防护",
                "urgency": "NORMAL",
            }
        },
    ).get_json()
    check = api.task_of("inspector_lj", lead["id"], "check_lead")
    bad = api.post(
        "inspector_lj",
        f"/api/v1/tasks/{check['id']}/complete",
        {"data": {"outcome": "registered", "registered_no": "XM-350203-20990101-0001", "finding": "x"}},
    )
    assert bad.status_code == 422 and "registered_no" in bad.get_json()["errors"]
    api.complete("inspector_lj", check["id"], {"outcome": "registered", "registered_no": reg_no, "finding": "已登记"})
    adhoc = api.task_of("inspector_lj", pid, "adhoc_inspection")
    assert api.project("grid_lj", lead["id"])["status"] == "线索已转已登记项目"
    assert api.get("city", "/api/v1/projects").get_json()["total"] == before + 1  # the lead itself only
    # The ad-hoc inspection records hazards like a patrol and can order rectification.
    api.complete(
        "inspector_lj",
        adhoc["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist(api, adhoc, ["E05"]),
            "outcome": "rectify",
            "hazard_description": "室内充电",
        },
    )
    assert api.project("owner1", pid)["hazards"][0]["found_in"] == "adhoc_inspection"
    assert api.task_of("owner1", pid, "adhoc_evidence")
    assert api.task_of("owner1", pid, "declare_completion")  # the patrol cycle goes on beside it


def test_notices_carry_a_service_record(app, api, clock):
    pid = order(app, api, clock, failed=("D02",))
    notice = next(
        n for n in api.get("inspector_lj", f"/api/v1/projects/{pid}/notices").get_json() if n["kind"] == "rectification"
    )
    missing = api.post(
        "inspector_lj", f"/api/v1/notices/{notice['id']}/service", {"method": "IN_PERSON", "served_to": "李四"}
    )
    assert missing.status_code == 422 and "photos" in missing.get_json()["errors"]
    served = api.post(
        "inspector_lj",
        f"/api/v1/notices/{notice['id']}/service",
        {"method": "ELECTRONIC", "served_to": "张三（业主）", "note": "短信送达"},
    )
    assert served.status_code == 201, served.get_json()
    assert served.get_json()["service"]["served_to"] == "张三（业主）"
    assert (
        api.post(
            "inspector_lj", f"/api/v1/notices/{notice['id']}/service", {"method": "ELECTRONIC", "served_to": "x"}
        ).status_code
        == 409
    )
    assert (
        api.post(
            "owner1", f"/api/v1/notices/{notice['id']}/service", {"method": "ELECTRONIC", "served_to": "x"}
        ).status_code
        == 403
    )


def test_next_patrol_date_on_the_project(app, api, clock):
    pid = register(api, **{k: v for k, v in registration_data().items() if k == "title"})["id"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"], FIRST_VISIT)
    assert api.project("inspector_lj", pid)["next_patrol_at"].startswith("2026-12-15")  # medium: P14D


def test_a_hand_over_not_acknowledged_in_time_is_followed_up_by_the_supervisor(app, api, clock):
    pid = stopped_and_handed_over(api, app, clock)
    assert api.tasks("supervisor_lj", "urge_case") == []
    clock.advance(days=2, hours=23)  # Friday 2026-12-18 00:00: still within the 3 working days (P-17a)
    fire_timers(app)
    assert api.tasks("supervisor_lj", "urge_case") == []
    clock.advance(hours=1, seconds=1)
    fire_timers(app)
    urge = api.task_of("supervisor_lj", pid, "urge_case")
    detail = api.get("supervisor_lj", f"/api/v1/tasks/{urge['id']}").get_json()
    assert detail["form"]["title"] == "督办逾期未接收的移送案件"
    resp = api.post("supervisor_lj", f"/api/v1/tasks/{urge['id']}/complete", {"data": {"urge_method": "PHONE"}})
    assert resp.status_code == 422 and "urge_note" in resp.get_json()["errors"]
    api.complete("supervisor_lj", urge["id"], {"urge_method": "LETTER", "urge_note": "已发督办函，请三日内接收"})
    assert api.tasks("supervisor_lj", "urge_case") == []
    ack = api.task_of("housing_sm", pid, "ack_housing")  # the bureau still has to acknowledge
    api.complete("housing_sm", ack["id"], {"received": True, "case_no": "思住建〔2026〕11号"})
    assert api.task_of("housing_sm", pid, "decide_housing")
    history = api.project("inspector_lj", pid)["history"]
    assert any("督办" in (e.get("title") or "") for e in history)


def test_an_acknowledged_hand_over_needs_no_follow_up(app, api, clock):
    pid = stopped_and_handed_over(api, app, clock)
    api.complete(
        "housing_sm",
        api.task_of("housing_sm", pid, "ack_housing")["id"],
        {"received": True, "case_no": "思住建〔2026〕12号"},
    )
    clock.advance(days=5)
    fire_timers(app)
    assert api.tasks("supervisor_lj", "urge_case") == []


def test_an_ad_hoc_inspection_orders_rectification_only(app, api, clock):
    pid = register(api)["id"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"], FIRST_VISIT)
    assert api.post("inspector_lj", f"/api/v1/projects/{pid}/inspections", {"reason": "群众反映"}).status_code == 201
    adhoc = api.task_of("inspector_lj", pid, "adhoc_inspection")
    outcomes = next(
        c
        for c in api.get("inspector_lj", f"/api/v1/tasks/{adhoc['id']}").get_json()["form"]["components"]
        if c.get("key") == "outcome"
    )
    assert [v["value"] for v in outcomes["values"]] == ["no_hazard", "fixed_onsite", "rectify"]
    resp = api.post(
        "inspector_lj",
        f"/api/v1/tasks/{adhoc['id']}/complete",
        {
            "data": {
                "site_status": "IN_PROGRESS",
                "checklist": checklist(api, adhoc, ["A07"]),
                "outcome": "stop_now",
                "hazard_severity": "MAJOR",
                "hazard_description": "拆承重墙",
            }
        },
    )
    assert resp.status_code == 422 and "outcome" in resp.get_json()["errors"]
    assert api.tasks("inspector_lj", "propose_stop_work") == [] and api.project("inspector_lj", pid)["hazards"] == []
