"""Dashboard figures: each equals the number of ledger rows its filters list; jurisdiction holds."""

from __future__ import annotations

import pytest

from tests.conftest import BOTH_BACKENDS
from tests.helpers import scenario
from tests.helpers.oversight import figures, ledger_total

DISTRICT_USERS = ("admin_sm", "supervisor_lj", "inspector_zh", "admin_hl", "city")


@pytest.fixture
def world(app, api, clock):
    ids = scenario.build(app, api, clock)
    clock.advance(days=2)  # tasks left alone go overdue
    return ids


@BOTH_BACKENDS
def test_every_figure_equals_its_ledger_rows(api, world):
    for username in DISTRICT_USERS:
        resp = api.get(username, "/api/v1/dashboard")
        assert resp.status_code == 200, resp.get_json()
        for path, fig in figures(resp.get_json()):
            assert fig["value"] == ledger_total(api, username, fig["filters"]), (username, path, fig)


@BOTH_BACKENDS
def test_figures_count_what_happened(api, world):
    doc = api.get("admin_sm", "/api/v1/dashboard").get_json()
    assert doc["scope"]["kind"] == "district"
    assert doc["total"]["value"] == 8  # 7 in 鹭江 (5 registered, 2 leads) + 1 in 中华
    assert doc["coverage"]["registered"]["value"] == 6
    assert doc["coverage"]["found"]["value"] == 7  # + the site found unregistered
    # The stopped project and the site found unregistered (stop until registered, P-15b).
    assert doc["enforcement"]["stop_work"]["value"] == 2 and doc["enforcement"]["handover"]["value"] == 1
    assert doc["rectification"]["ordered"]["value"] == 1 and doc["rectification"]["on_time"]["value"] == 1
    assert doc["writeoff"]["on_time"]["value"] == 1 and doc["writeoff"]["late"]["value"] == 1
    assert doc["overdue"]["total"]["value"] >= 2
    # Hazards not closed: the stopped site's major one, the general one whose evidence awaits re-inspection.
    assert {k: f["value"] for k, f in doc["hazards"].items()} == {"MAJOR": 1, "GENERAL": 1, "overdue": 0}
    people = {row["label"]: row["value"] for row in doc["overdue"]["by_assignee"]}
    assert people.get("鹭江巡查员王") == 1  # the first visit they claimed and left
    assert doc["patrol"]["due"]["value"] >= 1  # 从未首次核实的工程: registered 16 days ago, never visited
    weeks = doc["weekly"]
    assert sum(w["registrations"]["value"] for w in weeks) == 6
    assert sum(w["leads"]["value"] for w in weeks) == 2


@BOTH_BACKENDS
def test_project_overdue_for_two_people_counts_once_in_all_and_per_street(app, api, world):
    """Parallel ready tasks of one project past due, one claimed and one left: the project counts once
    in the total and in its street, and once for each of the two."""
    from sqlalchemy import select

    from webapp.persistence.models import InboxTask, User, db
    from webapp.services.oversight import kpi

    before = api.get("admin_sm", "/api/v1/dashboard").get_json()["overdue"]
    with app.app_context():
        task = db.session.scalar(
            select(InboxTask).where(
                InboxTask.claimed_by_id.is_not(None), InboxTask.due_at < kpi.now(), InboxTask.street_code == "350203001"
            )
        )
        supervisor = db.session.scalar(select(User.id).where(User.username == "supervisor_lj"))
        for n, (element, claimer) in enumerate((("parallel_check", supervisor), ("parallel_note", None)), 1):
            db.session.add(
                InboxTask(
                    id=f"00000000-0000-4000-8000-{n:012d}",
                    instance_id=task.instance_id,
                    project_id=task.project_id,
                    element_id=element,
                    title=element,
                    form_key=task.form_key,
                    lane=task.lane,
                    role=task.role,
                    district_code=task.district_code,
                    street_code=task.street_code,
                    due_at=task.due_at,
                    claimed_by_id=claimer,
                )
            )
        db.session.commit()
    after = api.get("admin_sm", "/api/v1/dashboard").get_json()["overdue"]

    def counts(rows, key="key"):
        return {row[key]: row["value"] for row in rows}

    assert after["total"] == before["total"]
    assert counts(after["by_street"]) == counts(before["by_street"])
    people = counts(after["by_assignee"], "label")
    assert people["鹭江巡查员王"] == 1 and people["鹭江街道负责人黄"] == 1
    assert counts(after["by_assignee"])[None] == counts(before["by_assignee"]).get(None, 0) + 1
    for path, fig in figures(after):
        assert fig["value"] == ledger_total(api, "admin_sm", fig["filters"]), (path, fig)


def test_other_jurisdictions_see_none_of_lujiang(api, world):
    zh = api.get("inspector_zh", "/api/v1/dashboard").get_json()
    assert zh["total"]["value"] == 1
    hl = api.get("admin_hl", "/api/v1/dashboard").get_json()
    assert hl["total"]["value"] == 1
    for doc in (zh, hl):
        assert all(row["key"] != "350203001" for row in doc["overdue"]["by_street"])
        for path, fig in figures(doc):
            assert fig["filters"].get("street") != "350203001", path
        assert doc["enforcement"]["stop_work"]["value"] == 0 and doc["writeoff"]["on_time"]["value"] == 0
        assert doc["coverage"]["registered"]["value"] == 1


def test_dashboard_refused_to_owners_and_platform_roles(api):
    assert api.get("owner1", "/api/v1/dashboard").status_code == 403
    assert api.get("designer", "/api/v1/dashboard").status_code == 403


def test_a_rectification_past_its_deadline_is_counted_and_listed(app, api, clock):
    from tests.helpers.lifecycle import checklist, to_patrol

    pid, task = to_patrol(app, api, clock)
    api.complete(
        "inspector_lj",
        task["id"],
        {
            "site_status": "IN_PROGRESS",
            "outcome": "rectify",
            "checklist": checklist(api, task, ("D02",)),
            "hazard_description": "电线",
        },
    )
    assert api.get("admin_sm", "/api/v1/dashboard").get_json()["hazards"]["overdue"]["value"] == 0
    clock.advance(days=3, seconds=2)  # past the P3D deadline, no evidence
    fig = api.get("admin_sm", "/api/v1/dashboard").get_json()["hazards"]["overdue"]
    assert fig["value"] == 1 and fig["filters"] == {"hazard": "overdue"}
    assert ledger_total(api, "admin_sm", fig["filters"]) == 1
