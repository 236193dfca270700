"""Operations API (role `admin`): failing timer jobs and external tasks, incidents, and their retry."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..services.lifecycle import operations
from .auth import token_required

blp = Blueprint("operations", __name__, description="Platform operations (role admin)")


class Incident(Schema):
    kind = fields.Str(
        metadata={
            "description": "timer (a timer job) or external_task (a service task whose external worker failed it)"
        }
    )
    external_task_id = fields.Str(metadata={"description": "kind external_task: the task's id"})
    topic = fields.Str(metadata={"description": "kind external_task: its topic"})
    element_id = fields.Str()
    retries = fields.Int(allow_none=True, metadata={"description": "kind external_task: retries left"})
    instance_id = fields.Int()
    project_id = fields.Int()
    reg_no = fields.Str()
    project_title = fields.Str()
    street_code = fields.Str()
    status = fields.Str(metadata={"description": "incident (worker stopped trying) or pending (retrying)"})
    attempts = fields.Int(metadata={"description": "kind timer: failed attempts"})
    due_at = fields.DateTime()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.Str(allow_none=True)


class Retried(Schema):
    instance_id = fields.Int()
    status = fields.Str()


@blp.route("/ops/incidents", methods=["GET"])
@blp.response(200, Incident(many=True))
@token_required
def list_incidents():
    """Timer jobs that failed (incidents first, then jobs waiting for their next attempt), then
    service tasks whose external workers failed them (incidents: no retries left)."""
    return operations.incidents(g.user)


@blp.route("/ops/incidents/<int:instance_id>/retry", methods=["POST"])
@blp.response(200, Retried)
@token_required
def retry_incident(instance_id):
    """Queue the job again now, with fresh attempts."""
    job = operations.retry(g.user, instance_id)
    return {"instance_id": job.instance_id, "status": job.status}


class ExternalRetried(Schema):
    id = fields.Str()
    status = fields.Str()
    retries = fields.Int()


@blp.route("/ops/external-tasks/<external_task_id>/retry", methods=["POST"])
@blp.response(200, ExternalRetried)
@token_required
def retry_external_task(external_task_id):
    """Put a service task that became an incident back for its workers, with fresh retries."""
    return operations.retry_external(g.user, external_task_id)
