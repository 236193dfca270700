"""Scenario tests of the shipped process (processes/scenarios): each passes on the shipped diagram,
together they take every way out of every exclusive gateway, and a changed diagram makes the
scenario that depends on the change fail at the element where its path went elsewhere."""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers.bundles import run_scenarios, shipped, with_bpmn
from webapp.domain import scenarios
from webapp.domain.catalog import parse_bundle
from webapp.services.designer import scenarios as scenario_service


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def test_every_shipped_scenario_passes_quickly(ctx):
    # CPU time of this process: validation's budget, whatever else the machine is doing.
    started = time.process_time()
    results = run_scenarios(shipped())
    elapsed = time.process_time() - started
    assert len(results) >= 20
    failing = {name: r.failures for name, r in results.items() if not r.passed}
    # A deliberate change of the process: `python scripts/scenarios.py --record NAME`, then read the diff.
    assert failing == {}, "changed on purpose? python scripts/scenarios.py --record " + " ".join(failing)
    # Validation runs them while the designer waits.
    assert elapsed < 5, elapsed
    written_off = results["owner_no_hazard_written_off"].outcome
    assert written_off.end == "end_written_off" and written_off.finished
    assert written_off.notices.count("writeoff") == 1
    # A notice is counted once per step that issues it, timers' steps included.
    reminded = results["completion_overdue_verified"].outcome
    assert reminded.notices.count("completion_reminder") == reminded.path.count("remind_completion") == 2
    stopped = results["rectify_failed_stop_handover"].outcome
    assert "ack_housing" in stopped.path and "stop_work" in stopped.notices
    assert stopped.hazards == [{"item_code": None, "severity": "GENERAL", "status": "closed"}]


def test_shipped_scenarios_take_every_gateway_flow(ctx):
    bundle = parse_bundle(shipped(), "small_works")
    outcomes = [
        scenarios.execute(bundle, case, scenario_service.helpers, scenario_service.checklist)
        for case in scenario_service.shipped("small_works")
    ]
    flows = scenarios.gateway_flows(bundle)
    assert sum(len(f) for f in flows.values()) >= 50  # the coverage below means something
    assert scenarios.uncovered(bundle, outcomes) == []


def test_changed_condition_fails_the_named_scenario_where_it_diverges(ctx):
    files = with_bpmn(
        "<bpmn:conditionExpression>route == 'permit'</bpmn:conditionExpression>",
        "<bpmn:conditionExpression>route == 'permit' and investment_wan &gt; 1000</bpmn:conditionExpression>",
    )
    results = run_scenarios(files)
    failed = {name for name, r in results.items() if not r.passed}
    assert failed == {
        "permit_referral",
        "permit_unpermitted_start",
        "permit_decision_message",
        "permit_decision_after_fallback",
    }
    result = results["permit_referral"]
    assert result.diverged_at == "gw_triage"
    assert (result.expected_next, result.actual_next) == ("refer_permit", "classify_risk")
    assert any("gw_triage" in message and "refer_permit" in message for message in result.failures)
    assert result.to_dict()["diverged_at"] == "gw_triage"


def test_a_rerouted_flow_names_the_task_that_never_came(ctx):
    files = with_bpmn(
        'sourceRef="gw_lead_outcome" targetRef="end_lead_attached"',
        'sourceRef="gw_lead_outcome" targetRef="end_lead_closed"',
    )
    result = run_scenarios(files)["lead_registered"]
    assert not result.passed
    assert (result.diverged_at, result.expected_next, result.actual_next) == (
        "gw_lead_outcome",
        "end_lead_attached",
        "end_lead_closed",
    )
    assert "结束事件：预期 end_lead_attached，实际 end_lead_closed" in result.failures


def test_a_step_that_cannot_be_taken_stops_the_run_with_its_reason(ctx):
    files = with_bpmn(
        'name="与登记一致" sourceRef="gw_first_visit" targetRef="gw_patrol_loop"',
        'name="与登记一致" sourceRef="gw_first_visit" targetRef="correct_registration"',
    )
    result = run_scenarios(files)["owner_no_hazard_written_off"]
    assert not result.passed
    assert result.diverged_at == "gw_first_visit"
    assert any("定时器 patrol_due" in message for message in result.failures), result.failures


def test_relative_dates_are_resolved_on_the_scenario_day():
    from datetime import datetime, timezone

    now = datetime(2026, 12, 31, 20, 0, tzinfo=timezone.utc)  # already 1 January in Xiamen
    assert scenarios.resolve_dates({"a": "@today", "b": ["@today+P2D"], "c": "@today-P1D", "d": "today"}, now) == {
        "a": "2027-01-01",
        "b": ["2027-01-03"],
        "c": "2026-12-31",
        "d": "today",
    }


@pytest.mark.parametrize(
    "text, message",
    [
        ("[]", "JSON 对象"),
        ("{", "JSON"),
        (json.dumps({"name": "x", "start": {}, "steps": [{"wat": 1}], "expect": {}}), "第 1 步"),
        (json.dumps({"name": "x", "start": {}, "steps": [], "expect": []}), "expect"),
    ],
)
def test_a_broken_scenario_file_is_named(text, message):
    with pytest.raises(scenarios.ScenarioError) as err:
        scenarios.parse(text, "broken.json")
    assert "broken.json" in str(err.value) and message in str(err.value)


def test_script_helpers_read_the_scenario_clock():
    from datetime import datetime, timezone

    later = datetime(2030, 6, 1, 2, 0, tzinfo=timezone.utc)
    bound = scenario_service.helpers({"writeoff_by": "supervisor"}, lambda: later)
    assert bound["date_after"]("P1D") == "2030-06-02"
    assert bound["moment_now"]() == later.isoformat()
    assert bound["time_after"]("2030-06-10", "P0D") == "P9DT14H"  # the end of 10 June in Xiamen
    assert bound["day_start"]("2030-06-10") == "2030-06-09T16:00:00+00:00"  # 10 June begins in Xiamen
    assert bound["before_day"]("2030-06-02") is True and bound["before_day"]("2030-06-01") is False
    assert bound["day_start"](None) is None and bound["before_day"](None) is False
    assert bound["rule"]("writeoff_by", "inspector") == "supervisor"
    assert bound["rule"]("auto_stop_overdue", True) is True  # others at their defaults


@pytest.mark.parametrize("wait, fired", [("P4D", False), ("P6D", True)])
def test_a_deadline_falls_due_at_its_scenario_moment_after_earlier_waits(ctx, wait, fired):
    bundle = parse_bundle(shipped(), "small_works")
    base = next(c for c in scenario_service.shipped("small_works") if c.name == "overdue_auto_stop")
    first_visit, patrol_due, patrol = base.steps[:3]
    assert (first_visit["task"], patrol_due["timer"], patrol["task"]) == ("first_visit", "patrol_due", "patrol")
    # Chosen five days after the patrol, which came 14 days (and more) into the scenario.
    patrol = dict(patrol, data=dict(patrol["data"], rectify_deadline="@today+P5D"))
    case = scenarios.Scenario(
        name="t",
        title="t",
        process="small_works",
        start=base.start,
        steps=[first_visit, patrol_due, patrol, {"wait": wait}],
        expect={},
    )
    outcome = scenarios.execute(bundle, case, scenario_service.helpers, scenario_service.checklist)
    assert outcome.error is None
    assert ("deadline_passed" in outcome.path) is fired
