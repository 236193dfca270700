from __future__ import annotations

from flask import g, jsonify, request
from flask_smorest import Blueprint

from ..access import checked_object
from ..services.ledger import queries
from ..services.lifecycle import idempotency, instances
from ..services.security import privacy
from ..services.security.audit import client_ip
from .auth import lang, token_required
from .schemas import Completed, FormData, InboxQuery, TaskDetail, TaskRow

blp = Blueprint("tasks", __name__, description="My task inbox")


@blp.route("/tasks", methods=["GET"])
@blp.arguments(InboxQuery, location="query")
@blp.response(200, TaskRow(many=True))
@token_required
def my_tasks(args):
    """Ready tasks whose lane is my role, inside my jurisdiction (and those of colleagues I stand
    in for), filtered and sorted as the inbox page does; `view=team`: a supervisor's team."""
    team = args.pop("view", None) == "team"
    return queries.inbox(g.user, per_page=200, filters=args, team=team).items


@blp.route("/tasks/<task_id>", methods=["GET"])
@blp.response(200, TaskDetail)
@token_required
def one_task(task_id):
    """One task with its form definition and the project summary."""
    # The task's rows as the access check read them: its inbox row, project and version.
    step, task = instances.visible_task(g.user, task_id, checked_object())
    project = step.project
    row = queries.task_row(task, project=project)
    definition = instances.task_form(task.form_key, step.version)
    row["form"] = definition.schema if definition is not None else None
    row["project"] = queries.project_row(project)
    has_checklist = definition is not None and definition.has_checklist
    row["checklist"] = instances.checklist_for(queries.project_data(project)) if has_checklist else []
    # The values the form starts with (e.g. a proposed deadline, what a lead carried), and the hazards
    # a per-hazard judgement must cover.
    _facts, values, row["hazards"] = instances.form_start(task, definition, step)
    row["values"] = privacy.for_viewer(g.user, project, values)
    return row


@blp.route("/tasks/<task_id>/complete", methods=["POST"])
@blp.arguments(FormData)
@blp.response(200, Completed)
@blp.doc(
    parameters=[
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": 100},
            "description": "a replay with the same key returns the first answer and changes nothing",
        }
    ]
)
@token_required
def complete(body, task_id):
    """Complete a task with its form data: 422 names failing fields, 409 if no longer ready (with
    the reason). With an Idempotency-Key, a replay answers as the first request did."""
    step = checked_object()  # the task's step as the access check read it

    def act():
        done = instances.complete(g.user, task_id, body["data"], lang=lang(), ip=client_ip(), step=step)
        return idempotency.completion_outcome(done.project, queries.task_rows(done.project, done.tasks))

    outcome = idempotency.once(g.user, request.headers.get("Idempotency-Key"), f"complete:{task_id}", act, lang())
    response = jsonify(outcome)
    if isinstance(outcome, idempotency.Replayed):
        response.headers["Idempotent-Replayed"] = "true"
    return response
