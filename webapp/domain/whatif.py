"""What a draft of district rules would change for the district's current projects.

Pure: no Flask, no SQL. The caller evaluates each project's decisions twice, under the rules in
force and under the draft, and this module compares and sums:

- reclassified: projects the draft would route or classify differently if they registered today.
  A running project keeps the risk level decided at its registration; the draft decides new ones.
- patrol load: patrols per week per inspector of the project's street. Each patrol cycle decides
  its interval anew from the project's recorded risk level, so this load is what really changes.
- moved deadlines: the patrol after the one already scheduled (a scheduled date stays as decided).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

WEEK = timedelta(days=7)


@dataclass
class ProjectFacts:
    id: int
    reg_no: str
    title: str
    street_code: str
    stage: str | None
    data: dict
    next_patrol_at: datetime | None = None  # the patrol already scheduled, if the project waits for one


@dataclass
class Outcome:
    route: str | None
    risk_level: str | None  # as the rules would classify the project today
    patrol_interval: timedelta | None  # the next cycle's interval, from the recorded risk level


Evaluate = Callable[[ProjectFacts], Outcome]


def compare(
    projects: list[ProjectFacts],
    before: Evaluate,
    after: Evaluate,
    inspectors: dict[str, list[str]],
    failed: type[Exception] = Exception,
) -> dict:
    """`inspectors`: street code → the inspectors who patrol it (load is shared equally)."""
    reclassified, moved, errors = [], [], []
    load: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    patrolled = 0
    for project in projects:
        try:
            old, new = before(project), after(project)
        except failed as exc:
            errors.append({"project_id": project.id, "reg_no": project.reg_no, "message": str(exc)})
            continue
        if (old.route, old.risk_level) != (new.route, new.risk_level):
            reclassified.append(
                {
                    "project_id": project.id,
                    "reg_no": project.reg_no,
                    "title": project.title,
                    "recorded_risk_level": project.data.get("risk_level"),
                    "route_before": old.route,
                    "route_after": new.route,
                    "risk_before": old.risk_level,
                    "risk_after": new.risk_level,
                }
            )
        if project.stage != "patrol":
            continue
        patrolled += 1
        load[project.street_code][0] += per_week(old.patrol_interval)
        load[project.street_code][1] += per_week(new.patrol_interval)
        if project.next_patrol_at and old.patrol_interval != new.patrol_interval:
            moved.append(
                {
                    "project_id": project.id,
                    "reg_no": project.reg_no,
                    "title": project.title,
                    "next_patrol_at": project.next_patrol_at,
                    "following_before": _after(project.next_patrol_at, old.patrol_interval),
                    "following_after": _after(project.next_patrol_at, new.patrol_interval),
                }
            )
    return {
        "projects": len(projects),
        "patrolled_projects": patrolled,
        "reclassified": reclassified,
        "patrol_load": _per_inspector(load, inspectors),
        "moved_deadlines": moved,
        "errors": errors,
    }


def _after(at: datetime, interval: timedelta | None) -> datetime | None:
    """The following patrol; None where the project would leave patrol (no interval)."""
    return at + interval if interval is not None else None


def per_week(interval: timedelta | None) -> float:
    if not interval or interval <= timedelta(0):
        return 0.0
    return WEEK / interval


def _per_inspector(load: dict[str, list[float]], inspectors: dict[str, list[str]]) -> list[dict]:
    rows = []
    for street in sorted(set(load) | set(inspectors)):
        before, after = load.get(street, (0.0, 0.0))
        # A street without inspectors still shows its load.
        names: list[str | None] = [*inspectors[street]] if inspectors.get(street) else [None]
        for name in names:
            rows.append(
                {
                    "street_code": street,
                    "inspector": name,
                    "per_week_before": round(before / len(names), 2),
                    "per_week_after": round(after / len(names), 2),
                }
            )
    return rows
