"""The process diagram as a heatmap: per element, how many projects wait there now, how long they
have waited (median), and how long the step took when done (median over recent completions).

Waiting comes from the inbox (one row per ready human task); time spent from the history: a
completed task took from the step before it in the same project to its own completion.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from ...persistence.models import HistoryEvent, InboxTask, OrgUnit, Project, User, UTCDateTime, db
from ..casefile.timeline import bundle_diagram
from ..designer.versions import bundle_for, latest_version
from ..errors import Forbidden, NotFound
from ..security import policy

RECENT = timedelta(days=90)  # completions the "time spent" median is taken over


def districts_for(user: User) -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).where(policy.district_filter(user)).order_by(OrgUnit.code)))


def build(user: User, district: str | None = None) -> dict:
    """{"xml": BPMN, "district": code, "elements": {element id: {waiting, waiting_hours, spent_hours, done}}}."""
    if not policy.can_view_dashboards(user):
        raise Forbidden("the diagram heatmap is for street, district and city users")
    allowed = [d.code for d in districts_for(user)]
    district = district or (allowed[0] if allowed else None)
    if district not in allowed:
        raise NotFound("no such district in your jurisdiction")
    now = datetime.now(timezone.utc)
    scope = (policy.project_filter(user), Project.district_code == district)
    elements: dict[str, dict] = {}
    waiting = db.session.execute(
        select(InboxTask.element_id, InboxTask.created_at)
        .join(Project, Project.id == InboxTask.project_id)
        .where(*scope)
    )
    ages: dict[str, list[float]] = {}
    for element, created in waiting:
        ages.setdefault(element, []).append((now - created).total_seconds() / 3600)
    for element, hours in ages.items():
        elements[element] = {"waiting": len(hours), "waiting_hours": round(statistics.median(hours), 1)}
    for element, hours in _time_spent(scope, now - RECENT).items():
        row = elements.setdefault(element, {"waiting": 0, "waiting_hours": None})
        row.update(spent_hours=round(statistics.median(hours), 1), done=len(hours))
    bundle = bundle_for(latest_version())
    for element, row in elements.items():
        spec = bundle.task_spec(element)
        row["name"] = (getattr(spec, "bpmn_name", None) or element) if spec is not None else element
    return {"xml": bundle_diagram(bundle), "district": district, "elements": elements}


def _time_spent(scope, since: datetime) -> dict[str, list[float]]:
    """Hours from the previous history row of the project to each task completion since `since`."""
    previous = func.lag(HistoryEvent.at, type_=UTCDateTime()).over(
        partition_by=HistoryEvent.project_id, order_by=HistoryEvent.id
    )
    steps = (
        select(HistoryEvent.element_id, HistoryEvent.kind, HistoryEvent.at, previous.label("before"))
        .join(Project, Project.id == HistoryEvent.project_id)
        .where(*scope)
        .subquery()
    )
    rows = db.session.execute(
        select(steps.c.element_id, steps.c.at, steps.c.before).where(
            steps.c.kind == "task_completed", steps.c.at >= since, steps.c.before.is_not(None)
        )
    )
    out: dict[str, list[float]] = {}
    for element, at, before in rows:
        out.setdefault(element, []).append(max((at - before).total_seconds(), 0) / 3600)
    return out
