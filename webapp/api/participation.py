"""Property companies and entrusted supervisors (P-26, P-27): naming a project's supervisor, the
supervisor's advisory logs, and the yearly property-company figures with their star rating."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..services.ledger import queries
from ..services.oversight import kpi
from ..services.participation import property_companies, supervision
from ..services.security.audit import client_ip
from .auth import lang, token_required

blp = Blueprint("participation_api", __name__, description="Property companies and entrusted supervision")


class EntrustIn(Schema):
    supervisor_id = fields.Integer(required=True, allow_none=True)


class EntrustOut(Schema):
    project_id = fields.Integer()
    supervisor_id = fields.Integer(allow_none=True)


class AdvisoryIn(Schema):
    visited_on = fields.String(required=True)
    findings = fields.String(required=True)
    concern = fields.String(load_default="NONE")
    raise_lead = fields.Boolean(load_default=False)


class AdvisoryOut(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    visited_on = fields.String()
    findings = fields.String()
    concern = fields.String()
    at = fields.DateTime()
    lead_project_id = fields.Integer(allow_none=True)


class YearQuery(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))


class CompanyYearOut(Schema):
    company = fields.Function(lambda r: r.company.name)
    district_code = fields.Function(lambda r: r.company.district_code)
    estates = fields.Integer()
    assisted = fields.Integer()
    registered = fields.Integer()
    leads = fields.Integer()
    confirmed = fields.Integer()
    lead_hours = fields.Float(allow_none=True)
    rectifications = fields.Integer()
    stop_works = fields.Integer()
    rectified = fields.Integer()
    rectify_days = fields.Float(allow_none=True)
    score = fields.Float()
    stars = fields.Integer()


@blp.route("/projects/<int:project_id>/entrusted-supervisor", methods=["PUT"])
@blp.arguments(EntrustIn)
@blp.response(200, EntrustOut)
@token_required
def entrust(body, project_id):
    """Name (or, with null, withdraw) the entrusted supervisor: the owner or the estate's property company."""
    project = supervision.entrust(g.user, project_id, body["supervisor_id"], lang=lang(), ip=client_ip())
    return {"project_id": project.id, "supervisor_id": project.entrusted_supervisor_id}


@blp.route("/projects/<int:project_id>/advisory-logs", methods=["GET"])
@blp.response(200, AdvisoryOut(many=True))
@token_required
def advisory_logs(project_id):
    """The project's advisory logs, newest first."""
    return supervision.logs_of(queries.visible_project(g.user, project_id))


@blp.route("/projects/<int:project_id>/advisory-logs", methods=["POST"])
@blp.arguments(AdvisoryIn)
@blp.response(201, AdvisoryOut)
@token_required
def record_advisory(body, project_id):
    """The entrusted supervisor's log; `raise_lead` sends its finding to the street's inspectors as a lead."""
    return supervision.record_log(g.user, project_id, body, lang=lang(), ip=client_ip())


@blp.route("/property-companies/report", methods=["GET"])
@blp.arguments(YearQuery, location="query")
@blp.response(200, CompanyYearOut(many=True))
@token_required
def property_report(args):
    """Yearly figures and star rating per property company in reach (a company: its own); default this year."""
    return property_companies.yearly(g.user, args["year"] or kpi.now().astimezone(kpi.CST).year)
