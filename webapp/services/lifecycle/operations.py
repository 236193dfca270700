"""Platform operations (role `admin`): timer jobs and external tasks that keep failing, their
errors, and a retry.

A job that failed MAX_ATTEMPTS times is an incident: the worker leaves it alone until an operator
has looked at the error (a broken DMN cell, a script refused by the sandbox, ...) and retries it.
Jobs still in their backoff are listed too, so a problem is visible before it becomes one. So is a
service task whose external worker failed it until no retries were left (services.integration).
"""

from __future__ import annotations

from sqlalchemy import or_, select

from ...persistence.models import ProcessInstance, Project, TimerJob, User, db
from ..casefile import history_rows
from ..errors import Forbidden, NotFound
from ..integration import external_tasks
from ..security import policy


def _require_operator(user: User) -> None:
    if not policy.can_operate(user):
        raise Forbidden("platform operations only")


def incidents(user: User) -> list[dict]:
    """Timer incidents first, then jobs retrying after a failure (oldest due first); then the
    external tasks' incidents and failures."""
    _require_operator(user)
    rows = db.session.execute(
        select(TimerJob, Project)
        .join(ProcessInstance, ProcessInstance.id == TimerJob.instance_id)
        .join(Project, Project.id == ProcessInstance.project_id)
        .where(or_(TimerJob.status == "incident", TimerJob.attempts > 0))
        .order_by((TimerJob.status == "incident").desc(), TimerJob.due_at)
        .limit(500)
    )
    timers = [
        {
            "kind": "timer",
            "instance_id": job.instance_id,
            "project_id": project.id,
            "reg_no": project.reg_no,
            "project_title": project.title,
            "street_code": project.street_code,
            "status": job.status,
            "attempts": job.attempts,
            "due_at": job.due_at,
            "next_attempt_at": job.locked_until if job.status == "pending" else None,
            "last_error": job.last_error,
        }
        for job, project in rows
    ]
    return timers + [_external(row) for row in external_tasks.incidents()]


def _external(row: dict) -> dict:
    project = db.session.get(Project, row["project_id"])
    instance_id = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.project_id == row["project_id"]))
    return {
        "kind": "external_task",
        "external_task_id": row["id"],
        "topic": row["topic"],
        "element_id": row["element_id"],
        "instance_id": instance_id,
        "project_id": row["project_id"],
        "reg_no": row["reg_no"],
        "project_title": project.title if project else None,
        "street_code": project.street_code if project else None,
        "status": "incident" if row["status"] == "incident" else "pending",
        "retries": row["retries"],
        "due_at": row["created_at"],
        "next_attempt_at": row["locked_until"] if row["status"] != "incident" else None,
        "last_error": row["error_message"],
    }


def retry_external(user: User, task_id: str) -> dict:
    _require_operator(user)
    return external_tasks.describe(external_tasks.retry(user, task_id))


def retry(user: User, instance_id: int) -> TimerJob:
    """Put the job back in the queue now, with fresh attempts; the history records who did it."""
    _require_operator(user)
    job = db.session.get(TimerJob, instance_id)
    if job is None or (job.status != "incident" and job.attempts == 0):
        raise NotFound("no such incident")
    instance = db.session.get(ProcessInstance, instance_id)
    history_rows.add(instance.project_id, user, "incident_retried", None, "定时任务重试", None, None)
    job.status = "pending"
    job.attempts = 0
    job.locked_by = None
    job.locked_until = None
    job.last_error = None
    db.session.commit()
    return job
