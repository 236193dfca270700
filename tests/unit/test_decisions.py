"""Decisions evaluated outside an instance (what-if previews), with a rule set of one's choosing."""

from __future__ import annotations

from pathlib import Path

from webapp.domain.catalog import parse_bundle
from webapp.domain.decisions import Decider, data_names, decision_for

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = parse_bundle(
    {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "processes").iterdir() if p.suffix in (".bpmn", ".dmn")}
)
FACTS = {
    "risk_flags": ["HEIGHT_2M"],
    "investment_wan": 35,
    "floor_area_m2": 180,
    "is_temporary": False,
    "object_type": "SMALL_WORKS",
}


def test_decisions_are_found_by_their_output_and_know_the_data_they_read():
    assert data_names(decision_for(BUNDLE, "patrol_interval")) == {"risk_level"}
    assert {"risk_flags", "investment_wan", "floor_area_m2"} <= data_names(decision_for(BUNDLE, "risk_level"))
    assert decision_for(BUNDLE, "no_such_output") is None


def test_a_draft_rule_set_changes_the_outcome_and_repeated_facts_are_decided_once():
    reads = []

    def draft(name, default=None):
        reads.append(name)
        return {"risk_high_flags": ["HEIGHT_2M"], "risk_medium_flags": []}.get(name, default)

    risk = decision_for(BUNDLE, "risk_level")
    assert Decider({"rule": lambda name, default=None: default}).decide(risk, FACTS)["risk_level"] == "MEDIUM"
    decider = Decider({"rule": draft})
    assert decider.decide(risk, FACTS) == {"risk_level": "HIGH", "first_visit_within": "P2D"}
    count = len(reads)
    assert decider.decide(risk, dict(FACTS, title="another project, same facts"))["risk_level"] == "HIGH"
    assert len(reads) == count
    assert decider.decide(risk, dict(FACTS, risk_flags=[]))["risk_level"] == "LOW"
