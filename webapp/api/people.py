"""Between people: comments and hand-over notes on a project, stand-ins for leave."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..services.ledger import queries
from ..services.people import comments, standins
from .auth import lang, token_required
from .schemas import DB_INT

blp = Blueprint("people_api", __name__, description="Comments, hand-over notes and stand-ins")


class CommentIn(Schema):
    body = fields.Str(required=True, validate=validate.Length(max=10000))
    kind = fields.Str(load_default="comment", metadata={"description": "comment or handover"})
    visibility = fields.Str(
        load_default="internal", metadata={"description": "internal or owner (owners: always owner)"}
    )
    task_id = fields.Str(load_default=None, allow_none=True)
    attachments = fields.List(
        fields.Str(validate=validate.Length(max=64)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "ids of uploaded photos"},
    )


class CommentOut(Schema):
    id = fields.Int()
    project_id = fields.Int()
    task_id = fields.Str(allow_none=True)
    kind = fields.Str()
    visibility = fields.Str()
    body = fields.Str()
    author = fields.Str()
    author_id = fields.Int()
    mentions = fields.List(fields.Str())
    attachments = fields.List(fields.Str())
    created_at = fields.DateTime()


class StandInIn(Schema):
    user_id = fields.Int(required=True, validate=DB_INT)
    stand_in_id = fields.Int(required=True, validate=DB_INT)
    starts = fields.AwareDateTime(required=True)
    ends = fields.AwareDateTime(required=True)


class StandInOut(Schema):
    id = fields.Int()
    user_id = fields.Int()
    user = fields.Str()
    stand_in_id = fields.Int()
    stand_in = fields.Str()
    starts = fields.DateTime()
    ends = fields.DateTime()


@blp.route("/projects/<int:project_id>/comments", methods=["GET"])
@blp.response(200, CommentOut(many=True))
@token_required
def list_comments(project_id):
    """The comments and hand-over notes I may read on a project (owners: those marked for them)."""
    return comments.listing(g.user, queries.visible_project(g.user, project_id))


@blp.route("/projects/<int:project_id>/comments", methods=["POST"])
@blp.arguments(CommentIn)
@blp.response(201, CommentOut)
@token_required
def add_comment(body, project_id):
    """Add a comment or hand-over note; `@username` notifies a colleague who sees the project."""
    return comments.add(g.user, queries.visible_project(g.user, project_id), body, lang())


@blp.route("/standins", methods=["GET"])
@blp.response(200, StandInOut(many=True))
@token_required
def list_standins():
    """Current and future stand-ins of my street (street supervisors)."""
    return standins.listing(g.user)


@blp.route("/standins", methods=["POST"])
@blp.arguments(StandInIn)
@blp.response(201, StandInOut)
@token_required
def set_standin(body):
    """Name a stand-in for an inspector's leave: the inspector's work goes to the stand-in meanwhile."""
    row = standins.set_stand_in(g.user, body["user_id"], body["stand_in_id"], body["starts"], body["ends"], lang())
    return next(r for r in standins.listing(g.user) if r["id"] == row.id)


@blp.route("/standins/<int:stand_in_id>", methods=["DELETE"])
@blp.response(204)
@token_required
def cancel_standin(stand_in_id):
    """Cancel a stand-in of my street."""
    standins.cancel(g.user, stand_in_id)
