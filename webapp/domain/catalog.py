"""Parse BPMN/DMN bundles into executable specs, once per content hash.

Pure: no Flask, no SQL. A bundle is a set of named files (BPMN and DMN text);
its content hash identifies a process version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .errors import BundleError, Problem
from .external import ExternalTask, ExternalTaskParser

BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")
DMN_SUFFIXES = (".dmn",)
# A version's form definitions travel in the same bundle, named forms/<form key>.json.
FORMS_PREFIX = "forms/"


def is_form_file(name: str) -> bool:
    return name.startswith(FORMS_PREFIX) and name.endswith(".json")


def form_key_of(name: str) -> str:
    return name[len(FORMS_PREFIX) : -len(".json")]


# Uploaded XML must never resolve entities, load a DTD or touch the network. The encoding is
# forced to UTF-8 (whatever the XML declaration says), so a DOCTYPE cannot hide from the check
# below in UTF-16 or UTF-7: libxml2 expands internal entities in attribute values even with
# resolve_entities=False, so a DTD is refused before parsing, not after.
_SAFE_XML = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    encoding="utf-8",
)
_NO_DTD = "DTD / entity declarations are not allowed"


def parse_xml(text: str | bytes, filename: str) -> etree._Element:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError([Problem(filename, None, None, "XML must be UTF-8")]) from exc
    if "\x00" in decoded:
        raise BundleError([Problem(filename, None, None, "XML must be UTF-8")])
    lowered = decoded.lower()
    if "<!doctype" in lowered or "<!entity" in lowered:
        raise BundleError([Problem(filename, None, None, _NO_DTD)])
    try:
        root = etree.fromstring(raw, _SAFE_XML)
    except etree.XMLSyntaxError as exc:
        raise BundleError([Problem(filename, None, None, f"XML syntax error: {exc}")]) from exc
    if root.getroottree().docinfo.doctype:  # cannot happen after the check above; kept as a backstop
        raise BundleError([Problem(filename, None, None, _NO_DTD)])
    return root


def content_hash(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(files[name].encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def same_content(old: dict[str, str], new: dict[str, str]) -> bool:
    """Whether two bundles say the same thing although their text differs: an editor that saves
    an unchanged diagram writes its XML afresh (spacing, attribute order, comments dropped, the
    diagram's shapes in another order); deploying that must not make a new version."""
    if set(old) != set(new):
        return False
    return all(old[name] == new[name] or _canonical(name, old[name]) == _canonical(name, new[name]) for name in new)


def _canonical(name: str, text: str):
    try:
        if name.endswith(".json"):
            return json.loads(text)
        if name.endswith((".bpmn", ".dmn")):
            root = parse_xml(text, name)
            for el in root.iter():
                if el.text is not None and not el.text.strip():
                    el.text = None
                if el.tail is not None and not el.tail.strip():
                    el.tail = None
            for plane in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNPlane"):
                plane[:] = sorted(plane, key=lambda shape: (str(shape.tag), shape.get("bpmnElement") or ""))
            return etree.tostring(root, method="c14n", with_comments=False)
    except (ValueError, BundleError):
        pass
    return text


@dataclass
class Bundle:
    """An executable process version: the parsed specs plus the files they came from."""

    content_hash: str
    process_id: str
    files: dict[str, str]
    spec: Any  # SpiffWorkflow's BpmnProcessSpec
    subprocess_specs: dict
    lanes: list[str] = field(default_factory=list)
    _tagged: dict[str, dict[str, set[str]]] = field(default_factory=dict, repr=False, compare=False)

    def task_spec(self, name: str):
        """An element's spec, in the process or in one of its (event) sub-processes."""
        spec = self.spec.task_specs.get(name)
        if spec is None:
            spec = next(
                (sub.task_specs[name] for sub in self.subprocess_specs.values() if name in sub.task_specs), None
            )
        return spec

    def user_task_specs(self):
        specs = [self.spec, *self.subprocess_specs.values()]
        return [ts for spec in specs for ts in spec.task_specs.values() if getattr(ts, "manual", False)]

    def tagged(self, prop: str) -> dict[str, set[str]]:
        """value → ids of the elements whose extension property `prop` names it (values are
        space-separated), over the process and its subprocesses; read once per bundle."""
        if prop in self._tagged:
            return self._tagged[prop]
        out: dict[str, set[str]] = self._tagged.setdefault(prop, {})
        for spec in [self.spec, *self.subprocess_specs.values()]:
            for task_spec in spec.task_specs.values():
                properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
                for value in (properties.get(prop) or "").split():
                    out.setdefault(value, set()).add(task_spec.bpmn_id or task_spec.name)
        return out


class _Parser(SpiffBpmnParser):
    # A service task waits for an external worker (domain.external); the platform calls no service.
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ExternalTaskParser, ExternalTask),
    }


