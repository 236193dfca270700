"""Oversight tests: a project patrolled to an outcome, the figures of a dashboard, ledger totals."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.helpers.lifecycle import fire_timers, register


def patrol_with(app, api, clock, outcome: str, severity: str, description: str, **registration) -> int:
    """A registered project whose first patrol (14 days on) ends with this outcome; its id."""
    pid = register(api, **registration)["id"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"],
                 {"site_matches": "yes", "site_status": "IN_PROGRESS"})
    clock.advance(days=14, seconds=1)
    fire_timers(app)
    patrol = api.task_of("inspector_lj", pid, "patrol")
    codes = {i["code"] for i in api.get("inspector_lj", f"/api/v1/tasks/{patrol['id']}").get_json()["checklist"]}
    api.complete("inspector_lj", patrol["id"], {
        "site_status": "IN_PROGRESS", "checklist": {c: "OK" for c in codes}, "outcome": outcome,
        "hazard_severity": severity, "hazard_description": description})
    return pid


def figures(node, path=""):
    """Every {value, filters} in a dashboard document, with where it sits."""
    if isinstance(node, dict):
        if "value" in node and "filters" in node:
            yield path, node
        for key, child in node.items():
            yield from figures(child, f"{path}.{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from figures(child, f"{path}[{i}]")


def ledger_total(api, username, filters) -> int:
    resp = api.get(username, "/api/v1/projects?" + urlencode({**filters, "per_page": 1}))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["total"]
