"""Dashboard figures: each equals the number of ledger rows its filters list; jurisdiction holds."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.conftest import BOTH_BACKENDS
from tests.oversight import scenario

DISTRICT_USERS = ("admin_sm", "supervisor_lj", "inspector_zh", "admin_hl", "city")


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
    assert doc["enforcement"]["stop_work"]["value"] == 1 and doc["enforcement"]["handover"]["value"] == 1
    assert doc["rectification"]["ordered"]["value"] == 1 and doc["rectification"]["on_time"]["value"] == 1
    assert doc["writeoff"]["on_time"]["value"] == 1 and doc["writeoff"]["late"]["value"] == 1
    assert doc["overdue"]["total"]["value"] >= 2
    people = {row["label"]: row["value"] for row in doc["overdue"]["by_assignee"]}
    assert people.get("鹭江巡查员王") == 1  # the first visit they claimed and left
    assert doc["patrol"]["due"]["value"] >= 1  # 从未首次核实的工程: registered 16 days ago, never visited
    weeks = doc["weekly"]
    assert sum(w["registrations"]["value"] for w in weeks) == 6
    assert sum(w["leads"]["value"] for w in weeks) == 2


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
