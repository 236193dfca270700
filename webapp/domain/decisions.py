"""Evaluate a bundle's DMN decisions outside any running instance (what-if previews).

Pure: no Flask, no SQL. A decision is found by the output it produces (e.g. `risk_level`), not
by a BPMN element id, and runs in the same sandbox as in the process, with the helpers given
(a `rule(name, default)` bound to a draft rule set, for instance).
"""

from __future__ import annotations

import ast
import builtins
import json
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
    """Runs decisions on plain data with one set of helpers.

    Results are remembered per decision and per value of the data names its cells use: a
    district's projects repeat the same few combinations (a patrol interval depends on the risk
    level alone), and every sandboxed cell costs a compile and a watchdog.
    """

    def __init__(self, helpers: dict):
        self.script_engine = make_script_engine(extra_globals=helpers)
        self._names: dict[int, frozenset | None] = {}
        self._results: dict[tuple, dict] = {}

    def decide(self, engine, data: dict) -> dict:
        if id(engine) not in self._names:
            self._names[id(engine)] = data_names(engine)
        names = self._names[id(engine)]
        key = None
        if names is not None:
            key = (id(engine), tuple(json.dumps(data.get(n), sort_keys=True, default=str) for n in sorted(names)))
            if key in self._results:
                return dict(self._results[key])
        # DMNEngine only needs the task's data and the workflow's script engine.
        task = SimpleNamespace(
            data=dict(data),
            workflow=SimpleNamespace(script_engine=self.script_engine),
            task_spec=SimpleNamespace(bpmn_id=None, bpmn_name=None, name="preview"),
        )
        try:
            result = dict(engine.result(task))
        except Exception as exc:  # a failing cell is reported for this project, not raised
            raise DecisionFailed(str(exc)) from exc
        if key is not None:
            self._results[key] = result
        return dict(result)


def data_names(engine) -> frozenset | None:
    """The task-data names a decision table's cells read; None if a cell cannot be parsed."""
    table = engine.decision_table
    texts = [i.expression for i in table.inputs if i.expression]
    for rule in table.rules:
        texts += [lhs for entry in rule.inputEntries for lhs in entry.lhs if lhs]
        texts += [o.text for o in rule.outputEntries if getattr(o, "text", None)]
    names: set[str] = set()
    for text in texts:
        text = text.strip().replace("?", "dmninputexpr")
        tree = None
        for candidate in (text, f"v {text}"):  # an entry like "<= 100" has no left-hand side
            try:
                tree = ast.parse(candidate, mode="eval")
                break
            except SyntaxError:
                continue
        if tree is None:
            return None
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return frozenset(names - {"v", "dmninputexpr", "rule"} - set(dir(builtins)))
