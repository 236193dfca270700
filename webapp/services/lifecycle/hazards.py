"""Hazards as records: what a step marked with the BPMN property `hazards` does to them.

The diagram says which step does what (`hazards` = record | deadline | evidence | reinspect |
resume | require_closed); webapp.domain.hazards says how. A human step is checked before the
engine runs it (a 不合格 item cannot conclude 无隐患, a re-inspection judges every open hazard, a
write-off waits for every hazard to be closed), and its changes are applied in the same
transaction; the facts the diagram's gateways read (`open_hazards`, `failed_items`) are added to
the step's data. An automatic step (`deadline`) is applied as its event is recorded.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import func, select

from ...domain import hazards as domain
from ...domain.engine import properties
from ...domain.workdays import XIAMEN
from ...persistence.models import db, utcnow
from ...persistence.oversight import Hazard
from ..errors import ValidationFailed


def action_of(bundle, element_id: str | None) -> str | None:
    spec = bundle.task_spec(element_id) if element_id else None
    return properties(spec).get("hazards") if spec is not None else None


class Book:
    """The hazards of one project during one service call (loaded once, changed in place)."""

    def __init__(self, project_id: int):
        self.project_id = project_id
        self.rows = list(db.session.scalars(select(Hazard).where(Hazard.project_id == project_id).order_by(Hazard.id)))
        self.added: set[str] = set()  # refs recorded during this call

    def live(self) -> list[Hazard]:
        return [h for h in self.rows if h.status in domain.LIVE]

    def live_dicts(self) -> list[dict]:
        return [as_dict(h) for h in self.live()]

    def open_count(self) -> int:
        return len(self.live())

    def add(self, finding: dict, *, actor: str, element: str, deadline: datetime | None, status: str, note: str):
        now = utcnow()
        row = Hazard(
            project_id=self.project_id,
            ref=f"H{len(self.rows) + 1}",
            item_code=finding["item_code"],
            item_text=finding["item_text"][:300],
            severity=finding["severity"],
            description=finding["description"],
            photos_json=json.dumps(finding["photos"]),
            location=finding.get("location"),
            found_by=actor,
            found_at=now,
            found_in=element,
            deadline_at=deadline,
            status=status,
            extensions=0,
            closed_at=now if status == domain.CLOSED else None,
            history_json="[]",
        )
        _log(row, actor, status, note)
        db.session.add(row)
        self.rows.append(row)
        self.added.add(row.ref)
        return row


def _log(row: Hazard, actor: str, status: str, note: str, **extra) -> None:
    history = json.loads(row.history_json or "[]")
    history.append(dict({"at": utcnow().isoformat(), "actor": actor, "status": status, "note": note}, **extra))
    row.history_json = json.dumps(history, ensure_ascii=False)
    row.status = status
    if status == domain.CLOSED:
        row.closed_at = utcnow()


def as_dict(row: Hazard) -> dict:
    return {
        "ref": row.ref,
        "item_code": row.item_code,
        "item_text": row.item_text,
        "severity": row.severity,
        "severity_label": domain.SEVERITY_ZH.get(row.severity, row.severity),
        "description": row.description,
        "photos": json.loads(row.photos_json or "[]"),
        "location": row.location,
        "found_by": row.found_by,
        "found_at": row.found_at,
        "found_in": row.found_in,
        "deadline_at": row.deadline_at,
        "status": row.status,
        "status_label": domain.STATUS_ZH.get(row.status, row.status),
        "extensions": row.extensions,
        "closed_at": row.closed_at,
        "history": json.loads(row.history_json or "[]"),
    }


# -- human steps ---------------------------------------------------------------------------------
def before_completion(
    action: str | None, book_for, *, actor: str, element: str, clean: dict, facts: dict, items: list[dict], rule
) -> dict:
    """Check a human step's hazard rules, apply its changes; returns the facts to add to its data.
    `book_for()` loads the project's hazards (only steps that touch them pay the query)."""
    if action is None:
        return {}
    book = book_for()
    live = book.live_dicts()
    if action == "record":
        errors = domain.finding_errors(clean, items)
        errors.update(
            domain.deadline_errors(clean.get("rectify_deadline"), facts.get("rectify_deadline_latest"), _today())
        )
        _refuse(errors)
        chosen = _proposed_deadline(clean, items, facts)
        _record(book, dict(clean, **chosen), items, actor=actor, element=element)
        return dict(chosen, open_hazards=book.open_count(), failed_items=domain.failed_items(clean.get("checklist")))
    elif action == "evidence":
        for row in book.live():
            if row.status != domain.EVIDENCE:
                _log(row, actor, domain.EVIDENCE, clean.get("measures_taken") or "", photos=clean.get("photos") or [])
    elif action == "reinspect":
        _refuse(
            domain.reinspection_errors(
                clean,
                live,
                remote_severities=rule("remote_reinspection_severities", ["GENERAL"]),
                max_extensions=int(rule("rectify_max_extensions", 1)),
            )
        )
        _refuse(
            domain.deadline_errors(
                clean.get("rectify_deadline") if clean.get("failed_action") == "extend" else None,
                facts.get("rectify_deadline_latest"),
                _today(),
            )
        )
        _judge(book, clean, actor)
    elif action == "resume":
        _refuse(domain.resume_errors(clean, live))
        _judge(book, clean, actor)
    elif action == "require_closed":
        _refuse(
            domain.writeoff_errors(
                clean, live, bool(facts.get("stop_work_open")), bool(facts.get("enforcement_pending"))
            )
        )
    return {"open_hazards": book.open_count(), "failed_items": domain.failed_items(clean.get("checklist"))}


