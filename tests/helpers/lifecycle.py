"""Driving a project through the JSON API: registration, the timer worker, to its first patrol."""

from __future__ import annotations

from tests.conftest import registration_data

FIRST_VISIT = {"site_matches": "yes", "site_status": "IN_PROGRESS"}


def register(api, username="owner1", **overrides) -> dict:
    data = registration_data(**overrides)
    if not username.startswith("owner"):
        data.pop("commitment_signed")  # the owner's own commitment: staff never tick it
    resp = api.post(username, "/api/v1/registrations", {"data": data})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def fire_timers(app):
    from webapp.services.lifecycle.timers import fire_due_timers

    with app.app_context():
        return fire_due_timers("test-worker")


def to_patrol(app, api, clock, fired: int | None = 1, **registration) -> tuple[int, dict]:
    """A registered project past 首次核实 whose first patrol (14 days on) is due: its id and the patrol task.
    `fired`: how many timers fall due meanwhile (None: projects registered before may add theirs)."""
    pid = register(api, **registration)["id"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"], FIRST_VISIT)
    clock.advance(days=14, seconds=1)
    count = fire_timers(app)
    assert fired is None or count == fired, count
    return pid, api.task_of("inspector_lj", pid, "patrol")


def checklist(api, task, failed=()) -> dict:
    """A patrol task's checklist answered: NOK for the `failed` item codes, OK for every other."""
    items = api.get("inspector_lj", f"/api/v1/tasks/{task['id']}").get_json()["checklist"]
    return {i["code"]: ("NOK" if i["code"] in failed else "OK") for i in items}


def order(app, api, clock, failed=("D02", "B02"), **extra) -> int:
    """A project at its patrol, ordered to rectify the failed checklist items (责令整改)."""
    pid, task = to_patrol(app, api, clock)
    api.complete(
        "inspector_lj",
        task["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist(api, task, failed),
            "outcome": "rectify",
            "hazard_description": "现场检查发现",
            **extra,
        },
    )
    return pid


def propose_stop_work(
    api, pid, reason: str, facts: str, *, scope="WHOLE_SITE", imminent="no", handover="no", **fields
) -> None:
    """The inspector's stop-work proposal (停工建议) on the project."""
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "propose_stop_work")["id"],
        {"reason": reason, "scope": scope, "facts": facts, "imminent": imminent, "handover": handover, **fields},
    )


def decide_stop_work(api, pid, *, approved="yes", opinion="同意", **fields) -> None:
    """The street supervisor's decision on the stop-work proposal."""
    api.complete(
        "supervisor_lj",
        api.task_of("supervisor_lj", pid, "approve_stop_work")["id"],
        {"approved": approved, "opinion": opinion, **fields},
    )


def stopped_and_handed_over(api, app, clock) -> int:
    """A structural change found on patrol, the site stopped and the case handed over (approved)."""
    pid, patrol = to_patrol(app, api, clock)
    api.complete(
        "inspector_lj",
        patrol["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist(api, patrol, ["A07"]),
            "outcome": "stop_now",
            "hazard_severity": "MAJOR",
            "hazard_description": "擅自拆除承重墙",
        },
    )
    propose_stop_work(api, pid, "PROHIBITED_ACT", "擅自拆除承重墙", handover="yes", violation="STRUCTURAL_CHANGE")
    decide_stop_work(api, pid)
    return pid


def notice_kinds(app, project_id) -> list[str]:
    from webapp.persistence.models import db
    from webapp.persistence.oversight import Notice

    with app.app_context():
        return [n.kind for n in db.session.query(Notice).filter_by(project_id=project_id).order_by(Notice.id)]
