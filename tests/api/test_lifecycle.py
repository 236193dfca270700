"""The whole 纳管 loop through the JSON API, with the clock moved by a test clock."""

from __future__ import annotations

from tests.conftest import BOTH_BACKENDS, registration_data
from tests.helpers.lifecycle import fire_timers, notice_kinds, register

pytestmark = BOTH_BACKENDS


def steps(api, username, project_id) -> list[str]:
    return [h["element_id"] for h in api.project(username, project_id)["history"] if h["element_id"]]


def test_full_lifecycle_registration_to_written_off(app, api, clock):
    created = register(api)
    pid = created["id"]
    assert created["reg_no"].startswith("XM-350203-20261201-")
    project = api.project("inspector_lj", pid)
    assert project["risk_level"] == "MEDIUM"  # height work + temporary power
    assert project["stage"] == "patrol" and project["status"] == "待首次核实"

    # First verification visit, then the patrol timer (medium risk: 14 days).
    task = api.task_of("inspector_lj", pid, "first_visit")
    assert task["due_at"].startswith("2026-12-06")  # P5D for medium risk
    api.complete("inspector_lj", task["id"], {"site_matches": "yes", "site_status": "IN_PROGRESS"})
    assert api.project("owner1", pid)["status"] == "在施（待巡查）"
    assert api.tasks("inspector_lj", "patrol") == []
    clock.advance(days=13)
    assert fire_timers(app) == 0
    clock.advance(days=1, seconds=1)
    assert fire_timers(app) == 1

    # Patrol finds a general hazard → rectification order with a 3-day deadline.
    patrol = api.task_of("inspector_lj", pid, "patrol")
    detail = api.get("inspector_lj", f"/api/v1/tasks/{patrol['id']}").get_json()
    codes = {item["code"] for item in detail["checklist"]}
    assert {"B01", "D01"} <= codes and "G01" not in codes
    checklist = {code: "OK" for code in codes}
    checklist["D02"] = "NOK"
    api.complete(
        "inspector_lj",
        patrol["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist,
            "outcome": "rectify",
            "hazard_severity": "GENERAL",
            "hazard_description": "临时用电电线乱拉乱接",
        },
    )
    evidence = api.task_of("owner1", pid, "submit_evidence")
    assert evidence["due_at"].startswith("2026-12-18")
    assert api.project("owner1", pid)["stage"] == "enforcement"

    # Deadline missed → escalation to a stop-work proposal on its own.
    clock.advance(days=3, seconds=1)
    assert fire_timers(app) == 1
    assert api.tasks("owner1", "submit_evidence") == []
    proposal = api.task_of("inspector_lj", pid, "propose_stop_work")
    api.complete(
        "inspector_lj",
        proposal["id"],
        {
            "reason": "OVERDUE",
            "scope": "WHOLE_SITE",
            "facts": "逾期未整改",
            "imminent": "no",
            "handover": "yes",
            "violation": "OVERDUE",
        },
    )
    approval = api.task_of("supervisor_lj", pid, "approve_stop_work")
    api.complete("supervisor_lj", approval["id"], {"approved": "yes", "opinion": "同意停工，移交区综合执法局"})
    # No enforcement case system answered within P-34b (4 hours): the department acknowledges itself.
    offered = api.post(
        "case_system", "/api/v1/external-tasks/fetch-and-lock", {"topics": ["enforcement-case"], "worker_id": "w"}
    ).get_json()
    assert [t["element_id"] for t in offered] == ["send_enforcement_case"]
    clock.advance(hours=4, seconds=1)
    assert fire_timers(app) == 1
    ack = api.task_of("enforcer_sm", pid, "ack_enforcement")
    api.complete("enforcer_sm", ack["id"], {"received": True, "case_no": "思综执〔2026〕123号"})
    decision = api.task_of("enforcer_sm", pid, "enforcement_decision")
    api.complete(
        "enforcer_sm",
        decision["id"],
        {
            "case_no": "思综执〔2026〕123号",
            "decision_type": "FINE",
            "fine_amount_yuan": 20000,
            "decided_on": "2026-12-20",
            "next_step": "continue",
        },
    )
    resume = api.task_of("inspector_lj", pid, "resume_check")
    api.complete(
        "inspector_lj",
        resume["id"],
        {"hazard_results": {"H1": "passed"}, "resume": "yes", "note": "隐患已整改，同意复工"},
    )

    # Owner declares completion; the inspector writes the project off.
    declare = api.task_of("owner1", pid, "declare_completion")
    api.complete(
        "owner1",
        declare["id"],
        {
            "actual_end": "2027-01-15",
            "scaffold_removed": True,
            "temp_power_removed": True,
            "debris_cleared": True,
            "no_structural_change": True,
        },
    )
    writeoff = api.task_of("inspector_lj", pid, "writeoff")
    api.complete(
        "inspector_lj",
        writeoff["id"],
        {
            "scaffold_removed": True,
            "temp_power_removed": True,
            "debris_cleared": True,
            "outcome": "written_off",
        },
    )
    final = api.project("city", pid)
    assert final["stage"] == "writeoff" and final["status"] == "已核销"
    assert final["closed_at"] is not None and final["tasks"] == []
    path = steps(api, "city", pid)
    for element in (
        "triage",
        "classify_risk",
        "first_visit",
        "patrol_due",
        "patrol",
        "set_deadline",
        "deadline_passed",
        "propose_stop_work",
        "approve_stop_work",
        "issue_stop",
        "route_case",
        "enforcement_case_unanswered",
        "ack_enforcement",
        "enforcement_decision",
        "resume_check",
        "declare_completion",
        "writeoff",
        "end_written_off",
    ):
        assert element in path, element
    completed = [h for h in api.project("city", pid)["history"] if h["kind"] == "task_completed"]
    assert [h["actor"] for h in completed] == [
        "inspector_lj",
        "inspector_lj",
        "inspector_lj",
        "supervisor_lj",
        "enforcer_sm",
        "enforcer_sm",
        "inspector_lj",
        "owner1",
        "inspector_lj",
    ]
    assert completed[1]["data"]["hazard_description"] == "临时用电电线乱拉乱接"


