"""The audit trail (who, when, from where; append-only; auditors only) and the masking of identity
numbers and phone numbers for roles that do not handle the case (P-32)."""

from __future__ import annotations

import re
from io import BytesIO

import pytest

from tests.conftest import registration_data
from tests.helpers.designer import shipped_bpmn
from tests.helpers.world import build_world
from webapp.services.security.privacy import mask_id, mask_phone, masked

ID_NO, PHONE, MANAGER_PHONE = "350203198001011234", "13800001111", "13900002222"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory)


def audit(world, **params):
    resp = world.api("auditor", "GET", "/api/v1/audit", query_string=params)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


# -- audit ---------------------------------------------------------------------------------------
def test_sign_ins_are_audited_with_address(world):
    client = world.app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.9.0.7"
    client.post("/login", data={"username": "housing_sm", "password": "wrong-password"})
    client.post("/login", data={"username": "housing_sm", "password": "demo12345"})
    client.post("/logout")
    rows = [e for e in audit(world, actor="housing_sm") if e["ip"] == "10.9.0.7"]
    assert [e["action"] for e in rows] == ["logout", "login", "login_failed"]
    assert rows[1]["role"] == "housing" and rows[1]["details"] == {"channel": "web"}


def test_completion_rule_change_deployment_and_export_are_audited(world):
    task_id = world.own.params["task_id"]
    done = world.api(
        "inspector_lj",
        "POST",
        f"/api/v1/tasks/{task_id}/complete",
        json={"data": {"site_matches": "yes", "site_status": "IN_PROGRESS"}},
    )
    assert done.status_code == 200, done.get_json()
    (event,) = audit(world, action="task_completed")
    assert (event["actor"], event["role"], event["object_type"], event["object_id"]) == (
        "inspector_lj",
        "inspector",
        "project",
        str(world.own.params["project_id"]),
    )
    assert event["details"]["task_id"] == task_id and event["ip"] == "127.0.0.1"
    # The row refers to the task's history row for its title; the trail shows it all the same.
    assert event["details"] == {"task_id": task_id, "element_id": "first_visit", "title": "首次核实"}
    with world.app.app_context():
        from webapp.persistence.models import db
        from webapp.persistence.security import AuditEvent

        stored = db.session.get(AuditEvent, event["id"]).details_json
    assert "首次核实" not in stored and task_id in stored

    saved = world.api(
        "admin_hl",
        "PUT",
        "/api/v1/districts/350206/rules",
        json={"values": {"patrol_interval_high": "P5D"}, "reason": "台风季加密巡查"},
    )
    assert saved.status_code == 200, saved.get_json()
    (event,) = audit(world, action="rules_changed")
    assert (event["actor"], event["object_id"], event["details"]["reason"]) == ("admin_hl", "350206", "台风季加密巡查")

    changed = shipped_bpmn().replace('name="申报完工"', 'name="申报完工（业主）"', 1)  # a real change
    deployed = world.api(
        "designer",
        "POST",
        "/api/v1/process-versions",
        content_type="multipart/form-data",
        data={"files": [(BytesIO(changed.encode()), "small_works.bpmn")]},
    )
    assert deployed.status_code == 201, deployed.get_json()
    newest, shipped = audit(world, action="deployment")  # and the shipped process deployed at setup
    assert (newest["actor"], newest["object_type"], newest["object_id"]) == ("designer", "process", "small_works")
    assert shipped["actor"] == "system"

    assert world.page_client("city").get("/ledger/export.xlsx").status_code == 200
    (event,) = audit(world, action="export")
    assert event["actor"] == "city" and event["object_type"] == "ledger"


def test_audit_page_for_auditors(world):
    page = world.page_client("auditor").get("/audit?action=login").get_data(as_text=True)
    assert "审计日志" in page and 'data-action="login"' in page and 'data-action="export"' not in page


def test_audit_trail_is_append_only(world):
    from webapp.persistence.models import db
    from webapp.persistence.security import AuditEvent

    with world.app.app_context():
        row = db.session.scalars(db.select(AuditEvent)).first()
        row.actor_name = "someone_else"
        with pytest.raises(ValueError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(ValueError, match="append-only"):
            db.session.delete(db.session.get(AuditEvent, row.id))
            db.session.commit()
        db.session.rollback()


# -- masking -------------------------------------------------------------------------------------
def test_mask_functions():
    assert mask_id(ID_NO) == "3502**********1234"
    assert mask_phone(PHONE) == "138****1111"
    assert mask_phone("123") == "***"
    data = {
        "owner_phone": PHONE,
        "lead": {"reporter_phone": PHONE, "owner_id_no": ID_NO},
        "items": [{"tel": "5551234"}],
        "title": "x",
        "owner_phone_missing": None,
    }
    assert masked(data) == {
        "owner_phone": "138****1111",
        "lead": {"reporter_phone": "138****1111", "owner_id_no": "3502**********1234"},
        "items": [{"tel": "*******"}],
        "title": "x",
        "owner_phone_missing": None,
    }


FULL = {"owner1", "inspector_lj", "supervisor_lj"}
MASKED = {"grid_lj", "enforcer_sm", "housing_sm", "admin_sm", "city", "auditor"}


@pytest.mark.parametrize("user", sorted(FULL | MASKED))
def test_api_detail_masks_for_roles_that_do_not_handle_the_case(world, user):
    body = world.api(user, "GET", f"/api/v1/projects/{world.own.params['project_id']}").get_data(as_text=True)
    shown = user in FULL
    for number in (ID_NO, PHONE, MANAGER_PHONE):
        assert (number in body) is shown, (user, number)
    assert ("3502**********1234" in body) is not shown and ("138****1111" in body) is not shown


@pytest.mark.parametrize("user", ["owner1", "inspector_lj", "city", "enforcer_sm"])
def test_project_page_masks_for_roles_that_do_not_handle_the_case(world, user):
    page = world.page_client(user).get(f"/projects/{world.own.params['project_id']}").get_data(as_text=True)
    shown = user in FULL
    assert (PHONE in page) is shown and (MANAGER_PHONE in page) is shown
    assert ("138****1111" in page) is not shown


def test_owner_sees_own_numbers_but_not_anothers(world):
    """owner2 registered the 湖里 project with the same numbers: owner1 cannot open it at all."""
    resp = world.api("owner1", "GET", f"/api/v1/projects/{world.other.params['project_id']}")
    assert resp.status_code == 404 and not re.search(r"\d{11}", resp.get_data(as_text=True))


def test_registration_data_fixture_has_the_numbers():
    data = registration_data()
    assert (data["owner_id_no"], data["owner_phone"], data["site_manager_phone"]) == (ID_NO, PHONE, MANAGER_PHONE)


@pytest.mark.parametrize(
    "user, sees_own, sees_other",
    [("inspector_lj", True, False), ("admin_hl", False, True), ("city", True, True), ("inspector_zh", False, False)],
)
def test_ledger_export_holds_only_the_jurisdiction(world, user, sees_own, sees_other):
    from openpyxl import load_workbook

    resp = world.page_client(user).get("/ledger/export.xlsx")
    assert resp.status_code == 200
    cells = {str(c.value) for row in load_workbook(BytesIO(resp.data)).active.iter_rows() for c in row}
    assert (world.own.params["reg_no"] in cells, world.other.params["reg_no"] in cells) == (sees_own, sees_other)
    assert not any(ID_NO in c or PHONE in c for c in cells)  # no personal numbers in the ledger at all
