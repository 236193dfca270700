"""Dashboard figures for street, district and city users, inside their own jurisdiction.

Every figure is a SQL aggregate over the projections (project, inbox_task, history_event, notice)
under policy.project_filter, and carries the ledger filters (services.oversight.kpi) that list the projects
it counts: {"value": 12, "filters": {"overdue": "1", "street": "350203001"}}.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Integer, and_, case, cast, distinct, func, select

from ...domain import hazards as hazard_records
from ...persistence.models import HistoryEvent, InboxTask, OrgUnit, Project, User, db
from ...persistence.oversight import PROJECT_SCAN, Hazard, Notice
from ..errors import Forbidden
from ..security import policy
from . import kpi

WEEKS = 8
# Rectification figures by the kpi property of the steps they count (domain.figures).
RECTIFICATION = {
    "ordered": "rectification_ordered",
    "on_time": "rectification_on_time",
    "overdue": "rectification_overdue",
}


def period(since: str | None = None, until: str | None = None, today: date | None = None) -> tuple[str, str]:
    """The reporting period as Beijing dates [since, until): default, this month up to today."""
    today = today or kpi.now().astimezone(kpi.CST).date()
    since = kpi.checked_day(since) if since else today.replace(day=1)
    until = kpi.checked_day(until) if until else today + timedelta(days=1)
    return since.isoformat(), until.isoformat()


def figure(value, **filters) -> dict:
    return {"value": int(value or 0), "filters": {k: str(v) for k, v in filters.items()}}


def build(user: User, since: str | None = None, until: str | None = None, street: str | None = None) -> dict:
    """The figures of the user's jurisdiction, or of one street inside it."""
    if not policy.can_view_dashboards(user):
        raise Forbidden("dashboards are for street, district and city users")
    at = kpi.now()
    since, until = period(since, until)
    mine, tasks, notices = policy.project_filter(user), policy.task_jurisdiction(user), policy.notice_jurisdiction(user)
    if street:
        mine, tasks = and_(mine, Project.street_code == street), and_(tasks, InboxTask.street_code == street)
        notices = and_(notices, Notice.street_code == street)
    scan = _project_scan(user, mine, at)
    registered, found, found_unregistered, late_registered = _registration_coverage(mine, scan)
    covered, due = (
        figure(scan["patrol"].get("covered"), patrol="covered"),
        figure(scan["patrol"].get("due"), patrol="due"),
    )
    rect = _per_event(None if policy.sees_every_project(user) and not street else mine, since, until)
    on_time, late = _writeoffs(user, notices, since, until)
    doc = {
        "scope": policy.dashboard_scope(user),
        "generated_at": at.isoformat(),
        "period": {"since": since, "until": until},
        "total": figure(scan["total"]),
        "by_stage": _ranked(scan["stage"], "stage"),
        "by_status": _ranked(scan["status"], "status"),
        "weekly": _weekly(mine, at),
        "coverage": {
            "registered": registered,
            "found": found,
            "rate": _rate(registered, found),
            "found_unregistered": found_unregistered,
            "late": late_registered,
        },
        "patrol": {"covered": covered, "due": due, "rate": _rate(covered, covered["value"] + due["value"])},
        "rectification": {**rect, "rate": _rate(rect["on_time"], rect["on_time"]["value"] + rect["overdue"]["value"])},
        "overdue": _overdue(tasks, at),
        "hazards": _hazards(mine, at),
        "enforcement": _notices(notices, ("stop_work", "handover"), since, until),
        "writeoff": {"on_time": on_time, "late": late, "rate": _rate(on_time, on_time["value"] + late["value"])},
    }
    if street:
        for fig in _figures(doc):
            fig["filters"]["street"] = street
    return doc


def _figures(node):
    if isinstance(node, dict):
        if "value" in node and "filters" in node:
            yield node
        for child in node.values():
            yield from _figures(child)
    elif isinstance(node, list):
        for child in node:
            yield from _figures(child)


def _rate(part: dict, whole) -> float | None:
    whole = whole["value"] if isinstance(whole, dict) else whole
    return round(part["value"] / whole, 4) if whole else None


