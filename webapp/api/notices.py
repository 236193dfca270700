"""Notices of a project and their service records (送达回证)."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from ..services.casefile import notices
from ..services.ledger import queries
from .auth import load_body, token_required
from .schemas import NoticeRow, ServiceRecord

blp = Blueprint("notices_api", __name__, description="Notices and their service records")


@blp.route("/projects/<int:project_id>/notices", methods=["GET"])
@blp.response(200, NoticeRow(many=True))
@token_required
def for_project(project_id):
    """The notices issued on a project, as issued, with their service records."""
    project = queries.visible_project(g.user, project_id)
    return [notices.as_row(n) for n in notices.for_project(project)]


@blp.route("/notices/<int:notice_id>/service", methods=["POST"])
@blp.doc(requestBody={"content": {"application/json": {"schema": ServiceRecord}}})
@blp.response(201, NoticeRow)
@token_required
def serve(notice_id):
    """Record how a notice was served: method, when, to whom, photos (or the refusal)."""
    notices.visible(g.user, notice_id)  # the object first: 404 outside the project's reach
    body = load_body(ServiceRecord())
    notice = notices.record_service(
        g.user,
        notice_id,
        method=body["method"],
        served_to=body["served_to"],
        served_at=body.get("served_at"),
        photos=body["photos"],
        note=body["note"],
    )
    return notices.as_row(notice)
