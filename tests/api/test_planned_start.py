"""Owner steps offered when they make sense: before the planned start the project waits (待开工) and
the owner is not asked to declare completion, unless the works started early or are already done."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.helpers.lifecycle import fire_timers, register

NOT_STARTED = {"site_matches": "yes", "site_status": "NOT_STARTED"}
NEXT_WEEK = "2026-12-08"  # the test clock stands at 2026-12-01 09:00 in Xiamen
START_DAY_BEGINS = datetime(2026, 12, 7, 16, 0, tzinfo=timezone.utc)  # 2026-12-08 00:00 in Xiamen


def _owner_steps(api, pid) -> set[str]:
    return {t["element_id"] for t in api.tasks("owner1") if t["project_id"] == pid}


def _waiting_for_start(api, pid=None, first_visit=NOT_STARTED) -> int:
    pid = pid or register(api, planned_start=NEXT_WEEK)["id"]
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "first_visit")["id"], first_visit)
    return pid


def test_before_the_planned_start_the_owner_is_not_asked_to_declare_completion(app, api, clock):
    pid = _waiting_for_start(api)
    project = api.project("owner1", pid)
    assert (project["stage"], project["status"]) == ("patrol", "待开工")
    assert _owner_steps(api, pid) == {"await_start"}
    # No patrol cycle runs before the start: nothing falls due for the inspector in the meantime.
    clock.advance(days=6)
    assert fire_timers(app) == 0
    assert api.tasks("inspector_lj", "patrol") == []


def test_the_planned_start_day_brings_the_completion_declaration(app, api, clock):
    pid = _waiting_for_start(api)
    clock.advance(seconds=(START_DAY_BEGINS - clock.now()).total_seconds() - 1)
    assert fire_timers(app) == 0 and _owner_steps(api, pid) == {"await_start"}
    clock.advance(seconds=2)
    assert fire_timers(app) == 1
    assert _owner_steps(api, pid) == {"declare_completion"}
    assert api.project("owner1", pid)["status"] == "在施（待巡查）"
    # The patrol cycle starts with the works: the first patrol (medium risk: 14 days) counts from the start.
    clock.advance(days=14, seconds=1)
    assert fire_timers(app) == 1
    assert api.task_of("inspector_lj", pid, "patrol")


def test_the_owner_telling_the_works_are_done_goes_to_the_write_off(app, api, clock):
    pid = _waiting_for_start(api)
    task = api.task_of("owner1", pid, "await_start")
    refused = api.complete("owner1", task["id"], {"work_news": "completed"}, expect=422)
    assert {"actual_end", "debris_cleared", "no_structural_change"} <= set(refused["errors"])
    api.complete(
        "owner1",
        task["id"],
        {
            "work_news": "completed",
            "actual_end": "2026-11-30",
            "temp_power_removed": True,
            "debris_cleared": True,
            "no_structural_change": True,
        },
    )
    assert _owner_steps(api, pid) == set()
    assert api.task_of("inspector_lj", pid, "writeoff")
    assert api.project("owner1", pid)["status"] == "待完工核销"


def test_an_early_start_brings_the_completion_declaration_at_once(app, api, clock):
    pid = _waiting_for_start(api)
    task = api.task_of("owner1", pid, "await_start")
    api.complete("owner1", task["id"], {"work_news": "started", "actual_start": "2026-12-01"})
    assert _owner_steps(api, pid) == {"declare_completion"}
    assert api.project("owner1", pid)["status"] == "在施（待巡查）"
    # Later, the planned start day passes without bringing the project back to 待开工.
    clock.advance(days=7)
    fire_timers(app)
    assert _owner_steps(api, pid) == {"declare_completion"}


@pytest.mark.parametrize("seen", ["IN_PROGRESS", "COMPLETED"])
def test_works_found_under_way_or_done_at_the_first_visit_skip_the_wait(app, api, clock, seen):
    pid = _waiting_for_start(api, first_visit={"site_matches": "yes", "site_status": seen})
    assert _owner_steps(api, pid) == {"declare_completion"}
    assert api.project("owner1", pid)["status"] == "在施（待巡查）"