def _project_scan(user: User, mine, at: datetime) -> dict:
    """Projects by stage and status (with how many are registered), then the patrol state of those
    under patrol: two aggregates that each read one index, with few groups, instead of one GROUP BY
    sorting every project by computed keys."""
    out = {"total": 0, "registered": 0, "lead_registered": 0, "late": 0, "stage": {}, "status": {}, "patrol": {}}
    # GROUP BY every column of ix_project_*status, in its order: the database counts along the index
    # without sorting and without an expression per project (half the time of counting registered,
    # lead and late projects with CASEs); the groups (a few per status) are added up here.
    for status, stage, category, channel, late, n in db.session.execute(
        select(*PROJECT_SCAN, func.count()).where(mine).group_by(*PROJECT_SCAN)
    ):
        registered = kpi.is_registered(category)
        out["total"] += n
        out["registered"] += n if registered else 0
        out["lead_registered"] += n if registered and channel == "lead" else 0
        out["late"] += n if late else 0
        for key, value in (("stage", stage), ("status", status)):
            if value is not None:
                out[key][value] = out[key].get(value, 0) + n
    # 1 visited in time, 0 not, NULL neither (no rules for its district): covered + due = count().
    # A street user's streets lie in their district: naming it lets ix_project_patrol seek the street
    # (district, then street) instead of reading every open project of the city.
    recent = cast(kpi.patrolled_recently(user, at), Integer)
    district = user.org_unit.district_code if policy.district_bound(user) else None
    covered, judged = db.session.execute(
        select(func.sum(recent), func.count(recent)).where(
            mine, kpi.under_patrol(), *([Project.district_code == district] if district else [])
        )
    ).one()
    out["patrol"] = {"covered": covered or 0, "due": judged - (covered or 0)}
    return out


def _ranked(counts: dict, name: str) -> list[dict]:
    return [dict(figure(n, **{name: key}), key=key) for key, n in sorted(counts.items(), key=lambda kv: -kv[1])]


def _weekly(mine, at: datetime) -> list[dict]:
    """Registrations and leads per week (Monday to Sunday, Beijing time), the last WEEKS weeks,
    counted per week in SQL (whole weeks since the first Monday: arithmetic, no date per row)."""
    today = at.astimezone(kpi.CST).date()
    first = today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))
    start = kpi.day_start(first)
    week = kpi.weeks_since(Project.created_at, start)
    counts = {
        (channel, int(n_week)): n
        for channel, n_week, n in db.session.execute(
            select(Project.channel, week, func.count())
            .where(mine, Project.created_at >= start)
            .group_by(Project.channel, week)
        )
    }
    out = []
    for i in range(WEEKS):
        a, b = first + timedelta(days=7 * i), first + timedelta(days=7 * (i + 1))
        span = {"created_from": a.isoformat(), "created_to": b.isoformat()}
        out.append(
            {
                "week": a.isoformat(),
                "registrations": figure(counts.get(("owner", i)), channel="owner", **span),
                "leads": figure(counts.get(("lead", i)), channel="lead", **span),
            }
        )
    return out


def _registration_coverage(mine, scan: dict) -> tuple[dict, dict, dict, dict]:
    """纳管率: registered projects over the sites found (registered, or found unregistered on site).
    Beside it, apart: the sites a lead, a patrol or a public report found unregistered (registered on
    site since, or waiting), and the registrations marked 补登记 — a rate of 100% says nothing of how
    the sites came to be registered."""
    # The sites waiting for their registration, from the inbox side (few rows, ix_inbox_form_project);
    # a lead counts as found unregistered when registered since (the scan) or waiting.
    waiting, leads_waiting = db.session.execute(
        select(func.count(distinct(Project.id)), func.count(distinct(case((Project.channel == "lead", Project.id)))))
        .select_from(InboxTask)
        .join(Project, Project.id == InboxTask.project_id)
        .where(mine, InboxTask.form_key == "registration", ~kpi.registered())
    ).one()
    return (
        figure(scan["registered"], registered=1),
        figure(scan["registered"] + waiting, found=1),
        figure(scan["lead_registered"] + leads_waiting, channel="lead", found=1),
        figure(scan["late"], late=1),
    )


def _hazards(mine, at: datetime) -> dict:
    """Projects with a hazard of each figure, counted from the hazard side: only projects with live
    hazards are read, not every project of the jurisdiction."""
    counts = db.session.execute(
        select(
            *(func.count(distinct(case((kpi.hazard_row(kind, at), Hazard.project_id)))) for kind in kpi.HAZARD_FIGURES)
        )
        .select_from(Hazard)
        .join(Project, Project.id == Hazard.project_id)
        .where(mine, Hazard.status.in_(hazard_records.LIVE))
    ).one()
    return {kind: figure(n, hazard=kind) for kind, n in zip(kpi.HAZARD_FIGURES, counts)}


