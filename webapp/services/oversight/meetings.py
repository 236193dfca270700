"""Joint meetings (会商研判): the agenda of difficult cases per district and period, and the
decisions taken on each, kept in the project's history (kind `meeting_decision`).

A case is on the agenda when, in the period, (a) a hand-over to enforcement is past its feedback
deadline, (b) the street disagreed with its inspector's stop-work proposal (approval refused), or
(c) the project was ordered to rectify or stop more than once (repeated violations).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import func, select

from ...domain.engine import properties
from ...persistence.models import HistoryEvent, InboxTask, Project, User, db
from ...persistence.oversight import Notice
from ..casefile import history_rows
from ..designer.versions import bundle_for, latest_version
from ..errors import Forbidden, NotFound, ValidationFailed
from ..security import policy
from . import dashboard, kpi

REASONS = {
    "handover_overdue": ("移交执法逾期未反馈", "Hand-over past its feedback deadline"),
    "disputed": ("停工建议未获批准（存在争议）", "Stop-work proposal refused (disputed)"),
    "repeated": ("多次被责令整改或停工", "Ordered to rectify or stop more than once"),
}
ORDER_KINDS = ("rectification", "stop_work")


def case_tasks() -> list[str]:
    """The receiving departments' tasks on a handed-over case: those the diagram marks `enforcementCase`
    (acknowledgement within P-17a, decision within P-17b) in the newest version, and the steps any
    version marks kpi="handover"."""
    marked = {
        spec.bpmn_id
        for spec in bundle_for(latest_version()).user_task_specs()
        if properties(spec).get("enforcementCase")
    }
    return sorted(marked | set(kpi.elements("handover")))


def agenda(user: User, since: str | None = None, until: str | None = None) -> dict:
    if not policy.holds_meetings(user):
        raise Forbidden("joint meetings are held by the district")
    since, until = dashboard.period(since, until)
    start, end = kpi.day_start(since), kpi.day_start(until)
    mine = policy.project_filter(user)
    reasons: dict[int, list[str]] = {}

    def add(ids, reason):
        for pid in ids:
            reasons.setdefault(pid, []).append(reason)

    add(
        db.session.scalars(
            select(InboxTask.project_id)
            .join(Project, Project.id == InboxTask.project_id)
            .where(mine, InboxTask.element_id.in_(case_tasks()), InboxTask.due_at < datetime.now(timezone.utc))
            .distinct()
        ),
        "handover_overdue",
    )
    refused = db.session.execute(
        select(HistoryEvent.project_id, HistoryEvent.data_json)
        .join(Project, Project.id == HistoryEvent.project_id)
        .where(
            mine,
            HistoryEvent.kind == "task_completed",
            HistoryEvent.element_id.in_(kpi.elements("stop_work_approval")),
            HistoryEvent.at >= start,
            HistoryEvent.at < end,
        )
    )
    add(sorted({pid for pid, data in refused if json.loads(data or "{}").get("approved") == "no"}), "disputed")
    add(
        db.session.scalars(
            select(Notice.project_id)
            .join(Project, Project.id == Notice.project_id)
            .where(mine, Notice.kind.in_(ORDER_KINDS), Notice.issued_at >= start, Notice.issued_at < end)
            .group_by(Notice.project_id)
            .having(func.count() > 1)
        ),
        "repeated",
    )
    projects = {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(list(reasons))))}
    decisions = _decisions(list(reasons))
    items = [
        {"project": projects[pid], "reasons": reasons[pid], "decisions": decisions.get(pid, [])}
        for pid in sorted(reasons, key=lambda p: (projects[p].district_code, projects[p].street_code, p))
    ]
    return {"since": since, "until": until, "items": items}


def decide(user: User, project_id: int, decision: str, since: str, until: str, ip: str | None = None) -> None:
    """Record the meeting's decision on a case in the project's history."""
    if not policy.can_decide_meetings(user):
        raise Forbidden("only the district's administrators record meeting decisions")
    project = db.session.get(Project, project_id)
    if project is None or not policy.can_see_project(user, project):
        raise NotFound("no such project")
    decision = (decision or "").strip()
    if not decision or len(decision) > 2000:
        raise ValidationFailed({"decision": "请填写会商决定（最多 2000 字）"})
    history_rows.add(
        project.id, user, "meeting_decision", None, "会商研判决定", {"decision": decision, "period": [since, until]}, ip
    )
    db.session.commit()


def _decisions(project_ids) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    if not project_ids:
        return out
    rows = db.session.scalars(
        select(HistoryEvent)
        .where(HistoryEvent.project_id.in_(project_ids), HistoryEvent.kind == "meeting_decision")
        .order_by(HistoryEvent.id)
    )
    names = dict(db.session.execute(select(User.username, User.display_name)).all())
    for row in rows:
        data = json.loads(row.data_json or "{}")
        out.setdefault(row.project_id, []).append(
            {"at": row.at, "by": names.get(row.actor_name, row.actor_name), "decision": data.get("decision")}
        )
    return out
