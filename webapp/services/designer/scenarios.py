"""Scenario tests of a process bundle (domain.scenarios), run by validation and deploy.

The scenarios are the files in processes/scenarios/ naming the bundle's process. They run with the
district rules at their defaults (a scenario may set some in its `rules`), the deadline and date
helpers the platform binds, and the patrol checklist of the forms directory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from time import perf_counter

from flask import current_app
from sqlalchemy import select

from ...domain import deadlines, scenarios
from ...domain.catalog import Bundle, parse_bundle
from ...domain.errors import BundleError
from ...domain.forms import checklist_for
from ...persistence.models import HistoryEvent, ProcessInstance, ProcessVersion, Project, db
from ..district_rules import rulebook
from ..errors import Forbidden, NotFound
from ..security import policy, privacy
from . import versions

DIRECTORY = "scenarios"
EMPTY = {"results": [], "passed": 0, "failed": 0, "seconds": 0.0}


def directory() -> Path:
    return Path(current_app.config["PROCESSES_DIR"]) / DIRECTORY


def shipped(process_id: str | None = None, district_code: str | None = None) -> list[scenarios.Scenario]:
    """The city's scenarios; for a district's variant, those of processes/scenarios/<district code>/
    replace the city's of the same name and add their own (a variant that adds a step says how its
    cases go there, and the city's other cases still hold)."""
    cases = scenarios.load_directory(directory(), process_id)
    if district_code:
        own = {case.name: case for case in scenarios.load_directory(directory() / district_code, process_id)}
        for case in own.values():
            case.file = f"{district_code}/{case.file}"
        cases = [own.pop(case.name, case) for case in cases] + list(own.values())
    return cases


def helpers(rules: dict, now: Callable[[], datetime]) -> dict:
    """What scripts call, as services.lifecycle binds it, on the scenario's clock `now`: a timer
    a script computes from a date (a completion reminder) falls due at the same scenario moment
    however long the scenario waited before."""
    return {**deadlines.script_helpers(now), "rule": rulebook.bound_rule(rules, now())}


def checklist_in(forms_dir: str | Path):
    """The patrol checklist items that apply to a project's facts, read from `forms_dir`."""
    path = Path(forms_dir) / "checklist.json"
    return lambda facts: checklist_for(
        facts.get("risk_flags") or [], facts.get("object_type") or "SMALL_WORKS", path=path
    )


def checklist(facts: dict) -> list[dict]:
    return checklist_in(current_app.config["FORMS_DIR"])(facts)


def run_all(files: dict[str, str], process_id: str | None, district_code: str | None = None) -> dict:
    """Every shipped scenario of the process (of the district's variant: `shipped`) run on the
    bundle `files`: {results, passed, failed, seconds}. A bundle that does not parse runs none (validation reports why it does not); a
    scenario file that does not read is a failed result naming the file."""
    try:
        bundle = parse_bundle(files, process_id)
    except BundleError:
        return dict(EMPTY)
    try:
        cases = shipped(bundle.process_id, district_code)
    except scenarios.ScenarioError as exc:
        return dict(
            EMPTY,
            failed=1,
            results=[
                {
                    "name": DIRECTORY,
                    "title": DIRECTORY,
                    "file": None,
                    "passed": False,
                    "failures": [str(exc)],
                    "diverged_at": None,
                }
            ],
        )
    return run_on(bundle, cases)


def run_on(bundle: Bundle, cases: list[scenarios.Scenario]) -> dict:
    started = perf_counter()
    results = [scenarios.run(bundle, case, helpers, checklist).to_dict() for case in cases]
    failed = sum(1 for r in results if not r["passed"])
    return {
        "results": results,
        "passed": len(results) - failed,
        "failed": failed,
        "seconds": round(perf_counter() - started, 2),
    }


def record(user, *, project_id: int | None = None, reg_no: str | None = None) -> dict:
    """A scenario recorded from a project's history, replayed on the project's process version:
    {scenario (its `expect` from the replay), replayed, error}. Personal numbers are masked: a
    scenario file is shared with everyone who reads the process."""
    if not policy.records_scenarios(user):
        raise Forbidden("只有流程设计员可以录制场景")
    query = (
        select(Project).where(Project.id == project_id)
        if project_id is not None
        else select(Project).where(Project.reg_no == (reg_no or "").strip())
    )
    project = db.session.scalar(query)
    instance = (
        db.session.scalar(select(ProcessInstance).where(ProcessInstance.project_id == project.id))
        if project is not None
        else None
    )
    district = user.org_unit.district_code if user.org_unit is not None else None
    if project is None or instance is None or (district is not None and project.district_code != district):
        raise NotFound("没有这个项目")  # a district's designer records the district's projects only
    bundle = versions.bundle_for(db.session.get(ProcessVersion, instance.version_id))
    rows = [
        {"kind": e.kind, "element_id": e.element_id, "at": e.at, "data": json.loads(e.data_json or "null")}
        for e in db.session.scalars(
            select(HistoryEvent).where(HistoryEvent.project_id == project.id).order_by(HistoryEvent.id)
        )
    ]
    created = next((r for r in rows if r["kind"] == "project_created"), None)
    if created is None or not isinstance(created["data"], dict):
        raise NotFound("该项目没有可录制的登记数据")
    name = "recorded_" + re.sub(r"[^\w-]", "_", project.reg_no)
    case = scenarios.from_history(
        bundle,
        name,
        f"录制自 {project.reg_no}：{project.title}",
        privacy.masked(created["data"]),
        created["at"],
        privacy.masked(rows),
    )
    outcome = scenarios.execute(bundle, case, helpers, checklist)
    case.expect = scenarios.expectation(outcome)
    return {"scenario": case.to_dict(), "replayed": outcome.error is None, "error": outcome.error}
