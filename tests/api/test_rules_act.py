"""Issue 15: every district parameter acts where it decides. Each test changes one parameter (or
uses the project's own facts) and sees the process behave differently."""

from __future__ import annotations

from tests.conftest import registration_data
from tests.helpers.district_rules import SIMING, put_rules
from tests.helpers.lifecycle import (
    checklist,
    fire_timers,
    notice_kinds,
    propose_stop_work,
    register,
    stopped_and_handed_over,
    to_patrol,
)

DECLARATION = {
    "actual_end": "2027-01-15",
    "scaffold_removed": True,
    "temp_power_removed": True,
    "debris_cleared": True,
    "no_structural_change": True,
}


def set_rules(api, values):
    resp = put_rules(api, "admin_sm", SIMING, values, reason="实施细则调整")
    assert resp.status_code == 200, resp.get_json()


def to_writeoff(api, **registration) -> int:
    """A 思明 project whose owner declared completion right after the first visit."""
    pid = register(api, **registration)["id"]
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "first_visit")["id"],
        {"site_matches": "yes", "site_status": "IN_PROGRESS"},
    )
    declaration = dict(DECLARATION)
    if "TEMP_POWER" not in registration.get("risk_flags", ["TEMP_POWER"]):
        declaration.pop("temp_power_removed")
    api.complete("owner1", api.task_of("owner1", pid, "declare_completion")["id"], declaration)
    return pid


def test_every_parameter_left_is_read_somewhere(api):
    params = api.get("city", "/api/v1/rules/parameters").get_json()
    assert len(params) >= 45
    assert [p["name"] for p in params if not p["read_by"]] == []


def test_writeoff_by_the_supervisor(app, api, clock):
    set_rules(api, {"writeoff_by": "supervisor"})
    pid = to_writeoff(api)
    assert [t for t in api.tasks("inspector_lj") if t["project_id"] == pid] == []
    task = api.task_of("supervisor_lj", pid, "writeoff_supervisor")
    api.complete(
        "supervisor_lj",
        task["id"],
        {"scaffold_removed": True, "temp_power_removed": True, "debris_cleared": True, "outcome": "written_off"},
    )
    assert api.project("owner1", pid)["status"] == "已核销"
    assert "writeoff" in notice_kinds(app, pid)


def test_writeoff_by_the_inspector_then_the_supervisor(api, clock):
    set_rules(api, {"writeoff_by": "inspector_then_supervisor"})
    pid = to_writeoff(api)
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "writeoff")["id"],
        {"temp_power_removed": True, "debris_cleared": True, "outcome": "written_off"},
    )
    assert api.project("owner1", pid)["status"] == "待镇街负责人核销"
    api.complete(
        "supervisor_lj",
        api.task_of("supervisor_lj", pid, "writeoff_supervisor")["id"],
        {"temp_power_removed": True, "debris_cleared": True, "outcome": "written_off"},
    )
    assert api.project("owner1", pid)["status"] == "已核销"


def test_writeoff_names_the_condition_that_applies_and_skips_the_others(app, api, clock):
    pid = to_writeoff(api)  # height work and temporary power, no scaffolding
    task = api.task_of("inspector_lj", pid, "writeoff")
    refused = api.complete("inspector_lj", task["id"], {"debris_cleared": True, "outcome": "written_off"}, expect=422)
    assert refused["errors"] == {"temp_power_removed": "必须勾选此项"}
    no_power = to_writeoff(api, risk_flags=["HEIGHT_2M"], title="无临时用电的工程")
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", no_power, "writeoff")["id"],
        {"debris_cleared": True, "outcome": "written_off"},
    )
    assert api.project("owner1", no_power)["status"] == "已核销"
    slip = [n for n in api.get("owner1", f"/api/v1/projects/{no_power}/notices").get_json() if n["kind"] == "writeoff"]
    assert (
        "临时用电已拆除" not in slip[0]["html"]
        and "建筑垃圾已清运" in slip[0]["html"]
        and "鹭江巡查员王" in slip[0]["html"]
    )