def test_rectified_hazard_passes_reinspection_and_patrol_continues(app, api, clock):
    pid = register(api, risk_flags=["DEMOLITION"])["id"]
    assert api.project("owner1", pid)["risk_level"] == "HIGH"
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "first_visit")["id"],
        {"site_matches": "yes", "site_status": "IN_PROGRESS"},
    )
    clock.advance(days=7, seconds=1)  # high risk: weekly
    assert fire_timers(app) == 1
    patrol = api.task_of("inspector_lj", pid, "patrol")
    items = api.get("inspector_lj", f"/api/v1/tasks/{patrol['id']}").get_json()["checklist"]
    api.complete(
        "inspector_lj",
        patrol["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": {i["code"]: "OK" for i in items},
            "outcome": "rectify",
            "hazard_severity": "MAJOR",
            "hazard_description": "拆除作业未设警戒区",
        },
    )
    evidence = api.task_of("owner1", pid, "submit_evidence")
    assert evidence["due_at"].startswith("2026-12-09")  # major: 1 day
    api.complete("owner1", evidence["id"], {"measures_taken": "已设置警戒区和专人监护", "completed_on": "2026-12-08"})
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "reinspect")["id"],
        {"hazard_results": {"H1": "passed"}, "method": "onsite"},
    )
    assert api.project("owner1", pid)["status"] == "在施（待巡查）"
    assert api.task_of("owner1", pid, "declare_completion")


