"""GET /api/v1/audit: the audit trail, newest first (role `auditor`)."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..services.security import audit
from .auth import token_required
from .schemas import PAGE_NUMBER, Paged

blp = Blueprint("audit_api", __name__, description="Audit trail (role auditor)")


class AuditQuery(Schema):
    action = fields.String(validate=validate.OneOf(list(audit.ACTIONS)))
    actor = fields.String(validate=validate.Length(max=64))
    object_type = fields.String(validate=validate.Length(max=32))
    object_id = fields.String(validate=validate.Length(max=64))
    since = fields.AwareDateTime(default_timezone=audit.CST)
    until = fields.AwareDateTime(default_timezone=audit.CST)
    page = fields.Integer(load_default=1, validate=PAGE_NUMBER)
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class AuditEventOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    details = fields.Dict(allow_none=True)


class AuditPage(Paged):
    items = fields.List(fields.Nested(AuditEventOut))


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditPage)
@token_required
def events(args):
    """Sign-ins, completions, rule changes, deployments, exports and downloads: who, when, from where."""
    return audit.events(g.user, **args)
