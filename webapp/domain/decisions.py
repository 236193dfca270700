"""Evaluate a bundle's DMN decisions outside any running instance (what-if previews).

Pure: no Flask, no SQL. A decision is found by the output it produces (e.g. `risk_level`), not
by a BPMN element id, and runs in the same sandbox as in the process, with the helpers given
(a `rule(name, default)` bound to a draft rule set, for instance).
"""
from __future__ import annotations

from types import SimpleNamespace

from .catalog import Bundle
from .sandbox import make_script_engine


class DecisionFailed(Exception):
    """The decision could not be evaluated on these data (a missing fact, a failing cell)."""


def decision_for(bundle: Bundle, output: str):
    """The DMN engine of the business-rule task whose decision produces `output`, or None."""
    for spec in bundle.spec.task_specs.values():
        engine = getattr(spec, "dmnEngine", None)
        if engine is not None and any(o.name == output for o in engine.decision_table.outputs):
            return engine
    return None


class Decider:
    """Runs decisions on plain data with one set of helpers."""

    def __init__(self, helpers: dict):
        self.script_engine = make_script_engine(extra_globals=helpers)

    def decide(self, engine, data: dict) -> dict:
        # DMNEngine only needs the task's data and the workflow's script engine.
        task = SimpleNamespace(data=dict(data), workflow=SimpleNamespace(script_engine=self.script_engine),
                               task_spec=SimpleNamespace(bpmn_id=None, bpmn_name=None, name="preview"))
        try:
            return dict(engine.result(task))
        except Exception as exc:  # a failing cell is reported for this project, not raised
            raise DecisionFailed(str(exc)) from exc
