"""The shipped process reads district rules by name: every name is in the catalogue, with its default."""

from __future__ import annotations

from tests.helpers.rules import ROOT
from webapp.domain import rules


def test_shipped_dmn_defaults_equal_the_catalogue(catalogue):
    files = {
        p.name: p.read_text(encoding="utf-8") for p in (ROOT / "processes").iterdir() if p.suffix in (".dmn", ".bpmn")
    }
    calls = rules.rule_calls(files)
    assert {name for _, name, _ in calls} >= {
        "rectify_general",
        "patrol_interval_high",
        "threshold_investment_wan",
        "risk_high_flags",
        "first_visit_low",
        "lead_dispatch_normal",
    }
    for filename, name, default in calls:
        assert name in catalogue.params, (filename, name)
        expected = catalogue.params[name].default
        if isinstance(default, list):
            default, expected = sorted(default), sorted(expected)
        assert default == expected, (filename, name, default)
