"""External tasks: service tasks of the diagram that wait for a worker of another system.

A worker (role `integration`, its token scoped to topics) fetches and locks tasks of its topics,
does the work in its own system and completes them with variables (checked by the form the
element names), or reports a failure: with retries left the task waits `retry_timeout` seconds
before it can be fetched again; at 0 retries it is an incident an operator sees (/ops/incidents)
and can put back. A lock is one UPDATE over free rows (FOR UPDATE SKIP LOCKED on PostgreSQL),
as timer jobs are claimed, so workers on any number of hosts share the work through the database.
A worker whose lock expired has lost the task: another may fetch it, and its completion is a 409.

Whatever happens to a task is a row in its project's history (and so in the audit trail).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ...domain.engine import ProcessRunner
from ...persistence.integration import ExternalTaskRow
from ...persistence.models import HistoryEvent, ProcessInstance, ProcessVersion, Project, User, db, utcnow
from ..casefile import history_rows
from ..designer import task_forms
from ..designer.versions import bundle_for
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..lifecycle import instances
from ..security import policy

# A worker's failures before the task becomes an incident, when the worker does not say.
DEFAULT_RETRIES = 3
MAX_TASKS = 100
MAX_LOCK_SECONDS = 24 * 3600
MAX_RETRY_TIMEOUT = 7 * 24 * 3600


def _require_client(user: User, scopes: frozenset[str], topics) -> None:
    if not policy.is_integration(user):
        raise Forbidden("外部任务只供系统对接账号使用：external tasks are for integration clients")
    outside = sorted(set(topics) - scopes)
    if outside:
        raise Forbidden(f"令牌无权处理这些主题：{'、'.join(outside)} (topics outside this token's scopes)")


def _visible(user: User, scopes: frozenset[str]):
    """The rows this client may see: its topics, and its district if its account is a district's."""
    condition = ExternalTaskRow.topic.in_(sorted(scopes))
    district = user.org_unit.district_code
    if district:
        condition = condition & (ExternalTaskRow.district_code == district)
    return condition


