"""Scenario tests of a process bundle (domain.scenarios), run by validation and deploy.

The scenarios are the files in processes/scenarios/ naming the bundle's process. They run with the
district rules at their defaults (a scenario may set some in its `rules`), the deadline and date
helpers the platform binds, and the patrol checklist of the forms directory.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from time import perf_counter

from flask import current_app

from ...domain import deadlines, scenarios
from ...domain.catalog import Bundle, parse_bundle
from ...domain.errors import BundleError
from ...domain.forms import checklist_for
from ...domain.workdays import script_helpers
from ..district_rules import rulebook

DIRECTORY = "scenarios"
EMPTY = {"results": [], "passed": 0, "failed": 0, "seconds": 0.0}


def directory() -> Path:
    return Path(current_app.config["PROCESSES_DIR"]) / DIRECTORY


def shipped(process_id: str | None = None) -> list[scenarios.Scenario]:
    return scenarios.load_directory(directory(), process_id)


def helpers(rules: dict) -> dict:
    return {"rule": rulebook.bound_rule(rules, datetime.now(timezone.utc)), **deadlines.HELPERS, **script_helpers()}


def checklist_in(forms_dir: str | Path):
    """The patrol checklist items that apply to a project's facts, read from `forms_dir`."""
    path = Path(forms_dir) / "checklist.json"
    return lambda facts: checklist_for(facts.get("risk_flags") or [], facts.get("object_type") or "SMALL_WORKS",
                                       path=path)


def checklist(facts: dict) -> list[dict]:
    return checklist_in(current_app.config["FORMS_DIR"])(facts)


def run_all(files: dict[str, str], process_id: str | None) -> dict:
    """Every shipped scenario of the process run on the bundle `files`: {results, passed, failed,
    seconds}. A bundle that does not parse runs none (validation reports why it does not); a
    scenario file that does not read is a failed result naming the file."""
    try:
        bundle = parse_bundle(files, process_id)
    except BundleError:
        return dict(EMPTY)
    try:
        cases = shipped(bundle.process_id)
    except scenarios.ScenarioError as exc:
        return dict(EMPTY, failed=1, results=[{"name": DIRECTORY, "title": DIRECTORY, "file": None, "passed": False,
                                               "failures": [str(exc)], "diverged_at": None}])
    return run_on(bundle, cases)


def run_on(bundle: Bundle, cases: list[scenarios.Scenario]) -> dict:
    started = perf_counter()
    results = [scenarios.run(bundle, case, helpers, checklist).to_dict() for case in cases]
    failed = sum(1 for r in results if not r["passed"])
    return {"results": results, "passed": len(results) - failed, "failed": failed,
            "seconds": round(perf_counter() - started, 2)}
