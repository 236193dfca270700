"""What differs between two bundles, as a designer reads it: diagram elements, decision-table rows
and form fields.

Pure: no Flask, no SQL. Files in (`*.bpmn`, `*.dmn`, `forms/<key>.json`), a dict out. Unlike
domain.migration.spec_changes (what the engine runs), this compares what the files say, element
by element, so lanes, flows and labels count too, and each changed element says what changed.
The diagram layout (BPMN DI) is left out: moving a shape changes nothing.
"""

from __future__ import annotations

import json

from lxml import etree

from .catalog import BPMN_SUFFIXES, DMN_SUFFIXES, FORMS_PREFIX, is_form_file, parse_xml
from .errors import BundleError

# Elements whose id-bearing children are elements of their own (compared on their own).
_CONTAINERS = {
    "definitions",
    "process",
    "subProcess",
    "transaction",
    "adHocSubProcess",
    "laneSet",
    "lane",
    "childLaneSet",
    "collaboration",
}
# Children that repeat what the flows already say (a flow's sourceRef/targetRef).
_REDUNDANT = {"incoming", "outgoing"}
_DI_NAMESPACES = (
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "https://www.omg.org/spec/DMN/20191111/DMNDI/",
)


def diff_bundles(old: dict[str, str], new: dict[str, str]) -> dict:
    """{bpmn: {file: {added, removed, changed}}, dmn: [...], forms: [...]} from `old` to `new`."""
    return {
        "bpmn": {
            name: diff_bpmn(old.get(name), new.get(name))
            for name in sorted(_named(old, BPMN_SUFFIXES) | _named(new, BPMN_SUFFIXES))
            if old.get(name) != new.get(name)
        },
        "dmn": [
            d
            for name in sorted(_named(old, DMN_SUFFIXES) | _named(new, DMN_SUFFIXES))
            if old.get(name) != new.get(name)
            for d in diff_dmn(name, old.get(name), new.get(name))
        ],
        "forms": [
            d
            for name in sorted({n for n in (*old, *new) if is_form_file(n)})
            if old.get(name) != new.get(name)
            for d in [diff_form(name, old.get(name), new.get(name))]
            if d
        ],
    }


def _named(files: dict[str, str], suffixes) -> set[str]:
    return {n for n in files if n.lower().endswith(suffixes)}


# -- diagram -------------------------------------------------------------------------------------
def diff_bpmn(old: str | None, new: str | None) -> dict:
    """Elements added, removed and changed (with what changed: attributes, properties, scripts…)."""
    before, after = _elements(old), _elements(new)
    changed = []
    for element_id in sorted(set(before) & set(after)):
        what = _what_changed(before[element_id][1], after[element_id][1])
        if what:
            changed.append(dict(after[element_id][0], what=what))
    return {
        "added": [after[i][0] for i in sorted(set(after) - set(before))],
        "removed": [before[i][0] for i in sorted(set(before) - set(after))],
        "changed": changed,
    }


def _elements(text: str | None) -> dict[str, tuple[dict, dict]]:
    """id → ({id, name, type}, {aspect: canonical content}) of every element of the model."""
    root = _root(text, "bpmn")
    out: dict[str, tuple[dict, dict]] = {}
    if root is None:
        return out
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.get("id") or _is_di(el):
            continue
        parent = el.getparent()
        if parent is not None and _local(parent) not in _CONTAINERS:
            continue  # part of its parent (an event definition, an expression…)
        name = " ".join((el.get("name") or "").split()) or None
        out[el.get("id")] = ({"id": el.get("id"), "name": name, "type": _local(el)}, _aspects(el))
    return out


def _aspects(el) -> dict[str, object]:
    """What an element says, by aspect: each attribute, each extension property, each other kind
    of child (repeated children, such as a lane's flowNodeRef, as one aspect; children that are
    elements of their own left out)."""
    aspects: dict[str, object] = {str(k): v for k, v in el.attrib.items() if k != "id"}
    container = _local(el) in _CONTAINERS
    children: dict[str, list] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        local = _local(child)
        if local in _REDUNDANT or (container and child.get("id")):
            continue
        if local == "extensionElements":
            for ext in child.iter():
                if not isinstance(ext.tag, str) or ext is child:
                    continue
                if _local(ext) == "property" and ext.get("name"):
                    aspects[f"property:{ext.get('name')}"] = ext.get("value")
                elif _local(ext) not in ("properties", "property"):
                    aspects[_local(ext)] = _canon(ext)
            continue
        children.setdefault(local, []).append(_canon(child))
    for local, found in children.items():
        aspects[local] = found[0] if len(found) == 1 else tuple(sorted(found))
    return aspects


def _what_changed(before: dict, after: dict) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _canon(el) -> tuple:
    return (
        _local(el),
        tuple(sorted((str(k), v) for k, v in el.attrib.items())),
        (el.text or "").strip(),
        tuple(_canon(c) for c in el if isinstance(c.tag, str)),
    )


