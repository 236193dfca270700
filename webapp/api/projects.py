from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from ..services.ledger import queries
from ..services.lifecycle import hazards, inspections, instances, ownership, start_forms
from ..services.security import privacy
from ..services.security.audit import client_ip
from .auth import lang, load_body, token_required
from .schemas import (
    ClaimRequest,
    Created,
    FormData,
    FormDefinition,
    InspectionRequest,
    ProjectDetail,
    ProjectPage,
    ProjectQuery,
)

blp = Blueprint("projects", __name__, description="Registrations, leads and the project ledger")


def _created(project):
    return {"id": project.id, "reg_no": project.reg_no, "stage": project.stage, "status": project.status}


@blp.route("/registrations", methods=["POST"])
@blp.arguments(FormData)
@blp.response(201, Created)
@token_required
def register(body):
    """Owner self-registration (form `registration`)."""
    return _created(instances.register_project(g.user, body["data"], lang=lang(), ip=client_ip()))


@blp.route("/leads", methods=["POST"])
@blp.arguments(FormData)
@blp.response(201, Created)
@token_required
def lead(body):
    """A grid worker's lead (吹哨) about a site (form `lead`)."""
    return _created(instances.report_lead(g.user, body["data"], lang=lang(), ip=client_ip()))


@blp.route("/projects/claim", methods=["POST"])
@blp.arguments(ClaimRequest)
@blp.response(200, Created)
@token_required
def claim(body):
    """The owner takes over a project registered on the owner's behalf (code on the receipt)."""
    return _created(
        ownership.claim(
            g.user, body["reg_no"], body["claim_code"], body["phone"], body["commitment_signed"], lang=lang()
        )
    )


@blp.route("/projects", methods=["GET"])
@blp.arguments(ProjectQuery, location="query")
@blp.response(200, ProjectPage)
@token_required
def ledger(args):
    """The project ledger in my jurisdiction, filtered."""
    return queries.ledger(g.user, **args)


@blp.route("/projects/<int:project_id>", methods=["GET"])
@blp.response(200, ProjectDetail)
@token_required
def detail(project_id):
    """Ledger fields, current tasks and history of one project."""
    project = queries.visible_project(g.user, project_id)
    row = queries.project_row(project)
    row["tasks"] = queries.project_tasks(project)
    row["hazards"] = hazards.for_project(project.id)
    row["history"] = privacy.events_for_viewer(g.user, project, queries.history(project))
    row["data"] = privacy.for_viewer(g.user, project, queries.project_data(project))
    return row


@blp.route("/forms/<key>", methods=["GET"])
@blp.response(200, FormDefinition)
@token_required
def form(key):
    """A form definition of the newest process version. `registration` and `lead` carry, on each
    component with `valuesKey`, the `values` (value, label, street) the caller may choose: enough
    to register a project or report a lead without the pages."""
    return {"key": key, "definition": start_forms.definition_for(g.user, key)}


@blp.route("/projects/<int:project_id>/inspections", methods=["POST"])
@blp.doc(requestBody={"content": {"application/json": {"schema": InspectionRequest}}})
@blp.response(201, Created)
@token_required
def inspect(project_id):
    """Ask for an ad-hoc inspection (临时巡查) of an open project: a task in its inspectors' inbox."""
    project = queries.visible_project(g.user, project_id)  # the object first: 404 outside the street
    body = load_body(InspectionRequest())
    return _created(inspections.request_by_staff(g.user, project, body["reason"], ip=client_ip()))