def fetch_and_lock(
    user: User,
    scopes: frozenset[str],
    *,
    topics: list[str],
    worker_id: str,
    max_tasks: int,
    lock_seconds: int,
    ip: str | None = None,
    now: datetime | None = None,
) -> list[dict]:
    """Lock up to `max_tasks` free tasks of these topics for this worker, oldest first; each with
    the variables its element names."""
    _require_client(user, scopes, topics)
    now = now or utcnow()
    free = (
        select(ExternalTaskRow.id)
        .where(_visible(user, scopes), ExternalTaskRow.topic.in_(topics), ExternalTaskRow.status == "open")
        .where(ExternalTaskRow.locked_until.is_(None) | (ExternalTaskRow.locked_until < now))
        .order_by(ExternalTaskRow.created_at, ExternalTaskRow.id)
        .limit(max_tasks)
    )
    if db.engine.dialect.name == "postgresql":
        free = free.with_for_update(skip_locked=True)
    until = now + timedelta(seconds=lock_seconds)
    claim = (
        update(ExternalTaskRow)
        .where(ExternalTaskRow.id.in_(free.scalar_subquery()))
        .values(worker_id=worker_id, locked_until=until)
        .returning(ExternalTaskRow.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(db.session.scalars(claim))
    rows = (
        list(
            db.session.scalars(
                select(ExternalTaskRow)
                .where(ExternalTaskRow.id.in_(ids))
                .order_by(ExternalTaskRow.created_at, ExternalTaskRow.id)
            )
        )
        if ids
        else []
    )
    out = []
    for row in rows:
        db.session.refresh(row)
        _history(row, user, "external_task_locked", {"worker_id": worker_id, "locked_until": until}, ip)
        out.append(dict(describe(row), variables=_variables(row)))
    db.session.commit()
    return out


def _variables(row: ExternalTaskRow) -> dict:
    instance = db.session.get(ProcessInstance, row.instance_id)
    version = db.session.get(ProcessVersion, instance.version_id)
    return ProcessRunner.load(bundle_for(version), instance.state).external_variables(row.id)


def describe(row: ExternalTaskRow) -> dict:
    project = db.session.get(Project, row.project_id)
    return {
        "id": row.id,
        "topic": row.topic,
        "element_id": row.element_id,
        "title": row.title,
        "reg_no": project.reg_no if project else None,
        "project_id": row.project_id,
        "district_code": row.district_code,
        "status": row.status,
        "created_at": row.created_at,
        "worker_id": row.worker_id,
        "locked_until": row.locked_until,
        "retries": row.retries,
        "error_message": row.error_message,
    }


def _locked_row(user: User, scopes: frozenset[str], task_id: str, worker_id: str) -> ExternalTaskRow:
    if not policy.is_integration(user):
        raise Forbidden("外部任务只供系统对接账号使用：external tasks are for integration clients")
    row = db.session.scalar(select(ExternalTaskRow).where(ExternalTaskRow.id == str(task_id), _visible(user, scopes)))
    if row is None:
        done = db.session.scalar(
            select(HistoryEvent.kind)
            .where(
                HistoryEvent.task_id == str(task_id),
                HistoryEvent.kind.in_(("external_task_completed", "external_task_cancelled")),
            )
            .limit(1)
        )
        if done is not None and (topic := _topic_of_history(task_id)) in scopes:
            what = "已完成" if done == "external_task_completed" else "已取消（超时转人工办理等）"
            raise Conflict(f"外部任务{what}：the external task is no longer waiting (topic {topic})")
        raise NotFound("no such external task")
    if row.status == "incident":
        raise Conflict("外部任务已转为故障（incident），须由运维重试：the task is an incident")
    if row.worker_id != worker_id or row.locked_until is None or row.locked_until < utcnow():
        raise Conflict("该任务未被此工作者锁定或锁已过期：the task is not locked by this worker (or the lock expired)")
    return row


def _topic_of_history(task_id: str) -> str | None:
    data = db.session.scalar(
        select(HistoryEvent.data_json)
        .where(HistoryEvent.task_id == str(task_id), HistoryEvent.kind == "external_task_waiting")
        .limit(1)
    )
    return (json.loads(data) or {}).get("topic") if data else None


def complete(
    user: User,
    scopes: frozenset[str],
    task_id: str,
    *,
    worker_id: str,
    variables: dict,
    lang: str = "zh",
    ip: str | None = None,
) -> Project:
    """The worker's result: checked by the element's form, then the token moves on."""
    row = _locked_row(user, scopes, task_id, worker_id)
    instance = db.session.get(ProcessInstance, row.instance_id)
    version = db.session.get(ProcessVersion, instance.version_id)
    spec = bundle_for(version).task_spec(row.element_id)
    form_key = ((getattr(spec, "extensions", None) or {}).get("properties") or {}).get("formKey")
    definition = instances.task_form(form_key, version)
    if definition is not None:
        variables = task_forms.checked(definition, variables, lang=lang)
    elif variables:
        raise ValidationFailed({name: "该任务不接收返回变量：this task takes no variables" for name in variables})
    return instances.complete_external(
        row.instance_id,
        row.id,
        variables,
        actor=user,
        ip=ip,
        history={
            "kind": "external_task_completed",
            "element_id": row.element_id,
            "title": row.title,
            "data": {"topic": row.topic, "worker_id": worker_id, "variables": variables},
        },
    )


def fail(
    user: User,
    scopes: frozenset[str],
    task_id: str,
    *,
    worker_id: str,
    message: str,
    retries: int | None,
    retry_timeout: int,
    ip: str | None = None,
) -> ExternalTaskRow:
    """The worker could not do it: the task waits `retry_timeout` seconds, then may be fetched
    again; with no retries left it is an incident (listed at /api/v1/ops/incidents)."""
    row = _locked_row(user, scopes, task_id, worker_id)
    left = retries if retries is not None else (row.retries if row.retries is not None else DEFAULT_RETRIES) - 1
    now = utcnow()
    row.retries = max(0, left)
    row.error_message = (message or "")[:2000]
    row.failed_at = now
    row.worker_id = None
    row.locked_until = now + timedelta(seconds=retry_timeout) if row.retries > 0 else None
    _history(
        row,
        user,
        "external_task_failed",
        {"worker_id": worker_id, "message": row.error_message, "retries": row.retries},
        ip,
    )
    if row.retries == 0:
        row.status = "incident"
        _history(row, user, "incident_raised", {"topic": row.topic, "message": row.error_message}, ip)
    db.session.commit()
    return row


def extend_lock(
    user: User, scopes: frozenset[str], task_id: str, *, worker_id: str, lock_seconds: int, ip: str | None = None
) -> ExternalTaskRow:
    row = _locked_row(user, scopes, task_id, worker_id)
    row.locked_until = utcnow() + timedelta(seconds=lock_seconds)
    db.session.commit()
    return row


def _history(row: ExternalTaskRow, actor: User | None, kind: str, data: dict, ip: str | None) -> None:
    history_rows.add(
        row.project_id, actor, kind, row.element_id, row.title, dict(data, topic=row.topic), ip, task_id=row.id
    )


# -- operations (role admin) ---------------------------------------------------------------------
def incidents() -> list[dict]:
    """Service tasks whose workers gave up (incidents), then those failing and waiting to retry."""
    rows = db.session.scalars(
        select(ExternalTaskRow)
        .where((ExternalTaskRow.status == "incident") | ExternalTaskRow.failed_at.is_not(None))
        .order_by((ExternalTaskRow.status == "incident").desc(), ExternalTaskRow.failed_at)
        .limit(500)
    )
    return [describe(row) for row in rows]


def retry(user: User, task_id: str, retries: int = DEFAULT_RETRIES) -> ExternalTaskRow:
    """An operator puts an incident back for the workers, with fresh retries."""
    if not policy.can_operate(user):
        raise Forbidden("platform operations only")
    row = db.session.get(ExternalTaskRow, str(task_id))
    if row is None or row.status != "incident":
        raise NotFound("no such incident")
    row.status, row.retries, row.locked_until, row.worker_id = "open", retries, None, None
    _history(row, user, "incident_retried", {"retries": retries}, None)
    db.session.commit()
    return row
