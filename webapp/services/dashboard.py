"""Dashboard figures for street, district and city users, inside their own jurisdiction.

Every figure is a SQL aggregate over the projections (project, inbox_task, history_event, notice)
under policy.project_filter, and carries the ledger filters (services.kpi) that list the projects
it counts: {"value": 12, "filters": {"overdue": "1", "street": "350203001"}}.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import case, distinct, func, select

from ..persistence.models import HistoryEvent, InboxTask, OrgUnit, Project, User, db
from ..persistence.oversight import Notice
from . import kpi, policy
from .errors import Forbidden

SCOPES = ("street", "district", "city")
WEEKS = 8
RECTIFICATION = {"ordered": "set_deadline", "on_time": "submit_evidence", "overdue": "deadline_passed"}


def can_view(user: User) -> bool:
    return policy.scope_of(user) in SCOPES


def period(since: str | None = None, until: str | None = None, today: date | None = None) -> tuple[str, str]:
    """The reporting period as Beijing dates [since, until): default, this month up to today."""
    today = today or kpi.now().astimezone(kpi.CST).date()
    since = date.fromisoformat(since) if since else today.replace(day=1)
    until = date.fromisoformat(until) if until else today + timedelta(days=1)
    return since.isoformat(), until.isoformat()


def figure(value, **filters) -> dict:
    return {"value": int(value or 0), "filters": {k: str(v) for k, v in filters.items()}}


def build(user: User, since: str | None = None, until: str | None = None) -> dict:
    if not can_view(user):
        raise Forbidden("dashboards are for street, district and city users")
    at = kpi.now()
    since, until = period(since, until)
    mine = policy.project_filter(user)
    registered, found = _registration_coverage(mine)
    covered, due = _patrol(user, mine, at)
    rect = _per_event(mine, since, until)
    on_time, late = _writeoffs(user, mine, since, until)
    return {
        "scope": _scope(user),
        "generated_at": at.isoformat(),
        "period": {"since": since, "until": until},
        "total": figure(_count(mine)),
        "by_stage": _grouped(mine, Project.stage, "stage"),
        "by_status": _grouped(mine, Project.status, "status"),
        "weekly": _weekly(mine, at),
        "coverage": {"registered": registered, "found": found, "rate": _rate(registered, found)},
        "patrol": {"covered": covered, "due": due, "rate": _rate(covered, covered["value"] + due["value"])},
        "rectification": {**rect, "rate": _rate(rect["on_time"], rect["on_time"]["value"] + rect["overdue"]["value"])},
        "overdue": _overdue(mine, at),
        "enforcement": {kind: _notices(mine, kind, since, until) for kind in ("stop_work", "handover")},
        "writeoff": {"on_time": on_time, "late": late, "rate": _rate(on_time, on_time["value"] + late["value"])},
    }


def _rate(part: dict, whole) -> float | None:
    whole = whole["value"] if isinstance(whole, dict) else whole
    return round(part["value"] / whole, 4) if whole else None


def _count(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(Project).where(*where))


def _grouped(mine, column, name: str) -> list[dict]:
    rows = db.session.execute(select(column, func.count()).where(mine, column.is_not(None))
                              .group_by(column).order_by(func.count().desc()))
    return [dict(figure(n, **{name: key}), key=key) for key, n in rows]


def _weekly(mine, at: datetime) -> list[dict]:
    """Registrations and leads per week (Monday to Sunday, Beijing time), the last WEEKS weeks."""
    today = at.astimezone(kpi.CST).date()
    first = today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))
    weeks = [(first + timedelta(days=7 * i), first + timedelta(days=7 * (i + 1))) for i in range(WEEKS)]
    sums = [func.sum(case(((Project.created_at >= kpi.day_start(a)) & (Project.created_at < kpi.day_start(b)), 1),
                          else_=0)) for a, b in weeks]
    rows = {channel: counts for channel, *counts in db.session.execute(
        select(Project.channel, *sums).where(mine, Project.created_at >= kpi.day_start(first)).group_by(Project.channel))}
    out = []
    for i, (a, b) in enumerate(weeks):
        span = {"created_from": a.isoformat(), "created_to": b.isoformat()}
        out.append({"week": a.isoformat(),
                    "registrations": figure((rows.get("owner") or [0] * WEEKS)[i], channel="owner", **span),
                    "leads": figure((rows.get("lead") or [0] * WEEKS)[i], channel="lead", **span)})
    return out


def _registration_coverage(mine) -> tuple[dict, dict]:
    """纳管率: registered projects over the sites found (registered, or found unregistered on site)."""
    registered, found = db.session.execute(select(
        func.sum(case((kpi.registered(), 1), else_=0)), func.sum(case((kpi.found(), 1), else_=0))).where(mine)).one()
    return figure(registered, registered=1), figure(found, found=1)


def _patrol(user: User, mine, at: datetime) -> tuple[dict, dict]:
    covered, due = db.session.execute(select(
        func.sum(case((kpi.patrol(user, True, at), 1), else_=0)),
        func.sum(case((kpi.patrol(user, False, at), 1), else_=0))).where(mine, kpi.under_patrol())).one()
    return figure(covered, patrol="covered"), figure(due, patrol="due")


def _per_event(mine, since: str, until: str) -> dict:
    """Projects with each rectification step in the period, counted from the history side."""
    elements = list(RECTIFICATION.values())
    rows = dict(db.session.execute(
        select(HistoryEvent.element_id, func.count(distinct(Project.id)))
        .join(Project, Project.id == HistoryEvent.project_id)
        .where(mine, HistoryEvent.element_id.in_(elements), HistoryEvent.at >= kpi.day_start(since),
               HistoryEvent.at < kpi.day_start(until))
        .group_by(HistoryEvent.element_id)).all())
    return {name: figure(rows.get(element), event=element, since=since, until=until)
            for name, element in RECTIFICATION.items()}


def _notices(mine, kind: str, since: str, until: str) -> dict:
    n = db.session.scalar(
        select(func.count(distinct(Project.id))).select_from(Notice).join(Project, Project.id == Notice.project_id)
        .where(mine, Notice.kind == kind, Notice.issued_at >= kpi.day_start(since), Notice.issued_at < kpi.day_start(until)))
    return figure(n, notice=kind, since=since, until=until)


def _writeoffs(user: User, mine, since: str, until: str) -> tuple[dict, dict]:
    on_time, late = db.session.execute(select(
        func.sum(case((kpi.writeoff(user, True, since, until), 1), else_=0)),
        func.sum(case((kpi.writeoff(user, False, since, until), 1), else_=0)))
        .where(mine, kpi.notice("writeoff", since, until))).one()
    return (figure(on_time, writeoff="on_time", since=since, until=until),
            figure(late, writeoff="late", since=since, until=until))


def _overdue(mine, at: datetime) -> dict:
    """Projects with a ready task past due: in all, per street, per person who claimed the task."""
    late = (InboxTask.project_id == Project.id) & (InboxTask.due_at < at)
    total = db.session.scalar(select(func.count(distinct(Project.id))).select_from(Project).join(InboxTask, late)
                              .where(mine))
    streets = db.session.execute(
        select(Project.street_code, func.count(distinct(Project.id))).select_from(Project).join(InboxTask, late)
        .where(mine).group_by(Project.street_code).order_by(func.count(distinct(Project.id)).desc())).all()
    people = db.session.execute(
        select(InboxTask.claimed_by_id, func.count(distinct(Project.id))).select_from(Project).join(InboxTask, late)
        .where(mine).group_by(InboxTask.claimed_by_id).order_by(func.count(distinct(Project.id)).desc())).all()
    names = _names([s for s, _ in streets], [u for u, _ in people])
    return {
        "total": figure(total, overdue=1),
        "by_street": [dict(figure(n, overdue=1, street=s), key=s, label=names.get(s, s)) for s, n in streets],
        "by_assignee": [dict(figure(n, overdue=1, assignee=u if u is not None else "none"),
                             key=u, label=names.get(u)) for u, n in people],
    }


def _names(street_codes, user_ids) -> dict:
    out = dict(db.session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(street_codes))).all())
    ids = [u for u in user_ids if u is not None]
    if ids:
        out.update(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
    return out


def _scope(user: User) -> dict:
    unit = user.org_unit
    return {"kind": policy.scope_of(user), "code": unit.code, "name": unit.name}