def test_a_rejected_writeoff_goes_back_to_the_owner_with_the_reasons(app, api, clock):
    pid = to_writeoff(api)
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "writeoff")["id"],
        {"outcome": "rejected", "note": "现场仍有建筑垃圾未清运"},
    )
    assert api.task_of("owner1", pid, "declare_completion")
    rejected = [
        n for n in api.get("owner1", f"/api/v1/projects/{pid}/notices").get_json() if n["kind"] == "writeoff_rejected"
    ]
    assert len(rejected) == 1 and "现场仍有建筑垃圾未清运" in rejected[0]["html"]


def test_writeoff_photos_where_the_district_asks(api, clock):
    set_rules(api, {"writeoff_photos_required": True})
    pid = to_writeoff(api)
    refused = api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "writeoff")["id"],
        {"temp_power_removed": True, "debris_cleared": True, "outcome": "written_off"},
        expect=422,
    )
    assert refused["errors"] == {"photos": "此项为必填项"}


def test_automatic_writeoff_where_allowed(api, clock):
    set_rules(api, {"writeoff_auto": True})
    pid = to_writeoff(api)
    assert api.project("owner1", pid)["status"] == "已核销"
    assert [t for t in api.tasks("inspector_lj") if t["project_id"] == pid] == []


def test_registration_dates_are_checked_and_a_late_one_is_marked(api, clock):
    bad = api.post("owner1", "/api/v1/registrations", {"data": registration_data(planned_end="2026-11-01")})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {"planned_end": "不能早于「计划开工日期」（2026-12-05）"}
    wrong = api.post("owner1", "/api/v1/registrations", {"data": registration_data(category="AC_INSTALL")})
    assert wrong.status_code == 422 and "category" in wrong.get_json()["errors"]
    outside = api.post("owner1", "/api/v1/registrations", {"data": registration_data(community="350203002001")})
    assert outside.status_code == 422 and "community" in outside.get_json()["errors"]
    # 2026-12-01 is a Tuesday: a start on Wednesday is one working day ahead (P-07a 1WD), yesterday is past.
    on_time = register(api, planned_start="2026-12-02")["id"]
    past = register(api, planned_start="2026-11-30")["id"]
    assert api.project("owner1", on_time)["late_registration"] is False
    assert api.project("owner1", past)["late_registration"] is True


def test_registration_lead_times_come_from_the_district(api, clock):
    set_rules(api, {"registration_lead_small_works": "3WD", "registration_lead_sporadic": "1WD"})
    works = register(api, planned_start="2026-12-02")["id"]
    sporadic = register(
        api,
        object_type="SPORADIC_OP",
        category="AC_INSTALL",
        investment_wan=None,
        floor_area_m2=None,
        planned_start="2026-12-01",
        planned_end="2026-12-01",
    )["id"]
    assert api.project("owner1", works)["late_registration"] is True
    assert api.project("owner1", sporadic)["late_registration"] is True


def test_completion_monitor_reminds_then_sends_the_inspector(app, api, clock):
    set_rules(api, {"completion_reminder_after": "P1D", "completion_verify_after": "P3D"})
    pid = register(api, planned_start="2026-12-02", planned_end="2026-12-04")["id"]
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "first_visit")["id"],
        {"site_matches": "yes", "site_status": "IN_PROGRESS"},
    )
    clock.advance(days=5)  # past the end of 12-04 plus one day
    fire_timers(app)
    assert "completion_reminder" in notice_kinds(app, pid)
    clock.advance(days=3)
    fire_timers(app)
    assert api.task_of("inspector_lj", pid, "verify_completion")


def test_default_completion_monitor_waits_a_week(app, api, clock):
    pid = register(api, planned_start="2026-12-02", planned_end="2026-12-04")["id"]
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "first_visit")["id"],
        {"site_matches": "yes", "site_status": "IN_PROGRESS"},
    )
    clock.advance(days=5)
    fire_timers(app)
    assert "completion_reminder" not in notice_kinds(app, pid)


def test_an_adjusted_working_day_counts(api, clock):
    # Saturday 2026-12-05 worked: 3 working days from Tuesday end on Friday... and Saturday counts first.
    set_rules(api, {"first_visit_medium": "4WD", "calendar_extra_workdays": ["2026-12-05"]})
    pid = register(api)["id"]
    assert api.task_of("inspector_lj", pid, "first_visit")["due_at"] == "2026-12-05T01:00:00+00:00"