def _per_event(mine, since: str, until: str) -> dict:
    """Projects with each rectification step in the period, counted from the history side (`mine`
    None: the whole city, whose history rows need no project to be read)."""
    figure_of = {element: name for name in RECTIFICATION.values() for element in kpi.elements(name)}
    rows: dict[str, int] = {}
    if figure_of:
        counted = case(figure_of, value=HistoryEvent.element_id)
        query = (
            select(counted, func.count(distinct(HistoryEvent.project_id)))
            .where(
                HistoryEvent.element_id.in_(list(figure_of)),
                HistoryEvent.at >= kpi.day_start(since),
                HistoryEvent.at < kpi.day_start(until),
            )
            .group_by(counted)
        )
        if mine is not None:
            query = query.join(Project, Project.id == HistoryEvent.project_id).where(mine)
        rows = dict(db.session.execute(query).all())
    return {
        name: figure(rows.get(kpi_name), event=kpi_name, since=since, until=until)
        for name, kpi_name in RECTIFICATION.items()
    }


def _notices(notices, kinds, since: str, until: str) -> dict:
    """Projects with a notice of each kind issued in the period, counted from the notices alone
    (`notices`: policy.notice_jurisdiction), read from one index."""
    rows = dict(
        db.session.execute(
            select(Notice.kind, func.count(distinct(Notice.project_id)))
            .where(notices, Notice.kind.in_(kinds), *_issued_in(since, until))
            .group_by(Notice.kind)
        ).all()
    )
    return {kind: figure(rows.get(kind), notice=kind, since=since, until=until) for kind in kinds}


def _issued_in(since: str, until: str) -> tuple:
    return Notice.issued_at >= kpi.day_start(since), Notice.issued_at < kpi.day_start(until)


def _writeoffs(user: User, notices, since: str, until: str) -> tuple[dict, dict]:
    """Projects written off in the period, in time or late, counted from the notices alone: the
    in-time test (a date per row) is made once per notice, as the group it falls in (NULL, no
    planned end: in neither)."""
    in_time = cast(kpi.writeoff_in_time(user), Integer)
    counts = dict(
        db.session.execute(
            select(in_time, func.count(distinct(Notice.project_id)))
            .where(notices, Notice.kind == "writeoff", *_issued_in(since, until))
            .group_by(in_time)
        ).all()
    )
    return (
        figure(counts.get(1), writeoff="on_time", since=since, until=until),
        figure(counts.get(0), writeoff="late", since=since, until=until),
    )


def _overdue(tasks, at: datetime) -> dict:
    """Projects with a ready task past due: in all, per street, per person who claimed the task
    (a project with tasks claimed by two people counts once in all and per street, once for each).
    Counted from the inbox rows alone (`tasks`: policy.task_jurisdiction), read from one index."""
    overdue = (InboxTask.due_at < at, tasks)
    streets = dict(
        db.session.execute(
            select(InboxTask.street_code, func.count(distinct(InboxTask.project_id)))
            .where(*overdue)
            .group_by(InboxTask.street_code)
        ).all()
    )
    people = dict(
        db.session.execute(
            select(InboxTask.claimed_by_id, func.count(distinct(InboxTask.project_id)))
            .where(*overdue)
            .group_by(InboxTask.claimed_by_id)
        ).all()
    )
    names = _names(list(streets), list(people))

    def ranked(groups):
        return sorted(groups.items(), key=lambda kv: -kv[1])

    return {
        "total": figure(sum(streets.values()), overdue=1),
        "by_street": [dict(figure(n, overdue=1, street=s), key=s, label=names.get(s, s)) for s, n in ranked(streets)],
        "by_assignee": [
            dict(figure(n, overdue=1, assignee=u if u is not None else "none"), key=u, label=names.get(u))
            for u, n in ranked(people)
        ],
    }


def _names(street_codes, user_ids) -> dict:
    out = dict(db.session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(street_codes))).all())
    ids = [u for u in user_ids if u is not None]
    if ids:
        out.update(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
    return out
