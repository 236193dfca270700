"""A small district with something in every dashboard figure, built through the JSON API."""

from __future__ import annotations

from tests.helpers.lifecycle import FIRST_VISIT, decide_stop_work, fire_timers, propose_stop_work, register


def checklist_ok(api, username, task_id) -> dict:
    items = api.get(username, f"/api/v1/tasks/{task_id}").get_json()["checklist"]
    return {i["code"]: "OK" for i in items}


def claim(app, username, task_id):
    from webapp.persistence.models import User, db
    from webapp.services.inbox import claims

    with app.app_context():
        claims.claim(db.session.query(User).filter_by(username=username).one(), task_id)


def patrol(api, username, pid, outcome, **extra):
    task = api.task_of(username, pid, "patrol")
    api.complete(
        username,
        task["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist_ok(api, username, task["id"]),
            "outcome": outcome,
            **extra,
        },
    )


def build(app, api, clock) -> dict:
    """Projects in 鹭江 (several), 中华 (one) and 湖里 (one) at different points of the loop:
    written off on time and late, stopped and handed over, rectified on time, overdue, leads."""
    ids = {}
    ids["late_writeoff"] = register(api, title="工期很短的工程", planned_start="2026-12-02", planned_end="2026-12-03")[
        "id"
    ]
    ids["on_time_writeoff"] = register(api, title="按期核销的工程")["id"]
    ids["stopped"] = register(api, title="被停工的工程")["id"]
    ids["rectified"] = register(api, title="按期整改的工程")["id"]
    ids["never_visited"] = register(api, title="从未首次核实的工程")["id"]
    ids["zh"] = register(
        api, title="中华街道工程", street="350203002", community="350203002001", address="思明区中华路 1 号"
    )["id"]
    ids["hl"] = register(
        api, "owner2", title="湖里街道工程", street="350206001", community="350206001001", address="湖里区湖里大道 1 号"
    )["id"]
    lead = api.post(
        "grid_lj",
        "/api/v1/leads",
        {
            "data": {
                "street": "350203001",
                "address": "思明区大同路 12 号",
                "description": "疑似拆墙",
                "urgency": "NORMAL",
            }
        },
    ).get_json()
    ids["lead"] = lead["id"]
    unregistered = api.post(
        "grid_lj",
        "/api/v1/leads",
        {
            "data": {
                "street": "350203001",
                "address": "思明区镇海路 9 号",
                "description": "未登记施工",
                "urgency": "NORMAL",
            }
        },
    ).get_json()
    ids["unregistered"] = unregistered["id"]
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", unregistered["id"], "check_lead")["id"],
        {"outcome": "unregistered", "finding": "未登记"},
    )
    # The inspector claims one first visit and leaves it: it goes overdue under their name.
    claim(app, "inspector_lj", api.task_of("inspector_lj", ids["never_visited"], "first_visit")["id"])

    for key in ("late_writeoff", "on_time_writeoff", "stopped", "rectified"):
        api.complete("inspector_lj", api.task_of("inspector_lj", ids[key], "first_visit")["id"], FIRST_VISIT)
    api.complete("inspector_hl", api.task_of("inspector_hl", ids["hl"], "first_visit")["id"], FIRST_VISIT)

    clock.advance(days=14, seconds=1)  # medium risk: the patrols fall due
    fire_timers(app)
    patrol(api, "inspector_lj", ids["stopped"], "stop_now", hazard_severity="MAJOR", hazard_description="脚手架无防护")
    propose_stop_work(api, ids["stopped"], "MAJOR_HAZARD", "重大隐患", handover="yes", violation="ILLEGAL_ADDITION")
    decide_stop_work(api, ids["stopped"])
    patrol(api, "inspector_lj", ids["rectified"], "rectify", hazard_severity="GENERAL", hazard_description="电线乱接")
    api.complete(
        "owner1",
        api.task_of("owner1", ids["rectified"], "submit_evidence")["id"],
        {"measures_taken": "已重新布线", "completed_on": "2026-12-15"},
    )
    for key in ("late_writeoff", "on_time_writeoff"):
        patrol(api, "inspector_lj", ids[key], "completed")
        api.complete(
            "inspector_lj",
            api.task_of("inspector_lj", ids[key], "writeoff")["id"],
            {"scaffold_removed": True, "temp_power_removed": True, "debris_cleared": True, "outcome": "written_off"},
        )
    return ids