def handed_over_and_resumed(api, app, clock, case_no: str) -> int:
    """Stopped and handed over to 区住建 (the bureau has received the case), then resumed."""
    pid = stopped_and_handed_over(api, app, clock)
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "resume_check")["id"],
        {"hazard_results": {"H1": "passed"}, "resume": "yes", "note": "已恢复"},
    )
    api.complete(
        "housing_sm", api.task_of("housing_sm", pid, "ack_housing")["id"], {"received": True, "case_no": case_no}
    )
    return pid


def decide(api, pid, case_no: str, case_closed: str) -> None:
    api.complete(
        "housing_sm",
        api.task_of("housing_sm", pid, "decide_housing")["id"],
        {
            "case_no": case_no,
            "decision_type": "FINE",
            "fine_amount_yuan": 5000,
            "decided_on": "2026-12-20",
            "next_step": "continue",
            "case_closed": case_closed,
        },
    )


def to_writeoff_with_a_pending_case(api, app, clock) -> int:
    """The bureau's penalty is still being carried out when the owner declares completion."""
    pid = handed_over_and_resumed(api, app, clock, "思住建〔2026〕9号")
    decide(api, pid, "思住建〔2026〕9号", "no")
    api.complete("owner1", api.task_of("owner1", pid, "declare_completion")["id"], DECLARATION)
    return pid


WRITTEN_OFF = {"temp_power_removed": True, "debris_cleared": True, "outcome": "written_off"}


def test_a_pending_enforcement_case_blocks_the_writeoff_by_default(app, api, clock):
    pid = to_writeoff_with_a_pending_case(api, app, clock)
    task = api.task_of("inspector_lj", pid, "writeoff")
    refused = api.complete("inspector_lj", task["id"], WRITTEN_OFF, expect=422)
    assert refused["errors"] == {"outcome": "移送的执法案件尚未结案，本区细则规定结案前不予核销"}
    assert api.project("owner1", pid)["status"] == "待完工核销"


def test_writeoff_with_pending_enforcement_where_the_district_allows_it(app, api, clock):
    set_rules(api, {"writeoff_with_pending_enforcement": True})
    pid = to_writeoff_with_a_pending_case(api, app, clock)
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "writeoff")["id"], WRITTEN_OFF)
    assert api.project("owner1", pid)["status"] == "已核销"


def test_a_closed_enforcement_case_does_not_block_the_writeoff(app, api, clock):
    pid = handed_over_and_resumed(api, app, clock, "思住建〔2026〕10号")
    # Before the bureau decides, the case is open: no write-off yet.
    api.complete("owner1", api.task_of("owner1", pid, "declare_completion")["id"], DECLARATION)
    task = api.task_of("inspector_lj", pid, "writeoff")
    assert "尚未结案" in api.complete("inspector_lj", task["id"], WRITTEN_OFF, expect=422)["errors"]["outcome"]
    decide(api, pid, "思住建〔2026〕10号", "yes")
    # The rule is read when the write-off starts: the owner declares anew after the case closed.
    api.complete("inspector_lj", task["id"], {"outcome": "rejected", "note": "请待案件结案后重新申报"})
    api.complete("owner1", api.task_of("owner1", pid, "declare_completion")["id"], DECLARATION)
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "writeoff")["id"], WRITTEN_OFF)
    assert api.project("owner1", pid)["status"] == "已核销"


# -- P-15d, P-16, P-17a: enforcement ----------------------------------------------------------------
def patrol_without_qualification(app, api, clock) -> int:
    """A patrol finding the contractor unqualified (A03) and ordering rectification."""
    pid, patrol = to_patrol(app, api, clock)
    api.complete(
        "inspector_lj",
        patrol["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist(api, patrol, ["A03"]),
            "outcome": "rectify",
            "hazard_description": "承接施工的个人无相应资质",
        },
    )
    return pid


def test_no_qualification_starts_stop_work_by_default(app, api, clock):
    pid = patrol_without_qualification(app, api, clock)
    assert api.task_of("inspector_lj", pid, "propose_stop_work")
    assert api.tasks("owner1", "submit_evidence") == []


def test_no_qualification_is_rectified_where_the_district_says_so(app, api, clock):
    set_rules(api, {"auto_stop_no_qualification": False})
    pid = patrol_without_qualification(app, api, clock)
    assert api.task_of("owner1", pid, "submit_evidence")
    assert api.tasks("inspector_lj", "propose_stop_work") == []
    assert notice_kinds(app, pid).count("rectification") == 1