def test_lead_to_onsite_registration(app, api, clock):
    resp = api.post(
        "grid_lj",
        "/api/v1/leads",
        {
            "data": {
                "street": "350203001",
                "address": "思明区大同路 12 号",
                "description": "沿街店面疑似在拆墙，未见登记公示",
                "urgency": "IMMINENT",
            }
        },
    )
    assert resp.status_code == 201, resp.get_json()
    lead = resp.get_json()
    assert lead["reg_no"].startswith("XL-350203-")
    check = api.task_of("inspector_lj", lead["id"], "check_lead")
    assert check["due_at"].startswith("2026-12-01T03:00")  # imminent: 2 hours
    assert api.tasks("inspector_zh", "check_lead") == []
    api.complete("inspector_lj", check["id"], {"outcome": "unregistered", "finding": "现场正在拆除非承重墙，未登记"})
    onsite = api.task_of("inspector_lj", lead["id"], "onsite_registration")
    assert api.project("inspector_lj", lead["id"])["status"] == "停工待登记"
    project = api.project("inspector_lj", lead["id"])
    assert project["status"] == "停工待登记"
    # A stop notice (stop until registered) is issued when the site is found.
    notices = api.get("inspector_lj", f"/api/v1/projects/{lead['id']}/notices").get_json()
    stop = [n for n in notices if n["kind"] == "stop_work"]
    assert len(stop) == 1 and "办理信息登记" in stop[0]["html"]
    # The on-site registration starts from what the lead carried.
    detail = api.get("inspector_lj", f"/api/v1/tasks/{onsite['id']}").get_json()
    assert detail["values"]["street"] == "350203001" and detail["values"]["address"] == "思明区大同路 12 号"
    data = registration_data(title="大同路 12 号店面改造", risk_flags=["DEMOLITION"])
    del data["address"]  # kept from the lead
    # The safety commitment is the owner's: staff may not tick it for them.
    refused = api.complete("inspector_lj", onsite["id"], data, expect=422)
    assert refused["errors"] == {"commitment_signed": "此项须由业主本人确认，工作人员不得代为填写"}
    data.pop("commitment_signed")
    api.complete("inspector_lj", onsite["id"], data)
    project = api.project("inspector_lj", lead["id"])
    assert project["title"] == "大同路 12 号店面改造" and project["address"] == "思明区大同路 12 号"
    # The inspector has just verified the site: no second first visit, the patrol cycle starts.
    assert project["risk_level"] == "HIGH" and project["status"] == "在施（待巡查）"
    assert api.tasks("inspector_lj", "first_visit") == []
    assert project["data"]["stop_work_until_registered"] is False
    assert project["next_patrol_at"].startswith("2026-12-08")
    assert project["late_registration"] is True and project["awaiting_owner_claim"] is True  # 补登记
    # The owner's step waits for the owner side: in nobody's inbox, shown as 待业主认领.
    [declare] = [t for t in api.project("inspector_lj", lead["id"])["tasks"] if t["element_id"] == "declare_completion"]
    assert declare["role"] == "owner" and declare["waiting_for"] == "待业主认领"
    assert [t for t in api.tasks("inspector_lj") if t["project_id"] == lead["id"]] == []
    assert [t for t in api.tasks("owner1") if t["project_id"] == lead["id"]] == []


def test_an_inspectors_on_site_registration_is_verified_by_someone_else(app, api, clock):
    created = register(api, "inspector_lj", title="现场发现的店面装修")
    project = api.project("inspector_lj", created["id"])
    assert project["awaiting_owner_claim"] is True
    # The inspector who registered does not verify his own entry: the supervisor does.
    assert [t for t in api.tasks("inspector_lj", "first_visit") if t["project_id"] == created["id"]] == []
    first = api.task_of("supervisor_lj", created["id"], "first_visit")
    api.complete("inspector_lj", first["id"], {"site_matches": "yes", "site_status": "IN_PROGRESS"}, expect=403)
    api.complete("supervisor_lj", first["id"], {"site_matches": "yes", "site_status": "IN_PROGRESS"})
    [declare] = [
        t for t in api.project("inspector_lj", created["id"])["tasks"] if t["element_id"] == "declare_completion"
    ]
    assert declare["waiting_for"] == "待业主认领"