def _proposed_deadline(clean: dict, items: list[dict], facts: dict) -> dict:
    """Left empty, an order's deadline is the decision's proposal for its most severe hazard."""
    if clean.get("outcome") != "rectify" or clean.get("rectify_deadline"):
        return {}
    major = any(f["severity"] == "MAJOR" for f in domain.findings(clean, items))
    if major and facts.get("rectify_deadline_major"):
        return {
            "rectify_deadline": facts["rectify_deadline_major"],
            "rectify_within": facts.get("rectify_within_major"),
        }
    return {"rectify_deadline": facts.get("rectify_deadline"), "rectify_within": facts.get("rectify_within")}


def _refuse(errors: dict) -> None:
    if errors:
        raise ValidationFailed(errors)


def _today() -> date:
    return utcnow().astimezone(XIAMEN).date()


def _record(book: Book, clean: dict, items: list[dict], *, actor: str, element: str) -> None:
    outcome = clean.get("outcome")
    status = domain.CLOSED if outcome == domain.FIXED_ONSITE else domain.OPEN
    note = {"fixed_onsite": "现场整改，当场销号", "rectify": "责令限期整改", "stop_now": "重大隐患，拟责令停工"}.get(
        outcome, ""
    )
    deadline = _end_of(clean.get("rectify_deadline")) if outcome == "rectify" else None
    for finding in domain.findings(clean, items):
        book.add(finding, actor=actor, element=element, deadline=deadline, status=status, note=note)


def _judge(book: Book, clean: dict, actor: str) -> None:
    results = clean.get("hazard_results") or {}
    for row in book.live():
        result = results.get(row.ref)
        if result == "passed":
            _log(row, actor, domain.CLOSED, clean.get("note") or "复查合格，隐患销号", method=clean.get("method"))
        elif result == "failed":
            _log(row, actor, domain.FAILED, clean.get("note") or "复查不合格", method=clean.get("method"))


def _end_of(chosen) -> datetime | None:
    if not chosen:
        return None
    from ...domain.deadlines import deadline_at

    return datetime.fromisoformat(deadline_at(chosen))


# -- automatic steps -----------------------------------------------------------------------------
def after_steps(project, bundle, events, data: dict, book: Book | None) -> Book | None:
    """A rectification order (`deadline`) gives every open or failed hazard its deadline; a failed
    one starts its next round (an extension). Returns the book if any hazard was touched."""
    for event in events:
        if action_of(bundle, event.name) != "deadline" or not data.get("rectify_due_at"):
            continue
        book = book or Book(project.id)
        due = datetime.fromisoformat(data["rectify_due_at"])
        for row in book.live():
            extended = row.status == domain.FAILED
            if extended:
                row.extensions = (row.extensions or 0) + 1
            if row.ref in book.added:
                row.deadline_at = due  # recorded by this very order: its exact moment, not a new round
                continue
            row.deadline_at = due
            _log(row, "system", domain.OPEN, "延期整改" if extended else "责令限期整改", deadline=due.isoformat())
    return book


# -- reading -------------------------------------------------------------------------------------
def for_project(project_id: int) -> list[dict]:
    return [
        as_dict(h)
        for h in db.session.scalars(select(Hazard).where(Hazard.project_id == project_id).order_by(Hazard.id))
    ]


def live_for_project(project_id: int) -> list[dict]:
    return [
        as_dict(h)
        for h in db.session.scalars(
            select(Hazard).where(Hazard.project_id == project_id, Hazard.status.in_(domain.LIVE)).order_by(Hazard.id)
        )
    ]


def open_count(project_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Hazard.id)).where(Hazard.project_id == project_id, Hazard.status.in_(domain.LIVE))
        )
        or 0
    )
