"""Python does not name the diagram's elements: no string literal in webapp/services equals an
element id of processes/small_works.bpmn, outside the one documented mapping
(services/designer/diagram_names.py). A step renamed in the modeler then changes no figure
silently: what figures and the case file read are extension properties (domain.figures).

A few words are element ids and, independently, values of another vocabulary the services use:
a diagram property's value (a stage, a notice kind, a hazard action; checked here against the
diagram) or a figure group of the dashboard's API. Each is listed with its vocabulary and the
modules that use it in that sense.
"""

from __future__ import annotations

import ast
from pathlib import Path

import defusedxml.ElementTree as ET

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "webapp" / "services"
MAPPING = SERVICES / "designer" / "diagram_names.py"
DIAGRAM = ROOT / "processes" / "small_works.bpmn"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"

# word → (vocabulary, modules under webapp/services using the word in that vocabulary). A vocabulary
# "property:NAME" is the values of that extension property; "dashboard" the figure groups and
# ledger filters of services.oversight.kpi.FILTERS.
OTHER_VOCABULARIES = {
    "patrol": {
        "property:stage": {"oversight/kpi.py", "district_rules/draft_preview.py", "participation/public.py"},
        "dashboard": {"oversight/kpi.py", "oversight/dashboard.py", "oversight/reports.py"},
    },
    "writeoff": {
        "property:stage": {"oversight/kpi.py", "participation/public.py"},
        "property:notice": {"casefile/notices.py", "oversight/kpi.py", "oversight/dashboard.py"},
        "dashboard": {"oversight/kpi.py", "oversight/dashboard.py", "oversight/reports.py"},
    },
    "temp_referral": {"property:notice": {"casefile/notices.py"}},
    "reinspect": {"property:hazards": {"lifecycle/hazards.py"}},
}


def element_ids() -> set[str]:
    root = ET.parse(DIAGRAM).getroot()
    return {e.get("id") for e in root.iter() if e.get("id") and e.tag.startswith(BPMN)}


def property_values(name: str) -> set[str]:
    root = ET.parse(DIAGRAM).getroot()
    return {
        word for e in root.iter(f"{SPIFF}property") if e.get("name") == name for word in (e.get("value") or "").split()
    }


def literals(path: Path):
    """(line, text) of every string constant of a module but its docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def found() -> list[tuple[str, int, str]]:
    ids = element_ids()
    return sorted(
        (path.relative_to(SERVICES).as_posix(), line, text)
        for path in SERVICES.rglob("*.py")
        if path != MAPPING
        for line, text in literals(path)
        if text in ids
    )


def test_no_service_names_an_element_of_the_diagram():
    named = [
        f"webapp/services/{module}:{line}: {text!r}"
        for module, line, text in found()
        if not any(module in modules for modules in OTHER_VOCABULARIES.get(text, {}).values())
    ]
    assert named == [], "name the element in services/designer/diagram_names.py, or read a property"


def test_the_words_shared_with_other_vocabularies_are_in_them():
    from webapp.services.oversight import kpi

    for word, vocabularies in OTHER_VOCABULARIES.items():
        for vocabulary in vocabularies:
            if vocabulary == "dashboard":
                assert word in kpi.FILTERS, word
            else:
                assert word in property_values(vocabulary.removeprefix("property:")), (word, vocabulary)


def test_the_scan_finds_an_element_id_where_one_is_written(tmp_path, monkeypatch):
    """The scan itself can fail: a module comparing with the patrol step's id is reported."""
    module = tmp_path / "oversight" / "sneaky.py"
    module.parent.mkdir()
    module.write_text('"""Docstrings may say patrol."""\nSTEP = "first_visit"\n', encoding="utf-8")
    monkeypatch.setitem(globals(), "SERVICES", tmp_path)
    assert found() == [("oversight/sneaky.py", 2, "first_visit")]


def test_the_mapping_names_elements_of_the_shipped_diagram():
    """A renamed element breaks the mapping here rather than the demo or a message silently."""
    ids = element_ids()
    names = {text for _line, text in literals(MAPPING)}
    assert names and names <= ids, sorted(names - ids)
