"""Oversight tests: a project patrolled to an outcome, the figures of a dashboard, ledger totals."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.helpers.lifecycle import checklist, to_patrol


def patrol_with(app, api, clock, outcome: str, severity: str, description: str, **registration) -> int:
    """A registered project whose first patrol (14 days on) ends with this outcome; its id."""
    pid, patrol = to_patrol(app, api, clock, fired=None, **registration)
    api.complete(
        "inspector_lj",
        patrol["id"],
        {
            "site_status": "IN_PROGRESS",
            "checklist": checklist(api, patrol),
            "outcome": outcome,
            "hazard_severity": severity,
            "hazard_description": description,
        },
    )
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
