"""Inbox order: soonest due first, tasks without a due date last, consistent across pages."""

from __future__ import annotations

from tests.conftest import registration_data


def test_due_tasks_first_then_undated_across_pages(app, api, clock):
    from webapp.persistence.models import User, db
    from webapp.services.ledger import queries
    from webapp.services.lifecycle import timers

    projects = []
    for i in range(3):
        pid = api.post("owner1", "/api/v1/registrations", {"data": registration_data(title=f"排序 {i}")}).get_json()[
            "id"
        ]
        api.complete(
            "inspector_lj",
            api.task_of("inspector_lj", pid, "first_visit")["id"],
            {"site_matches": "yes", "site_status": "IN_PROGRESS"},
        )
        projects.append(pid)
        clock.advance(minutes=1)
    # The last project gets a rectification order: a task with a due date in the owner's inbox.
    clock.advance(days=14)
    with app.app_context():
        assert timers.fire_due_timers("t") == 3
    for pid, outcome in ((projects[0], "no_hazard"), (projects[1], "no_hazard"), (projects[2], "rectify")):
        patrol = api.task_of("inspector_lj", pid, "patrol")
        items = api.get("inspector_lj", f"/api/v1/tasks/{patrol['id']}").get_json()["checklist"]
        api.complete(
            "inspector_lj",
            patrol["id"],
            {
                "site_status": "IN_PROGRESS",
                "outcome": outcome,
                "hazard_severity": "GENERAL",
                "hazard_description": "x",
                "checklist": {i["code"]: "OK" for i in items},
            },
        )
        clock.advance(minutes=1)

    with app.app_context():
        owner = db.session.query(User).filter_by(username="owner1").one()
        pages = [queries.inbox(owner, page=n, per_page=2) for n in (1, 2, 3)]
    assert [p.total for p in pages] == [3, 3, 3]
    order = [(row["element_id"], row["project_id"]) for p in pages for row in p.items]
    # projects 0 and 1 wait for their patrol (declare_completion, no due date): oldest first, after the dated task
    assert order == [
        ("submit_evidence", projects[2]),
        ("declare_completion", projects[0]),
        ("declare_completion", projects[1]),
    ]
    assert pages[2].items == []