def parse_bundle(files: dict[str, str], process_id: str | None = None) -> Bundle:
    """Parse and return the bundle; raises BundleError listing what is wrong."""
    parser = _Parser()
    problems: list[Problem] = []
    bpmn_names = [n for n in sorted(files) if n.lower().endswith(BPMN_SUFFIXES)]
    dmn_names = [n for n in sorted(files) if n.lower().endswith(DMN_SUFFIXES)]
    if not bpmn_names:
        raise BundleError([Problem(None, None, None, "no BPMN file in the upload")])
    for name in bpmn_names + dmn_names:
        try:
            root = parse_xml(files[name], name)
            if name in dmn_names:
                parser.add_dmn_xml(root, filename=name)
            else:
                parser.add_bpmn_xml(root, filename=name)
        except BundleError as exc:
            problems.extend(exc.problems)
        except ValidationException as exc:
            problems.append(_problem_from_validation(exc, name))
        except Exception as exc:  # the parser raises many types on malformed input
            problems.append(Problem(name, None, None, f"{type(exc).__name__}: {exc}"))
    if problems:
        raise BundleError(problems)

    executable = parser.get_process_ids()
    if process_id is None:
        if not executable:
            raise BundleError([Problem(bpmn_names[0], None, None, "no executable process found")])
        process_id = _main_process(parser, executable)
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise BundleError([_problem_from_validation(exc, None)]) from exc
    except Exception as exc:
        raise BundleError([Problem(None, None, None, f"{type(exc).__name__}: {exc}")]) from exc
    _connect_event_subprocesses(spec)
    lanes = sorted({ts.lane for ts in spec.task_specs.values() if getattr(ts, "lane", None)})
    return Bundle(content_hash(files), process_id, dict(files), spec, subprocess_specs, lanes)


def _connect_event_subprocesses(spec) -> None:
    """SpiffWorkflow 3.2 wires an event sub-process into the process spec the first time its event
    fires (BpmnStartTask.trigger_wf), changing the shared, cached spec for every later instance: the
    same diagram then runs differently before and after. Wire it at parse time instead, so every
    instance starts with the listener beside the main flow."""
    start = spec.start
    for name in getattr(start, "trigger_specs", []):
        task_spec = spec.task_specs.get(name)
        if task_spec is not None and start not in task_spec.inputs:
            start.connect(task_spec)
            task_spec.connect(spec.end)


def _main_process(parser: SpiffBpmnParser, ids: list[str]) -> str:
    """The process no other process calls; ties broken by id for determinism."""
    called: set[str] = set()
    for pid in ids:
        try:
            called.update(parser.get_process_parser(pid).called_element_ids())
        except Exception:
            pass
    roots = sorted(pid for pid in ids if pid not in called) or sorted(ids)
    return roots[0]


def _problem_from_validation(exc: ValidationException, filename: str | None) -> Problem:
    return Problem(
        getattr(exc, "file_name", None) or filename,
        getattr(exc, "id", None) or None,
        getattr(exc, "name", None) or None,
        str(getattr(exc, "message", None) or exc).split("\n")[0],
    )