def test_a_structural_change_goes_to_housing_by_default(app, api, clock):
    pid = stopped_and_handed_over(api, app, clock)
    ack = api.task_of("housing_sm", pid, "ack_housing")
    assert ack["due_at"] == "2026-12-18T01:00:01+00:00"  # 3 working days from Tuesday (P-17a)
    assert api.tasks("enforcer_sm", "ack_enforcement") == []


def test_the_district_routes_structural_changes_to_enforcement_instead(app, api, clock):
    set_rules(api, {"enforcement_routing": {"STRUCTURAL_CHANGE": "DISTRICT_ENFORCEMENT"}})
    pid = stopped_and_handed_over(api, app, clock)
    # Sent to the enforcement case system first; the department acknowledges when it stays silent.
    assert api.tasks("enforcer_sm", "ack_enforcement") == []
    clock.advance(hours=4, seconds=1)
    fire_timers(app)
    assert api.task_of("enforcer_sm", pid, "ack_enforcement")
    assert api.tasks("housing_sm", "ack_housing") == []
    letter = next(
        n for n in api.get("inspector_lj", f"/api/v1/projects/{pid}/notices").get_json() if n["kind"] == "handover"
    )
    assert "思明区综合执法局" in letter["html"] and "住建局" not in letter["html"]


def test_the_acknowledgement_limit_comes_from_the_district(app, api, clock):
    set_rules(api, {"enforcement_ack_within": "PT4H"})
    pid = stopped_and_handed_over(api, app, clock)
    assert api.task_of("housing_sm", pid, "ack_housing")["due_at"] == "2026-12-15T05:00:01+00:00"


def add_school(app) -> None:
    from webapp.persistence.models import db
    from webapp.persistence.organisation import SpecialArea

    with app.app_context():
        db.session.add(
            SpecialArea(
                district_code=SIMING,
                street_code="350203001",
                community_code="350203001001",
                kind="SCHOOL",
                name="鹭江小学",
                liaison_name="李主任",
                liaison_phone="0592-5550002",
            )
        )
        db.session.commit()


def test_a_site_in_a_special_area_sends_the_inspector_to_its_liaison(app, api, clock):
    add_school(app)
    pid = register(api, place_type="SCHOOL")["id"]
    assert "cooperation" in notice_kinds(app, pid)
    task = api.task_of("inspector_lj", pid, "inform_liaison")
    assert task["form_key"] == "liaison_notice"
    assert api.task_of("inspector_lj", pid, "first_visit")  # the project goes on beside it
    refused = api.complete("inspector_lj", task["id"], {"liaison_method": "PHONE"}, expect=422)
    assert set(refused["errors"]) == {"liaison_reached", "arrangements"}
    api.complete(
        "inspector_lj",
        task["id"],
        {
            "liaison_method": "IN_PERSON",
            "liaison_reached": "李主任",
            "arrangements": "校方指定保卫处王老师为联络人，提供巡查出入",
        },
    )
    assert [h for h in api.project("city", pid)["history"] if h["element_id"] == "inform_liaison"]
    ordinary = register(api, title="沿街店面装修")["id"]
    assert [t for t in api.tasks("inspector_lj", "inform_liaison") if t["project_id"] == ordinary] == []


def test_every_stop_work_in_a_special_area_tells_its_liaison(app, api, clock):
    add_school(app)
    pid, patrol = to_patrol(app, api, clock, place_type="SCHOOL")
    api.complete(
        "inspector_lj",
        patrol["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist(api, patrol),
            "outcome": "stop_now",
            "hazard_severity": "MAJOR",
            "hazard_description": "脚手架倾斜",
        },
    )
    propose_stop_work(api, pid, "MAJOR_HAZARD", "脚手架倾斜", imminent="yes")
    letters = [
        n for n in api.get("inspector_lj", f"/api/v1/projects/{pid}/notices").get_json() if n["kind"] == "cooperation"
    ]
    assert len(letters) == 2  # at registration, and at the stop order
    assert "李主任" in letters[-1]["html"] and "停止全部施工" in letters[-1]["html"]
    assert "停止全部施工" not in letters[0]["html"]
