"""Integration API (role `integration`): external tasks for workers of other systems, and messages.

Thin routes over services.integration; the token's scopes (topics, message names) bound what a
client reaches."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..services.integration import external_tasks, messages
from ..services.security.audit import client_ip
from .auth import lang, scopes, token_required

blp = Blueprint("integration", __name__, description="External tasks and messages (role integration)")

WORKER_ID = fields.Str(
    required=True,
    validate=validate.Length(min=1, max=64),
    metadata={"description": "the worker's own name; a lock belongs to it"},
)


class FetchAndLock(Schema):
    topics = fields.List(
        fields.Str(validate=validate.Length(min=1, max=100)), required=True, validate=validate.Length(min=1, max=20)
    )
    worker_id = WORKER_ID
    max_tasks = fields.Int(load_default=10, validate=validate.Range(1, external_tasks.MAX_TASKS))
    lock_seconds = fields.Int(load_default=300, validate=validate.Range(1, external_tasks.MAX_LOCK_SECONDS))


class ExternalTask(Schema):
    id = fields.Str()
    topic = fields.Str()
    element_id = fields.Str()
    title = fields.Str()
    reg_no = fields.Str(
        metadata={"description": "the project's registration number: the correlation key of messages about it"}
    )
    project_id = fields.Int()
    district_code = fields.Str()
    status = fields.Str(metadata={"description": "open, or incident (no retries left)"})
    created_at = fields.DateTime()
    worker_id = fields.Str(allow_none=True)
    locked_until = fields.DateTime(allow_none=True)
    retries = fields.Int(allow_none=True)
    error_message = fields.Str(allow_none=True)
    variables = fields.Dict(metadata={"description": "the process data the element names under `variables`"})


class Complete(Schema):
    worker_id = WORKER_ID
    variables = fields.Dict(load_default=dict, metadata={"description": "checked by the form the element names"})


class Failure(Schema):
    worker_id = WORKER_ID
    message = fields.Str(required=True, validate=validate.Length(min=1, max=2000))
    retries = fields.Int(
        load_default=None,
        allow_none=True,
        validate=validate.Range(0, 100),
        metadata={"description": "retries left (default: one fewer than before; 3 at first); 0 raises an incident"},
    )
    retry_timeout = fields.Int(
        load_default=60,
        validate=validate.Range(0, external_tasks.MAX_RETRY_TIMEOUT),
        metadata={"description": "seconds before the task can be fetched again"},
    )


class ExtendLock(Schema):
    worker_id = WORKER_ID
    lock_seconds = fields.Int(required=True, validate=validate.Range(1, external_tasks.MAX_LOCK_SECONDS))


class Moved(Schema):
    project_id = fields.Int()
    reg_no = fields.Str()
    stage = fields.Str(allow_none=True)
    status = fields.Str(allow_none=True)


@blp.route("/external-tasks/fetch-and-lock", methods=["POST"])
@blp.arguments(FetchAndLock)
@blp.response(200, ExternalTask(many=True))
@blp.alt_response(403, description="a topic outside the token's scopes, or not an integration client")
@token_required
def fetch_and_lock(body):
    """Lock up to `max_tasks` waiting service tasks of these topics for `lock_seconds`, oldest first."""
    return external_tasks.fetch_and_lock(
        g.user,
        scopes(),
        topics=body["topics"],
        worker_id=body["worker_id"],
        max_tasks=body["max_tasks"],
        lock_seconds=body["lock_seconds"],
        ip=client_ip(),
    )


def _moved(project):
    return {"project_id": project.id, "reg_no": project.reg_no, "stage": project.stage, "status": project.status}


@blp.route("/external-tasks/<external_task_id>/complete", methods=["POST"])
@blp.arguments(Complete)
@blp.response(200, Moved)
@blp.alt_response(409, description="not locked by this worker, the lock expired, or the task no longer waits")
@blp.alt_response(422, description="the variables do not fit the element's form (errors by variable)")
@token_required
def complete(body, external_task_id):
    """Complete a locked task with its variables: the project moves on."""
    return _moved(
        external_tasks.complete(
            g.user,
            scopes(),
            external_task_id,
            worker_id=body["worker_id"],
            variables=body["variables"],
            lang=lang(),
            ip=client_ip(),
        )
    )


@blp.route("/external-tasks/<external_task_id>/failure", methods=["POST"])
@blp.arguments(Failure)
@blp.response(200, ExternalTask)
@blp.alt_response(409, description="not locked by this worker, or the lock expired")
@token_required
def failure(body, external_task_id):
    """Report that the work failed: fetchable again after `retry_timeout`; no retries left: an incident."""
    row = external_tasks.fail(
        g.user,
        scopes(),
        external_task_id,
        worker_id=body["worker_id"],
        message=body["message"],
        retries=body["retries"],
        retry_timeout=body["retry_timeout"],
        ip=client_ip(),
    )
    return external_tasks.describe(row)


@blp.route("/external-tasks/<external_task_id>/extend-lock", methods=["POST"])
@blp.arguments(ExtendLock)
@blp.response(200, ExternalTask)
@blp.alt_response(409, description="not locked by this worker, or the lock expired")
@token_required
def extend_lock(body, external_task_id):
    """Keep the lock `lock_seconds` longer from now."""
    row = external_tasks.extend_lock(
        g.user,
        scopes(),
        external_task_id,
        worker_id=body["worker_id"],
        lock_seconds=body["lock_seconds"],
        ip=client_ip(),
    )
    return external_tasks.describe(row)


class Message(Schema):
    name = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "the message's name in the diagram, e.g. hotline_report, permit_decision"},
    )
    correlation_key = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={
            "description": "the project's registration number for a message to a "
            "running project; the sender's own record (e.g. the 12345 "
            "ticket) for one that starts a project"
        },
    )
    data = fields.Dict(load_default=dict, metadata={"description": "checked by the form the catching element names"})


class Delivered(Moved):
    outcome = fields.Str(metadata={"description": "correlated (a running project took it) or started (a new one)"})


@blp.route("/messages", methods=["POST"])
@blp.arguments(Message)
@blp.response(200, Delivered)
@blp.alt_response(201, schema=Delivered, description="the message started a project")
@blp.alt_response(404, description="unknown message name, or no running project waits for it with this key")
@blp.alt_response(
    409,
    description="the project is not waiting for it, two catches wait for it (ambiguous), "
    "or a message that starts a project came twice with the same key",
)
@blp.alt_response(422, description="the data do not fit the catching element's form (errors by field)")
@token_required
def deliver(body):
    """Correlate a message to the catch event of a running project waiting for it, or start a project
    through the message start event that catches it."""
    outcome, project = messages.receive(
        g.user, scopes(), body["name"], body["correlation_key"], body["data"], lang=lang(), ip=client_ip()
    )
    return dict(_moved(project), outcome=outcome), 201 if outcome == "started" else 200
