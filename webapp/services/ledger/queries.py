"""Read side: inbox, ledger and project detail, always scoped by the authorization policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import case, func, or_, select

from ...domain.engine import ProcessRunner
from ...persistence.models import HistoryEvent, InboxTask, ProcessInstance, ProcessVersion, Project, User, db
from ...persistence.step_store import InboxLike, ProjectLike
from ..designer.versions import bundle_for
from ..errors import NotFound
from ..oversight import kpi
from ..security import policy


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return (self.total + self.per_page - 1) // self.per_page


MAX_PAGE = 100_000  # beyond any list we show; a bigger page number would overflow the SQL offset


def page_of(query, page: int, per_page: int, row) -> Page:
    """One page of an ordered select, each result turned into a dict by `row`, and the total count."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return Page([row(r) for r in rows], total, page, per_page)


def task_row(task: InboxLike, now: datetime | None = None, project: ProjectLike | None = None) -> dict:
    """`project`: the task's project, if the caller has it."""
    now = now or datetime.now(timezone.utc)
    project = project if project is not None else task.project
    return {
        "id": task.id,
        "element_id": task.element_id,
        "title": task.title,
        "form_key": task.form_key,
        "role": task.role,
        "priority": task.priority,
        "due_at": task.due_at,
        "overdue": bool(task.due_at and task.due_at < now),
        "created_at": task.created_at,
        "project_id": task.project_id,
        "reg_no": project.reg_no,
        "project_title": project.title,
        "address": project.address,
        "stage": project.stage,
        "status": project.status,
        "street_code": task.street_code,
        "claimed_by_id": task.claimed_by_id,
        # An owner's step nobody has claimed yet: it waits for the owner side.
        "waiting_for": "待业主认领" if task.role == "owner" and task.owner_user_id is None else None,
    }


def inbox(user: User, *, page: int = 1, per_page: int = 50, filters: dict | None = None, team: bool = False) -> Page:
    """My tasks; `team=True`: the tasks a supervisor oversees (policy.team_task_filter)."""
    filters = filters or {}
    query = select(InboxTask).where(policy.team_task_filter(user) if team else policy.task_filter(user))
    if filters.get("claimed") == "mine":  # mine, and those of colleagues I stand in for
        query = query.where(InboxTask.claimed_by_id.in_([user.id, *policy.acting_for(user)]))
    elif filters.get("claimed") == "open":
        query = query.where(InboxTask.claimed_by_id.is_(None))
    if filters.get("form_key"):
        query = query.where(InboxTask.form_key == filters["form_key"])
    if filters.get("street"):
        query = query.where(InboxTask.street_code == filters["street"])
    if filters.get("overdue"):
        query = query.where(InboxTask.due_at < datetime.now(timezone.utc))
    if filters.get("stage") or filters.get("text"):
        query = query.join(Project, Project.id == InboxTask.project_id)
        if filters.get("stage"):
            query = query.where(Project.stage == filters["stage"])
        if filters.get("text"):
            like = f"%{filters['text']}%"
            query = query.where(or_(Project.reg_no.like(like), Project.address.like(like), Project.title.like(like)))
    ordered = (
        _due_first(query, page, per_page)
        if filters.get("sort") not in SORTS
        else list(
            db.session.scalars(query.order_by(*SORTS[filters["sort"]]).limit(per_page).offset((page - 1) * per_page))
        )
    )
    return Page([task_row(t) for t in ordered], _count(query), page, per_page)


# Inbox orders besides the default (soonest due first): most urgent first, or newest first.
_PRIORITY_RANK = case((InboxTask.priority == "high", 0), (InboxTask.priority == "low", 2), else_=1)
_UNDATED_LAST = case((InboxTask.due_at.is_(None), 1), else_=0)
SORTS = {
    "priority": (_PRIORITY_RANK, _UNDATED_LAST, InboxTask.due_at, InboxTask.created_at, InboxTask.id),
    "created": (InboxTask.created_at.desc(), InboxTask.id.desc()),
}


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.with_only_columns(InboxTask.id).subquery()))


