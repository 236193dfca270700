"""Process bundles for validation tests: the shipped one (optionally edited) and the MIWG diagrams."""

from __future__ import annotations

from pathlib import Path

from webapp.domain.catalog import FORMS_PREFIX
from webapp.domain.errors import Problem
from webapp.domain.forms import FORMS_DIR

ROOT = Path(__file__).resolve().parents[2]
# The BPMN MIWG reference diagrams (CC BY 3.0, see their README.md), drawn by other tools.
MIWG_FILES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "bpmn-miwg").glob("*.bpmn"))


def shipped() -> dict[str, str]:
    files = {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "processes").iterdir())
        if p.suffix in (".bpmn", ".dmn")
    }
    for p in sorted(FORMS_DIR.glob("*.json")):
        if p.name != "checklist.json":
            files[FORMS_PREFIX + p.name] = p.read_text(encoding="utf-8")
    return files


def with_bpmn(old: str, new: str, count: int = 1) -> dict[str, str]:
    files = shipped()
    assert files["small_works.bpmn"].count(old) >= 1, old
    files["small_works.bpmn"] = files["small_works.bpmn"].replace(old, new, count)
    return files


def problems_at(problems: list[Problem], element_id: str) -> list[str]:
    return [p.message for p in problems if p.element_id == element_id]


def renamed(bpmn: str, old: str, new: str) -> str:
    """The diagram with one element's id changed everywhere it is referenced, as the modeler does."""
    for pattern in (
        'id="{}"',
        'sourceRef="{}"',
        'targetRef="{}"',
        'bpmnElement="{}"',
        'attachedToRef="{}"',
        "<bpmn:flowNodeRef>{}</bpmn:flowNodeRef>",
    ):
        bpmn = bpmn.replace(pattern.format(old), pattern.format(new))
    return bpmn


def run_scenarios(files: dict[str, str]) -> dict:
    """Every shipped scenario of the small_works process, run on this bundle: {name: Result}
    (needs an app context: the scenarios' helpers read the district rules' defaults)."""
    from webapp.domain import scenarios
    from webapp.domain.catalog import parse_bundle
    from webapp.services.designer import scenarios as scenario_service

    bundle = parse_bundle(files, "small_works")
    cases = scenario_service.shipped(bundle.process_id)
    return {
        case.name: scenarios.run(bundle, case, scenario_service.helpers, scenario_service.checklist) for case in cases
    }
