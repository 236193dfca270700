"""Issue 18: messages from other systems (POST /api/v1/messages): a 12345 ticket starts a lead in the
street's inspectors' inbox; a permit decision answers a referral; nothing is dropped silently."""

from __future__ import annotations

import json

from tests.api.test_external_tasks import history, over_limit

MESSAGES = "/api/v1/messages"
TICKET = {
    "ticket_no": "12345-20261201-0007",
    "street": "鹭江街道",
    "address": "思明区镇海路 57 号",
    "description": "市民来电：楼上住户砸墙装修，疑似拆改承重墙",
}


def send(api, name, key=None, data=None, user="hotline"):
    return api.post(user, MESSAGES, {"name": name, "correlation_key": key, "data": data or {}})


def inbound(app) -> list[tuple]:
    from webapp.persistence.integration import InboundMessage
    from webapp.persistence.models import db

    with app.app_context():
        return [
            (m.name, m.correlation_key, m.outcome, m.project_id)
            for m in db.session.query(InboundMessage).order_by(InboundMessage.id)
        ]


def test_a_hotline_ticket_becomes_a_lead_in_the_streets_inspectors_inbox(app, api, clock):
    resp = send(api, "hotline_report", TICKET["ticket_no"], TICKET)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["outcome"] == "started" and body["reg_no"].startswith("XL-350203-")
    task = api.task_of("inspector_lj", body["project_id"], "check_lead")
    assert task["title"] == "线索核查"
    project = api.project("inspector_lj", body["project_id"])
    assert project["address"] == "思明区镇海路 57 号" and project["street_code"] == "350203001"
    # The lead carries the ticket: the inspector reads it in the project's history.
    assert "砸墙" in json.dumps(project["history"], ensure_ascii=False)
    # Not in another street's inbox.
    assert [t for t in api.tasks("inspector_zh", "check_lead") if t["project_id"] == body["project_id"]] == []
    kinds = [kind for kind, _, _ in history(app, body["project_id"])]
    assert "message_received" in kinds
    trail = api.get("auditor", "/api/v1/audit?action=message_received").get_json()["items"]
    assert [e["actor"] for e in trail] == ["hotline"]
    # The same ticket twice is refused, naming the lead it already made.
    again = send(api, "hotline_report", TICKET["ticket_no"], TICKET)
    assert again.status_code == 409 and body["reg_no"] in again.get_json()["message"]
    assert [o for _, _, o, _ in inbound(app)] == ["started", "refused"]


def test_an_unknown_message_is_a_404_and_kept(app, api, clock):
    resp = send(api, "no_such_message", "X-1", {"a": 1})
    assert resp.status_code == 404 and "no_such_message" in resp.get_json()["message"]
    assert inbound(app) == [("no_such_message", "X-1", "refused", None)]
    trail = api.get("auditor", "/api/v1/audit?action=message_refused").get_json()["items"]
    assert trail[0]["object_id"] == "no_such_message" and trail[0]["actor"] == "hotline"


def test_bad_tickets_and_scopes_are_refused_clearly(app, api, clock):
    missing = send(api, "hotline_report", "T-2", {"street": "鹭江街道"})
    assert missing.status_code == 422
    assert {"address", "description"} <= set(missing.get_json()["errors"])
    nowhere = send(api, "hotline_report", "T-3", dict(TICKET, street="火星街道"))
    assert nowhere.status_code == 422 and "street" in nowhere.get_json()["errors"]
    # The hotline may not answer permit referrals; people may not send messages at all.
    assert send(api, "permit_decision", "XM-1", {"work_started": "no"}).status_code == 403
    assert send(api, "hotline_report", "T-4", TICKET, user="grid_lj").status_code == 403
    assert api.tasks("inspector_lj", "check_lead") == []


