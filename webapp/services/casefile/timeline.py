"""The case file of a project, read from its history: timeline, patrols, hazards, notices, diagram.

Everything here is derived from `history_event` rows and the process version's own diagram
(element types, form keys), never from a Python list of task ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ...domain import figures
from ...domain.engine import properties
from ...persistence.models import HistoryEvent, InboxTask, ProcessInstance, ProcessVersion, Project, User, db
from ..designer import versions
from ..designer.versions import bundle_for
from ..ledger import queries
from ..security import policy

# System steps worth a line in the timeline; gateways, scripts and the start event are plumbing.
SHOWN_STEP_TYPES = ("BusinessRuleTask", "BoundaryEvent", "EndEvent", "IntermediateCatchEvent", "ReceiveTask")
# History kinds a person did (shown with their name and data); the rest are the system's steps.
HUMAN_KINDS = ("task_completed", "project_created", "entrusted", "advisory_log")
# What another system did (a worker's completion, a message): shown with the client's name and the
# data it sent, labelled by the element's form like a person's answer.
SENT_KINDS = {"external_task_completed": "variables", "message_received": "data"}


@dataclass
class Hazard:
    found_at: datetime
    found_by: str
    severity: str | None
    description: str | None
    outcome: str
    photos: list = field(default_factory=list)
    status: str = "open"  # open | evidence | overdue | stop_work | closed
    closed_at: datetime | None = None
    evidence: dict | None = None


def bundle_of(project: Project):
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.project_id == project.id))
    if instance is None:
        return None
    return bundle_for(db.session.get(ProcessVersion, instance.version_id))


def diagram_xml(project: Project) -> str | None:
    """The BPMN file of the version this project runs on (with its diagram layout)."""
    bundle = bundle_of(project)
    return bundle_diagram(bundle) if bundle is not None else None


def bundle_diagram(bundle) -> str | None:
    """The BPMN file of a bundle that holds its main process (with the diagram layout)."""
    marker = f'id="{bundle.process_id}"'
    names = sorted(n for n in bundle.files if n.endswith((".bpmn", ".bpmn20.xml")))
    for name in names:
        if marker in bundle.files[name]:
            return bundle.files[name]
    return bundle.files[names[0]] if names else None


def timeline(project: Project, bundle=None) -> list[dict]:
    """History rows worth showing, oldest first, each with its form key and the actor's name."""
    bundle = bundle if bundle is not None else bundle_of(project)
    rows = queries.history(project)
    names = _display_names({r["actor"] for r in rows})
    out = []
    for row in rows:
        spec = bundle.task_spec(row["element_id"]) if bundle is not None and row["element_id"] else None
        if row["kind"] == "step" and (spec is None or type(spec).__name__ not in SHOWN_STEP_TYPES):
            continue
        row = dict(row)
        props = properties(spec) if spec is not None else {}
        row["form_key"] = props.get("formKey")
        row["casefile"] = figures.names(props)[figures.CASEFILE]  # its part in a hazard's story
        if row["kind"] == "project_created":
            row["form_key"] = "lead" if project.channel == "lead" else "registration"
            row["data"] = (row["data"] or {}).get("lead") or row["data"]
        if row["kind"] in SENT_KINDS:
            row["data"] = (row["data"] or {}).get(SENT_KINDS[row["kind"]]) or {}
        row["actor_display"] = names.get(row["actor"], row["actor"])
        row["system"] = row["kind"] not in HUMAN_KINDS and row["kind"] not in SENT_KINDS
        out.append(row)
    return out


def markers(project: Project, rows: list[dict]) -> dict[str, list[str]]:
    """Element ids to mark on the diagram: done (from history) and current (ready tasks)."""
    current = list(db.session.scalars(select(InboxTask.element_id).where(InboxTask.project_id == project.id)))
    done = []
    for row in rows:
        if row.get("element_id") and row["element_id"] not in done:
            done.append(row["element_id"])
    return {"done": done, "current": current}


def human_events(rows: list[dict], element_id: str) -> list[dict]:
    return [r for r in rows if r["kind"] == "task_completed" and r["element_id"] == element_id]


