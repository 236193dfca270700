"""Inbox work in bulk and saved inbox filters."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..services.inbox import bulk, saved_filters
from .auth import lang, token_required
from .schemas import DB_INT

blp = Blueprint("inbox_api", __name__, description="Bulk claim, release and assign; saved filters")


class BulkRequest(Schema):
    action = fields.Str(required=True, validate=validate.OneOf(bulk.ACTIONS))
    task_ids = fields.List(
        fields.Str(validate=validate.Length(max=36)), required=True, validate=validate.Length(min=1, max=bulk.MAX_TASKS)
    )
    assignee_id = fields.Int(load_default=None, allow_none=True, validate=DB_INT)


class BulkResult(Schema):
    done = fields.List(fields.Str())
    refused = fields.Dict(keys=fields.Str(), values=fields.Str(), metadata={"description": "task id → reason"})


class SavedFilterIn(Schema):
    name = fields.Str(required=True, validate=validate.Length(max=200))
    params = fields.Dict(
        keys=fields.Str(),
        values=fields.Raw(),
        load_default=dict,
        metadata={"description": "form_key, stage, street, overdue, text, claimed, sort, view"},
    )


class SavedFilterOut(Schema):
    id = fields.Int()
    name = fields.Str()
    query = fields.Str()
    params = fields.Dict()


@blp.route("/tasks/bulk", methods=["POST"])
@blp.arguments(BulkRequest)
@blp.response(200, BulkResult)
@token_required
def bulk_action(body):
    """Claim, release or assign (supervisors) many tasks; each refused task is named with its reason."""
    return bulk.apply(g.user, body["action"], body["task_ids"], body["assignee_id"])


@blp.route("/inbox/filters", methods=["GET"])
@blp.response(200, SavedFilterOut(many=True))
@token_required
def list_filters():
    """My saved inbox filters (their `params` go to GET /tasks as they are)."""
    return saved_filters.listing(g.user)


@blp.route("/inbox/filters", methods=["POST"])
@blp.arguments(SavedFilterIn)
@blp.response(201, SavedFilterOut)
@token_required
def save_filter(body):
    """Save (or replace, by name) an inbox filter."""
    return saved_filters.save(g.user, body["name"], body["params"], lang())


@blp.route("/inbox/filters/<int:filter_id>", methods=["DELETE"])
@blp.response(204)
@token_required
def delete_filter(filter_id):
    """Delete one of my saved filters."""
    saved_filters.delete(g.user, filter_id)
