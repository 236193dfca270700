"""What a district's variant of a process must keep from the city's version.

A district may draw its own variant (a second patrol lane, a step of its own), but the city still
assigns work by lane, counts its figures by the extension properties `kpi` and `casefile`
(domain.figures) and relies on the notices the steps marked `notice` issue. A variant must keep
every role the city's lanes name, every figure and case-file name, and every notice kind; where
the city's element survives in the variant it must still carry them itself.

Pure: no Flask, no SQL. Files in, `Problem`s out, each on the element concerned: the variant's
own element where it still exists (so the modeler marks it), else the city's.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import figures
from .catalog import BPMN_SUFFIXES, parse_xml
from .errors import BundleError, Problem
from .roles import ROLES, role_for_lane
from .validation import BPMN_NS, SPIFF_NS

NOTICE = "notice"
# The extension properties whose names a variant keeps: the figures, the case file, the notices.
KEPT_PROPERTIES = (figures.KPI, figures.CASEFILE, NOTICE)


@dataclass(frozen=True)
class _Element:
    file: str
    id: str
    name: str | None


def variant_problems(files: dict[str, str], city_files: dict[str, str], district: str) -> list[Problem]:
    """Every requirement of the city's version (`city_files`) the variant (`files`) drops; []
    when it keeps them all. `district` names the district in the messages."""
    variant, city = _read(files), _read(city_files)
    problems: list[Problem] = []
    problems += _lanes_kept(variant, city, district)
    problems += _properties_kept(variant, city, district)
    return problems


# -- lanes ---------------------------------------------------------------------------------------
def _lanes_kept(variant: dict, city: dict, district: str) -> list[Problem]:
    have = {role_for_lane(el.name) for el in variant["lanes"]}
    out = []
    for lane in city["lanes"]:
        role = role_for_lane(lane.name)
        if role is None or role in have:
            continue
        where = variant["ids"].get(lane.id)
        now = f"（现名「{where.name}」）" if where is not None and where.name != lane.name else ""
        at = where or lane
        out.append(
            Problem(
                at.file,
                lane.id,
                at.name,
                f"{district}的变体缺少市级流程要求的泳道「{lane.name}」{now}：角色「{ROLES[role].zh}」的任务"
                f"将无人办理；请保留这个泳道（可以另加泳道）"
                f" (the variant drops the city's lane for role {role})",
            )
        )
    return out


# -- figures, case file, notices -----------------------------------------------------------------
def _properties_kept(variant: dict, city: dict, district: str) -> list[Problem]:
    out = []
    for (prop, value), carriers in sorted(city["tags"].items()):
        now = variant["tags"].get((prop, value), {})
        for element_id, element in sorted(carriers.items()):
            if element_id in now:
                continue
            kept = variant["ids"].get(element_id)
            if kept is None and now:
                continue  # the step is gone, another one carries the name: the city still gets it
            what = _what(prop, value)
            if kept is not None:
                why = f"元素 {element_id} 不再标注 {prop}={value}"
                at = kept
            else:
                why = f"元素 {element_id} 已删除，变体中没有任何元素标注 {prop}={value}"
                at = element
            out.append(
                Problem(
                    at.file,
                    element_id,
                    at.name,
                    f"{district}的变体丢失了市级流程要求的{what}（{prop}={value}）：{why}；"
                    f"请保留这个扩展属性 (the variant drops the city's {prop} {value})",
                )
            )
    return out


def _what(prop: str, value: str) -> str:
    if prop == NOTICE:
        return f"文书「{value}」"
    names = figures.KNOWN[prop].get(value)
    label = names[0] if names else value
    return f"指标「{label}」" if prop == figures.KPI else f"案卷的「{label}」"


# -- reading -------------------------------------------------------------------------------------
def _read(files: dict[str, str]) -> dict:
    """lanes, every element by id, and (property, name) → {element id: element} of a bundle's BPMN."""
    lanes: list[_Element] = []
    ids: dict[str, _Element] = {}
    tags: dict[tuple[str, str], dict[str, _Element]] = {}
    for file in sorted(n for n in files if n.lower().endswith(BPMN_SUFFIXES)):
        try:
            root = parse_xml(files[file], file)
        except BundleError:
            continue  # validation reports an unreadable file
        for el in root.iter():
            if not isinstance(el.tag, str) or not el.get("id"):
                continue
            element = _Element(file, el.get("id"), " ".join((el.get("name") or "").split()) or None)
            ids.setdefault(element.id, element)
            if el.tag == f"{{{BPMN_NS}}}lane":
                lanes.append(element)
            for prop, value in _properties(el).items():
                if prop in KEPT_PROPERTIES:
                    for name in value.split():
                        tags.setdefault((prop, name), {})[element.id] = element
    return {"lanes": lanes, "ids": ids, "tags": tags}


def _properties(el) -> dict[str, str]:
    props: dict[str, str] = {}
    for child in el:
        if isinstance(child.tag, str) and child.tag == f"{{{BPMN_NS}}}extensionElements":
            for prop in child.iter(f"{{{SPIFF_NS}}}property"):
                if prop.get("name"):
                    props[prop.get("name")] = prop.get("value") or ""
    return props