def _due_first(query, page: int, per_page: int) -> list[InboxTask]:
    """One page of tasks, soonest due first, tasks without a due date last (on every database).

    Read as two index-ordered ranges — with a due date by (role, place, due_at), then the rest by
    creation — instead of one ORDER BY over an expression, which would sort the whole inbox of a
    busy street for every page.
    """
    offset = (page - 1) * per_page
    dated = query.where(InboxTask.due_at.isnot(None))
    rows = list(
        db.session.scalars(
            dated.order_by(InboxTask.due_at, InboxTask.created_at, InboxTask.id).limit(per_page).offset(offset)
        )
    )
    if len(rows) == per_page:
        return rows
    undated_offset = max(0, offset - _count(dated)) if not rows else 0
    undated = query.where(InboxTask.due_at.is_(None)).order_by(InboxTask.created_at, InboxTask.id)
    return rows + list(db.session.scalars(undated.limit(per_page - len(rows)).offset(undated_offset)))


def inbox_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(InboxTask).where(policy.task_filter(user)))


def task_cancellation(task_id: str) -> str | None:
    """Why a task was cancelled (the steps that took it away), or None if it was not."""
    data = db.session.scalar(
        select(HistoryEvent.data_json)
        .where(HistoryEvent.task_id == task_id, HistoryEvent.kind == "task_cancelled")
        .limit(1)
    )
    if data is None:
        return None
    return "、".join((json.loads(data) or {}).get("by") or []) or "流程已转入其他步骤"


def task_was_completed(task_id: str) -> bool:
    """True when this task id was completed (its inbox row is gone, its history stays)."""
    return db.session.scalar(select(HistoryEvent.id).where(HistoryEvent.task_id == task_id).limit(1)) is not None


def visible_task(user: User, task_id: str) -> InboxTask:
    task = db.session.get(InboxTask, task_id)
    if task is None or not (policy.can_do_task(user, task) or policy.can_see_project(user, task.project)):
        raise NotFound("no such task")
    return task


def project_row(project: Project) -> dict:
    return {c: getattr(project, c) for c in LEDGER_ROW_COLUMNS} | {
        "awaiting_owner_claim": project.owner_user_id is None and project.claim_code is not None
    }


# The KPI filters (services.oversight.kpi) let every dashboard figure open the ledger rows behind it.
LEDGER_FILTERS = ("stage", "status", "street", "text", "risk", "channel") + kpi.FILTERS


def ledger_query(
    user: User, *, stage=None, status=None, street=None, text=None, risk=None, channel=None, **kpi_filters
):
    """The select of projects in the user's jurisdiction matching the ledger filters (unordered)."""
    query = select(Project).where(policy.project_filter(user))
    if stage:
        query = query.where(Project.stage == stage)
    if status:
        query = query.where(Project.status == status)
    if street:
        query = query.where(Project.street_code == street)
    if risk:
        query = query.where(Project.risk_level == risk)
    if channel:
        query = query.where(Project.channel == channel)
    if text:
        like = f"%{text}%"
        query = query.where(or_(Project.reg_no.like(like), Project.title.like(like), Project.address.like(like)))
    for condition in kpi.conditions(user, kpi_filters):
        query = query.where(condition)
    return query


def ledger(user: User, *, page=1, per_page=50, **filters) -> Page:
    query = ledger_query(user, **filters)
    return page_of(query.order_by(Project.updated_at.desc(), Project.id.desc()), page, per_page, project_row)


# The ledger columns an export writes: rows of these, not ORM objects (a tenth of the cost per row).
EXPORT_COLUMNS = (
    "reg_no",
    "title",
    "channel",
    "object_type",
    "category",
    "address",
    "district_code",
    "street_code",
    "community_code",
    "stage",
    "status",
    "risk_level",
    "planned_start",
    "planned_end",
    "created_at",
    "updated_at",
    "closed_at",
)
# A ledger row (pages and API): the export's columns with the project's id and its live figures.
LEDGER_ROW_COLUMNS = ("id", *EXPORT_COLUMNS, "open_hazards", "next_patrol_at", "late_registration")


