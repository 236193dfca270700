"""Roles, the lanes that name them, and the jurisdiction each role works in.

A BPMN lane names a role either by its code or by its Chinese name, so designers can
draw lanes in Chinese. Pure data: no Flask, no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    code: str
    zh: str
    en: str
    # "own" (owner's projects), "estates" (a property company's managed estates), "entrusted" (the
    # projects an entrusted supervisor was hired for), "street", "district", "city", "none" (no project data)
    scope: str
    lane_names: tuple[str, ...] = ()


ROLES: dict[str, Role] = {
    r.code: r
    for r in (
        Role("owner", "建设单位/业主", "Owner / contractor", "own", ("建设单位/业主", "建设单位", "业主")),
        # Private parties who assist (P-26, P-27): they see projects, never work on process tasks.
        Role("property", "物业服务企业", "Property management company", "estates"),
        Role("entrusted", "委托监理", "Entrusted supervisor", "entrusted"),
        Role("grid", "网格员", "Grid worker", "street", ("网格员",)),
        Role("inspector", "镇街巡查员", "Street patrol inspector", "street", ("镇街巡查员", "巡查员")),
        Role("supervisor", "镇街负责人", "Street supervisor", "street", ("镇街负责人",)),
        Role("enforcer", "区综合执法", "District enforcement", "district", ("区综合执法", "区综合执法局")),
        Role("housing", "区住建", "District housing & construction", "district", ("区住建", "区住建局")),
        Role("emergency", "区应急", "District emergency management", "district", ("区应急", "区应急管理局")),
        # Receiving departments of hand-overs (P-16) besides enforcement and housing.
        Role("fire", "消防救援机构", "Fire and rescue", "district", ("消防救援机构", "区消防救援大队", "消防")),
        Role("gas", "燃气主管部门", "Gas authority", "district", ("燃气主管部门", "区燃气", "燃气")),
        Role("district_admin", "区级管理员", "District administrator", "district", ()),
        Role("city", "市级（只读）", "City (read-only)", "city", ()),
        Role("designer", "流程设计员", "Process designer", "none", ()),
        Role("admin", "平台运维", "Platform operations", "none", ()),
        # City-wide and read-only, like `city`, plus the audit trail; never does tasks.
        Role("auditor", "审计员", "Auditor", "city", ()),
        # Machine clients of other systems (12345 hotline, permit supervision, enforcement cases):
        # they work on service tasks of their topics and send messages, and read no project data.
        Role("integration", "系统对接", "Integration (machine client)", "none", ()),
    )
}

# Lanes with no human role: automatic steps.
SYSTEM_LANES = frozenset({"系统", "system", "System"})

_LANE_INDEX = {name: role.code for role in ROLES.values() for name in (role.code, *role.lane_names)}


def role_for_lane(lane: str | None) -> str | None:
    """The role code a lane names; None for system lanes or lanes that name no known role."""
    if not lane or lane in SYSTEM_LANES:
        return None
    return _LANE_INDEX.get(lane.strip())


def is_known_lane(lane: str | None) -> bool:
    return lane is None or lane in SYSTEM_LANES or role_for_lane(lane) is not None