def test_lead_without_site_is_closed(api, clock):
    lead = api.post(
        "grid_lj",
        "/api/v1/leads",
        {
            "data": {
                "street": "350203001",
                "address": "思明区镇海路 3 号",
                "description": "疑似装修",
                "urgency": "NORMAL",
            }
        },
    ).get_json()
    check = api.task_of("inspector_lj", lead["id"], "check_lead")
    assert check["due_at"].startswith("2026-12-02T01:00")  # normal: 24 hours
    api.complete("inspector_lj", check["id"], {"outcome": "not_found", "finding": "现场无施工"})
    assert api.project("grid_lj", lead["id"])["status"] == "线索已办结"


def test_triage_referrals(app, api, clock):
    permit = register(api, investment_wan=300, floor_area_m2=800)
    started = register(api, investment_wan=300, floor_area_m2=800, title="已开工的超限工程")
    # Sent to the permit-supervision system first (an external task); staff take over when it has
    # not answered within the district's time (P-34a, a day by default).
    assert api.project("owner1", permit["id"])["status"] == "已推送施工许可监管系统，待答复"
    assert api.tasks("inspector_lj", "first_visit") == [] and api.tasks("housing_sm", "permit_referral") == []
    # The owner is told to apply for a 施工许可证 when the project is referred.
    assert notice_kinds(app, permit["id"]) == ["permit_required"]
    clock.advance(days=1, seconds=1)
    assert fire_timers(app) == 2
    assert api.project("owner1", permit["id"])["status"] == "转施工许可监管待接收"
    referral = api.task_of("housing_sm", permit["id"], "permit_referral")
    api.complete(
        "housing_sm", referral["id"], {"work_started": "no", "received": True, "handling_note": "已转区质安站"}
    )
    assert api.project("owner1", permit["id"])["status"] == "已转施工许可监管"
    # 未批先建: work already started → stop-work order and hand-over letter.
    api.complete(
        "housing_sm",
        api.task_of("housing_sm", started["id"], "permit_referral")["id"],
        {"work_started": "yes", "received": True, "handling_note": "现场已开工，未取得施工许可证"},
    )
    assert api.project("owner1", started["id"])["status"] == "未批先建，已停工并移交执法"
    assert notice_kinds(app, started["id"]) == ["permit_required", "stop_work", "handover"]

    # Inclusive thresholds: exactly 100万元 stays below the threshold even with a large area.
    edge = register(api, investment_wan=100, floor_area_m2=5000)
    assert api.project("owner1", edge["id"])["stage"] == "patrol"
    # Large area but cheap: still below threshold (OR), but flagged high risk for the mismatch.
    cheap = register(api, investment_wan=15, floor_area_m2=1300, risk_flags=[])
    assert api.project("owner1", cheap["id"])["risk_level"] == "HIGH"

    # Temporary construction, by the checkbox or by its category: a referral task and a notice.
    temp = register(api, is_temporary=True)
    by_category = register(api, category="TEMP_BUILDING", title="临时售楼处搭建")
    for pid in (temp["id"], by_category["id"]):
        assert api.project("owner1", pid)["status"] == "转临时建设监管待接收"
        assert notice_kinds(app, pid) == ["temp_referral"]
        task = api.task_of("housing_sm", pid, "temp_referral")
        api.complete(
            "housing_sm",
            task["id"],
            {"received": True, "receiving_unit": "区资源规划局", "handling_note": "按临时建设批后监管办理"},
        )
        assert api.project("owner1", pid)["status"] == "已转临时建设监管"
    sporadic = register(
        api,
        object_type="SPORADIC_OP",
        category="AC_INSTALL",
        investment_wan=None,
        floor_area_m2=None,
        risk_flags=["HEIGHT_2M", "FACADE"],
    )
    assert api.project("owner1", sporadic["id"])["risk_level"] == "MEDIUM"
