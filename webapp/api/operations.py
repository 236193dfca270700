"""Operations API (role `admin`): failing timer jobs and incidents, and their retry."""
from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..services.lifecycle import operations
from .auth import token_required

blp = Blueprint("operations", __name__, description="Platform operations (role admin)")


class Incident(Schema):
    instance_id = fields.Int()
    project_id = fields.Int()
    reg_no = fields.Str()
    project_title = fields.Str()
    street_code = fields.Str()
    status = fields.Str(metadata={"description": "incident (worker stopped trying) or pending (retrying)"})
    attempts = fields.Int()
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
    """Timer jobs that failed: incidents first, then jobs waiting for their next attempt."""
    return operations.incidents(g.user)


@blp.route("/ops/incidents/<int:instance_id>/retry", methods=["POST"])
@blp.response(200, Retried)
@token_required
def retry_incident(instance_id):
    """Queue the job again now, with fresh attempts."""
    job = operations.retry(g.user, instance_id)
    return {"instance_id": job.instance_id, "status": job.status}
