"""纳管率 on the unregistered path (issue 15): a site found unregistered counts as found from the
moment it is found; once registered on site it counts as registered, and the dashboard still shows,
apart, how many sites were found unregistered and how many registrations were late (补登记)."""

from __future__ import annotations

from tests.conftest import registration_data
from tests.helpers.lifecycle import register
from tests.helpers.oversight import ledger_total


def coverage(api) -> dict:
    doc = api.get("supervisor_lj", "/api/v1/dashboard").get_json()["coverage"]
    for name in ("registered", "found", "found_unregistered", "late"):
        assert doc[name]["value"] == ledger_total(api, "supervisor_lj", doc[name]["filters"]), name
    return {name: doc[name]["value"] for name in ("registered", "found", "found_unregistered", "late")} | {
        "rate": doc["rate"]
    }


def test_a_site_found_unregistered_counts_as_found_then_registered(app, api, clock):
    register(api, planned_start="2026-12-10")
    lead = api.post(
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
    assert coverage(api) == {"registered": 1, "found": 1, "found_unregistered": 0, "late": 0, "rate": 1.0}
    # A lead is not a site until checked; found unregistered, it is one: 1 of 2 registered.
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", lead["id"], "check_lead")["id"],
        {"outcome": "unregistered", "finding": "现场施工未登记"},
    )
    assert coverage(api) == {"registered": 1, "found": 2, "found_unregistered": 1, "late": 0, "rate": 0.5}
    data = registration_data(title="镇海路 9 号店面改造")
    data.pop("address")
    data.pop("commitment_signed")
    api.complete("inspector_lj", api.task_of("inspector_lj", lead["id"], "onsite_registration")["id"], data)
    # Registered on site: managed now, and still counted apart as found unregistered and 补登记.
    assert coverage(api) == {"registered": 2, "found": 2, "found_unregistered": 1, "late": 1, "rate": 1.0}
