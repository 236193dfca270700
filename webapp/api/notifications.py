"""Notifications API: my notifications, marking them read, my preferences; the delivery log (admin)."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..services.notifications import centre, outbox
from .auth import lang, token_required
from .schemas import DB_ID

blp = Blueprint("notifications", __name__, description="Notifications and reminders")


class NotificationRow(Schema):
    id = fields.Int()
    kind = fields.Str(
        metadata={"description": "new_task, handover, due_soon, overdue, escalation (督办), notice, mention, comment"}
    )
    title = fields.Str()
    body = fields.Str(allow_none=True)
    link = fields.Str(allow_none=True)
    project_id = fields.Int(allow_none=True)
    task_id = fields.Str(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read = fields.Bool()


class NotificationList(Schema):
    unread = fields.Int()
    items = fields.List(fields.Nested(NotificationRow))


class ListArgs(Schema):
    unread = fields.Bool(load_default=False)
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    before = fields.Int(load_default=None, allow_none=True, validate=DB_ID)


class ReadRequest(Schema):
    ids = fields.List(
        fields.Int(validate=DB_ID),
        load_default=None,
        allow_none=True,
        metadata={"description": "omit to mark every notification read"},
    )


class ReadResult(Schema):
    marked = fields.Int()
    unread = fields.Int()


class Preferences(Schema):
    channels = fields.List(fields.Str(), required=True)
    email = fields.Str(allow_none=True, load_default=None)
    quiet_start = fields.Str(allow_none=True, load_default=None, metadata={"description": "HH:MM, Xiamen time"})
    quiet_end = fields.Str(allow_none=True, load_default=None)
    muted = fields.List(fields.Str(), load_default=list)
    offered = fields.List(fields.Str(), dump_only=True)


class Delivery(Schema):
    id = fields.Int()
    at = fields.DateTime()
    ok = fields.Bool()
    error = fields.Str(allow_none=True)
    worker = fields.Str(allow_none=True)
    message_id = fields.Int()
    channel = fields.Str()
    recipient = fields.Str()
    subject = fields.Str()
    status = fields.Str()
    attempts = fields.Int()


@blp.route("/notifications", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, NotificationList)
@token_required
def my_notifications(args):
    """My notifications, newest first (`before` pages on by id), with the unread count."""
    return {
        "unread": centre.unread_count(g.user),
        "items": centre.listing(g.user, unread_only=args["unread"], limit=args["limit"], before_id=args["before"]),
    }


@blp.route("/notifications/read", methods=["POST"])
@blp.arguments(ReadRequest)
@blp.response(200, ReadResult)
@token_required
def mark_read(body):
    """Mark these (or all) of my notifications read."""
    return {"marked": centre.mark_read(g.user, body.get("ids")), "unread": centre.unread_count(g.user)}


@blp.route("/notifications/preferences", methods=["GET"])
@blp.response(200, Preferences)
@token_required
def get_preferences():
    """My outbound channels, quiet hours and muted kinds, and the channels this deployment offers."""
    return centre.preferences(g.user)


@blp.route("/notifications/preferences", methods=["PUT"])
@blp.arguments(Preferences)
@blp.response(200, Preferences)
@token_required
def put_preferences(body):
    """Replace my preferences (422 names the failing fields)."""
    return centre.save_preferences(g.user, body, lang())


@blp.route("/ops/deliveries", methods=["GET"])
@blp.response(200, Delivery(many=True))
@token_required
def deliveries():
    """The delivery log: the newest attempts to send outbound messages, with their outcome."""
    return outbox.delivery_log()