def ledger_export(user: User, **filters) -> tuple[int, Iterator]:
    """How many projects match, and an iterator of their export columns, newest change first.

    The filters are checked and counted now; the rows are read when the iterator is, on a
    connection of their own, in batches: a streamed response is written after its request (and
    its session) has ended, and an iterator never read opens no connection."""
    query = ledger_query(user, **filters)
    count = db.session.scalar(query.with_only_columns(func.count(), maintain_column_froms=True)) or 0
    columns = query.with_only_columns(*(Project.__table__.c[c] for c in EXPORT_COLUMNS))
    columns = columns.order_by(Project.updated_at.desc(), Project.id.desc())
    engine = db.engine

    def rows():
        with engine.connect() as connection:
            yield from connection.execution_options(yield_per=500).execute(columns)

    return count, rows()


def ledger_statuses(user: User) -> list[str]:
    """The statuses that occur in this user's jurisdiction (for the status filter)."""
    return [
        s
        for s in db.session.scalars(
            select(Project.status).where(policy.project_filter(user)).distinct().order_by(Project.status)
        )
        if s
    ]


def reported_by(user: User, *, page=1, per_page=20) -> Page:
    """Leads this user reported (a grid worker's own list)."""
    query = select(Project).where(Project.reporter_user_id == user.id, policy.project_filter(user))
    return page_of(query.order_by(Project.created_at.desc(), Project.id.desc()), page, per_page, project_row)


def visible_project(user: User, project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or not policy.can_see_project(user, project):
        raise NotFound("no such project")
    return project


def history(project: Project) -> list[dict]:
    rows = db.session.scalars(
        select(HistoryEvent).where(HistoryEvent.project_id == project.id).order_by(HistoryEvent.id)
    )
    return [
        {
            "at": h.at,
            "actor": h.actor_name,
            "kind": h.kind,
            "element_id": h.element_id,
            "title": h.title,
            "data": json.loads(h.data_json) if h.data_json else None,
        }
        for h in rows
    ]


def tasks_for_projects(user: User, project_ids) -> dict[int, list[dict]]:
    """This user's ready tasks on each of these projects (one query for a page of projects)."""
    ids = list(project_ids)
    out: dict[int, list[dict]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = db.session.scalars(
        select(InboxTask).where(InboxTask.project_id.in_(ids), policy.task_filter(user)).order_by(InboxTask.created_at)
    )
    for task in rows:
        out[task.project_id].append(task_row(task))
    return out


def project_tasks(project: Project) -> list[dict]:
    rows = db.session.scalars(
        select(InboxTask).where(InboxTask.project_id == project.id).order_by(InboxTask.created_at)
    )
    return [task_row(t) for t in rows]


def task_rows(project: ProjectLike, tasks: list[InboxLike]) -> list[dict]:
    """project_tasks for inbox rows the caller has (a completion's step wrote them), in the same order."""
    return [task_row(t, project=project) for t in sorted(tasks, key=lambda t: t.created_at)]


def project_data(project: Project) -> dict:
    """The instance's current facts (registration data, risk level, flags) for the detail page."""
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.project_id == project.id))
    if instance is None:
        return {}
    version = db.session.get(ProcessVersion, instance.version_id)
    data = ProcessRunner.load(bundle_for(version), instance.state).data()
    return {k: v for k, v in data.items() if not k.startswith("_")}


def upcoming_patrols(user: User, limit: int = 10) -> list[Project]:
    """The open projects in the user's reach whose next patrol falls due soonest (the inspector's plan)."""
    return list(
        db.session.scalars(
            select(Project)
            .where(policy.project_filter(user), Project.closed_at.is_(None), Project.next_patrol_at.is_not(None))
            .order_by(Project.next_patrol_at)
            .limit(limit)
        )
    )