# -- decision tables -----------------------------------------------------------------------------
def diff_dmn(file: str, old: str | None, new: str | None) -> list[dict]:
    """Per decision: rows added, removed and changed (each with its cells), columns changed."""
    before, after = _decisions(old), _decisions(new)
    out = []
    for decision_id in sorted(set(before) | set(after)):
        a, b = before.get(decision_id), after.get(decision_id)
        entry: dict = {
            "file": file,
            "decision_id": decision_id,
            "name": (b or a or {}).get("name"),
            "status": "added" if a is None else "removed" if b is None else "changed",
            "rows_added": [],
            "rows_removed": [],
            "rows_changed": [],
            "columns_changed": [],
        }
        rows_a, rows_b = (a or {}).get("rows", {}), (b or {}).get("rows", {})
        entry["rows_added"] = [dict(id=i, cells=rows_b[i]) for i in rows_b if i not in rows_a]
        entry["rows_removed"] = [dict(id=i, cells=rows_a[i]) for i in rows_a if i not in rows_b]
        entry["rows_changed"] = [
            dict(id=i, before=rows_a[i], after=rows_b[i]) for i in rows_b if i in rows_a and rows_a[i] != rows_b[i]
        ]
        columns_a, columns_b = (a or {}).get("columns", []), (b or {}).get("columns", [])
        if a is not None and b is not None and columns_a != columns_b:
            entry["columns_changed"] = [c for c in columns_b if c not in columns_a] + [
                dict(c, removed=True) for c in columns_a if c not in columns_b
            ]
        if entry["status"] != "changed" or any(
            entry[k] for k in ("rows_added", "rows_removed", "rows_changed", "columns_changed")
        ):
            out.append(entry)
    return out


def _decisions(text: str | None) -> dict[str, dict]:
    root = _root(text, "dmn")
    out: dict[str, dict] = {}
    if root is None:
        return out
    for decision in (el for el in root.iter() if isinstance(el.tag, str) and _local(el) == "decision"):
        columns: list[dict] = []
        rows: dict[str, list[str]] = {}
        for el in decision.iter():
            if not isinstance(el.tag, str):
                continue
            if _local(el) in ("input", "output"):
                expression = next((c for c in el.iter() if isinstance(c.tag, str) and _local(c) == "text"), None)
                columns.append(
                    {
                        "kind": _local(el),
                        "label": el.get("label") or el.get("name") or el.get("id"),
                        "expression": (expression.text or "").strip() if expression is not None else None,
                    }
                )
            elif _local(el) == "rule":
                rows[el.get("id") or f"#{len(rows) + 1}"] = [
                    (cell.findtext("{*}text") or "").strip()
                    for cell in el
                    if isinstance(cell.tag, str) and _local(cell) in ("inputEntry", "outputEntry")
                ]
        out[decision.get("id")] = {"name": decision.get("name") or decision.get("id"), "columns": columns, "rows": rows}
    return out


# -- forms ---------------------------------------------------------------------------------------
def diff_form(file: str, old: str | None, new: str | None) -> dict | None:
    """Fields added, removed and changed (with the settings that changed) of one form."""
    before, after = _fields(old), _fields(new)
    key = file[len(FORMS_PREFIX) : -len(".json")] if file.startswith(FORMS_PREFIX) else file
    changed = [
        dict(
            _field_label(after[k]),
            what=sorted(p for p in set(before[k]) | set(after[k]) if before[k].get(p) != after[k].get(p)),
        )
        for k in after
        if k in before and before[k] != after[k]
    ]
    entry: dict = {
        "form": key,
        "file": file,
        "status": "added" if old is None else "removed" if new is None else "changed",
        "added": [_field_label(after[k]) for k in after if k not in before],
        "removed": [_field_label(before[k]) for k in before if k not in after],
        "changed": changed,
    }
    if entry["status"] == "changed" and not (entry["added"] or entry["removed"] or changed):
        entry["other"] = True  # the form's own settings (title…) changed, no field did
    return entry


def _fields(text: str | None) -> dict[str, dict]:
    if text is None:
        return {}
    try:
        schema = json.loads(text)
    except ValueError:
        return {}
    out: dict[str, dict] = {}

    def walk(components):
        for component in components if isinstance(components, list) else []:
            if not isinstance(component, dict):
                continue
            key = component.get("key") or component.get("id")
            if key:
                out[str(key)] = {k: v for k, v in component.items() if k not in ("components",)}
            walk(component.get("components"))

    walk(schema.get("components") if isinstance(schema, dict) else None)
    return out


def _field_label(field: dict) -> dict:
    return {"key": field.get("key") or field.get("id"), "label": field.get("label"), "type": field.get("type")}


# -- helpers -------------------------------------------------------------------------------------
def _root(text: str | None, kind: str):
    if text is None:
        return None
    try:
        return parse_xml(text, kind)
    except BundleError:
        return None


def _is_di(el) -> bool:
    return etree.QName(el).namespace in _DI_NAMESPACES


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""