def hazards(rows: list[dict]) -> list[Hazard]:
    """Hazards found on patrol and what became of each, in the order they were found."""
    found: list[Hazard] = []
    current: Hazard | None = None
    for row in rows:
        data = row.get("data") or {}
        roles = row.get("casefile") or set()
        if row["kind"] == "task_completed" and "hazard_check" in roles:
            outcome = data.get("outcome")
            if outcome in ("fixed_onsite", "rectify", "stop_now"):
                current = Hazard(
                    row["at"],
                    row.get("actor_display", row["actor"]),
                    data.get("hazard_severity"),
                    data.get("hazard_description"),
                    outcome,
                    list(data.get("photos") or []),
                )
                if outcome == "fixed_onsite":
                    current.status, current.closed_at = "closed", row["at"]
                elif outcome == "stop_now":
                    current.status = "stop_work"
                found.append(current)
            continue
        if current is None or current.status == "closed":
            continue
        done = row["kind"] == "task_completed"
        if "evidence" in roles and done:
            current.status, current.evidence = "evidence", data
        elif "overdue" in roles:
            current.status = "overdue"
        elif "reinspection" in roles and done:
            if data.get("outcome") == "passed":
                current.status, current.closed_at = "closed", row["at"]
            else:
                current.status = "stop_work"
        elif "stop_work_decision" in roles and done and data.get("approved") == "no":
            current.status, current.closed_at = "closed", row["at"]
        elif "work_resumed" in roles and done and data.get("resume") == "yes":
            current.status, current.closed_at = "closed", row["at"]
        elif "closed" in roles:
            current.status, current.closed_at = "closed", row["at"]
    return found


NOTICE_KINDS = ("rectification", "stop_work", "enforcement")
# The case-file roles (domain.figures) of the steps whose completion is an order to the owner.
NOTICE_ROLES = ("hazard_check", "stop_work_decision", "enforcement")


def notices(rows: list[dict]) -> list[dict]:
    """Orders the project's owner received: rectification orders, stop-work and enforcement decisions."""
    out = []
    for row in rows:
        if row["kind"] != "task_completed":
            continue
        data = row.get("data") or {}
        roles = row.get("casefile") or set()
        if "hazard_check" in roles and data.get("outcome") == "rectify":
            kind = "rectification"
        elif ("hazard_check" in roles and data.get("outcome") == "stop_now") or (
            "stop_work_decision" in roles and data.get("approved") == "yes"
        ):
            kind = "stop_work"
        elif "enforcement" in roles:
            kind = "enforcement"
        else:
            continue
        out.append(
            {
                "kind": kind,
                "at": row["at"],
                "by": row.get("actor_display", row["actor"]),
                "data": data,
                "element_id": row["element_id"],
            }
        )
    return out


def owner_notices(user: User, limit: int = 200) -> list[dict]:
    """Notices across all of an owner's projects (those the policy lets the owner see), newest
    first, with the project they concern."""
    tagged = versions.tagged(figures.CASEFILE)
    roles_of: dict[str, set[str]] = {}
    for role in NOTICE_ROLES:
        for element in tagged.get(role, ()):
            roles_of.setdefault(element, set()).add(role)
    elements = sorted(roles_of)
    rows = db.session.execute(
        select(HistoryEvent, Project)
        .join(Project, Project.id == HistoryEvent.project_id)
        .where(
            policy.project_filter(user),
            HistoryEvent.kind == "task_completed",
            HistoryEvent.element_id.in_(elements),
        )
        .order_by(HistoryEvent.id.desc())
        .limit(limit)
    ).all()
    names = _display_names({h.actor_name for h, _ in rows})
    out = []
    for event, project in rows:
        row = {
            "kind": event.kind,
            "element_id": event.element_id,
            "at": event.at,
            "actor": event.actor_name,
            "actor_display": names.get(event.actor_name, event.actor_name),
            "data": json.loads(event.data_json) if event.data_json else {},
            "casefile": roles_of.get(event.element_id, set()),
        }
        for notice in notices([row]):
            notice["project"] = project
            out.append(notice)
    return out


def _display_names(usernames) -> dict[str, str]:
    usernames = {u for u in usernames if u and u != "system"}
    if not usernames:
        return {}
    return dict(db.session.execute(select(User.username, User.display_name).where(User.username.in_(usernames))).all())