def test_a_permit_decision_answers_the_referral(app, api, clock):
    pid = over_limit(api)
    reg_no = api.project("owner1", pid)["reg_no"]
    bad = send(api, "permit_decision", reg_no, {"work_started": "perhaps"}, user="permit_system")
    assert bad.status_code == 422 and "work_started" in bad.get_json()["errors"]
    resp = send(
        api, "permit_decision", reg_no, {"work_started": "yes", "handling_note": "现场已施工"}, user="permit_system"
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["outcome"] == "correlated"
    assert api.project("owner1", pid)["status"] == "未批先建，已停工并移交执法"
    # The worker's task was cancelled with it; a second answer finds nothing waiting.
    assert (
        api.post(
            "permit_system", "/api/v1/external-tasks/fetch-and-lock", {"topics": ["permit-referral"], "worker_id": "w"}
        ).get_json()
        == []
    )
    late = send(api, "permit_decision", reg_no, {"work_started": "no"}, user="permit_system")
    assert late.status_code == 409
    assert (
        send(
            api, "permit_decision", "XM-350203-20261201-9999", {"work_started": "no"}, user="permit_system"
        ).status_code
        == 404
    )
    received = [data for kind, _, data in history(app, pid) if kind == "message_received"]
    assert received[0]["data"]["work_started"] == "yes" and received[0]["correlation_key"] == reg_no


def test_a_permit_decision_reaches_the_referral_after_staff_took_it_over(app, api, clock):
    from tests.helpers.lifecycle import fire_timers

    pid = over_limit(api)
    clock.advance(days=1, seconds=1)
    fire_timers(app)
    assert api.task_of("housing_sm", pid, "permit_referral")
    resp = send(
        api, "permit_decision", api.project("owner1", pid)["reg_no"], {"work_started": "no"}, user="permit_system"
    )
    assert resp.status_code == 200 and api.project("owner1", pid)["status"] == "已转施工许可监管"
    assert api.tasks("housing_sm", "permit_referral") == []


def test_openapi_documents_the_integration_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    expected = {
        "/api/v1/external-tasks/fetch-and-lock": {"topics", "worker_id", "max_tasks", "lock_seconds"},
        "/api/v1/external-tasks/{external_task_id}/complete": {"worker_id", "variables"},
        "/api/v1/external-tasks/{external_task_id}/failure": {"worker_id", "message", "retries", "retry_timeout"},
        "/api/v1/external-tasks/{external_task_id}/extend-lock": {"worker_id", "lock_seconds"},
        "/api/v1/messages": {"name", "correlation_key", "data"},
    }
    schemas = spec["components"]["schemas"]
    for path, fields in expected.items():
        post = paths[path]["post"]
        assert post["security"] == [{"bearer": []}], path
        ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert set(schemas[ref]["properties"]) == fields, path
    assert {"404", "409", "422"} <= set(paths["/api/v1/messages"]["post"]["responses"])
    assert "/api/v1/ops/external-tasks/{external_task_id}/retry" in paths
    incident = schemas["Incident"]["properties"]
    assert {"kind", "external_task_id", "topic", "retries"} <= set(incident)


def test_a_districts_client_reaches_only_its_district(app, api, clock):
    from webapp.persistence.models import OrgUnit, User, db
    from webapp.services.security.auth import hash_password

    with app.app_context():
        huli = db.session.query(OrgUnit).filter_by(code="350206").one()
        db.session.add(
            User(
                username="huli_gateway",
                display_name="湖里区对接",
                role="integration",
                org_unit_id=huli.id,
                password_hash=hash_password("demo12345"),
                scopes="hotline_report permit-referral",
            )
        )
        db.session.commit()
    pid = over_limit(api)  # in 思明区
    assert (
        api.post(
            "huli_gateway", "/api/v1/external-tasks/fetch-and-lock", {"topics": ["permit-referral"], "worker_id": "w"}
        ).get_json()
        == []
    )
    resp = send(api, "hotline_report", "T-9", TICKET, user="huli_gateway")
    assert resp.status_code == 422 and "street" in resp.get_json()["errors"]
    ok = send(
        api,
        "hotline_report",
        "T-10",
        dict(TICKET, street="湖里街道", address="湖里区湖里大道 45 号"),
        user="huli_gateway",
    )
    assert ok.status_code == 201 and api.task_of("inspector_hl", ok.get_json()["project_id"], "check_lead")
    assert api.project("owner1", pid)["status"] == "已推送施工许可监管系统，待答复"


def test_projects_moved_by_other_systems_are_recorded_as_scenarios_that_replay(app, api, clock):
    lead = send(api, "hotline_report", "T-11", TICKET).get_json()["project_id"]
    permit = over_limit(api)
    task = api.post(
        "permit_system", "/api/v1/external-tasks/fetch-and-lock", {"topics": ["permit-referral"], "worker_id": "w"}
    ).get_json()[0]
    api.post(
        "permit_system",
        f"/api/v1/external-tasks/{task['id']}/complete",
        {"worker_id": "w", "variables": {"work_started": "yes"}},
    )
    answered = over_limit(api, title="以消息答复的超限工程")
    send(
        api, "permit_decision", api.project("owner1", answered)["reg_no"], {"work_started": "no"}, user="permit_system"
    )
    cases = {
        pid: api.get("designer", f"/api/v1/projects/{pid}/scenario").get_json() for pid in (lead, permit, answered)
    }
    assert all(body["replayed"] for body in cases.values()), cases
    assert cases[lead]["scenario"]["start_message"]["name"] == "hotline_report"
    assert cases[lead]["scenario"]["expect"]["path"][:2] == ["start_hotline", "hotline_to_lead"]
    assert cases[permit]["scenario"]["steps"] == [
        {"external": "refer_permit", "data": {"work_started": "yes", "permit_case_no": None, "handling_note": None}}
    ]
    assert cases[permit]["scenario"]["expect"]["end"] == "end_unpermitted_handover"
    assert cases[answered]["scenario"]["steps"][0]["message"] == "permit_decision"
    assert cases[answered]["scenario"]["expect"]["end"] == "end_referred_permit"


def test_the_case_file_shows_what_other_systems_sent(app, api, clock, pages):
    pid = over_limit(api)
    send(
        api,
        "permit_decision",
        api.project("owner1", pid)["reg_no"],
        {"work_started": "no", "permit_case_no": "XMZJ-2026-0042"},
        user="permit_system",
    )
    pages.login("inspector_lj")
    html = pages.get(f"/projects/{pid}").get_data(as_text=True)
    assert "施工许可监管系统对接" in html and "XMZJ-2026-0042" in html and "许可监管系统答复" in html
