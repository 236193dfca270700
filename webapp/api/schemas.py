"""marshmallow schemas of the JSON API; the OpenAPI document is generated from them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..converters import DB_INT_MAX
from ..services.ledger.queries import MAX_PAGE

# Numbers a database INTEGER holds: a larger one in a request is refused (422), never sent on to overflow.
DB_INT = validate.Range(min=-DB_INT_MAX - 1, max=DB_INT_MAX)
DB_ID = validate.Range(min=1, max=DB_INT_MAX)
# A page number of a list. marshmallow 4 ignores a validator's False: a lambda let page=-10**17
# through to the SQL offset.
PAGE_NUMBER = validate.Range(min=1, max=MAX_PAGE)


class TokenRequest(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    scopes = fields.List(
        fields.String(validate=validate.Length(max=100)),
        validate=validate.Length(max=50),
        metadata={
            "description": "role integration: the topics and messages the token is for (default: all of the account's)"
        },
    )


class TokenResponse(Schema):
    token = fields.String()
    expires_at = fields.DateTime()


class FormData(Schema):
    """Form fields as defined in forms/<form_key>.json; the server validates them against it."""

    data = fields.Dict(keys=fields.String(), required=True)


class TaskRow(Schema):
    id = fields.String()
    element_id = fields.String()
    title = fields.String()
    form_key = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    priority = fields.String()
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    created_at = fields.DateTime()
    project_id = fields.Integer()
    reg_no = fields.String()
    project_title = fields.String()
    address = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    street_code = fields.String()
    claimed_by_id = fields.Integer(allow_none=True)
    waiting_for = fields.String(
        allow_none=True, metadata={"description": "待业主认领: an owner's step nobody claimed yet"}
    )


class ProjectSummary(Schema):
    id = fields.Integer()
    reg_no = fields.String()
    channel = fields.String()
    title = fields.String()
    object_type = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    district_code = fields.String()
    street_code = fields.String()
    community_code = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    risk_level = fields.String(allow_none=True)
    planned_start = fields.String(allow_none=True)
    planned_end = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    open_hazards = fields.Integer()
    next_patrol_at = fields.DateTime(allow_none=True)
    late_registration = fields.Boolean(
        metadata={"description": "补登记: registered after the district's lead time (P-07)"}
    )
    awaiting_owner_claim = fields.Boolean(metadata={"description": "registered for the owner, not yet claimed"})


class HazardRow(Schema):
    """A hazard record: item, severity, deadline, status and its own history."""

    ref = fields.String()
    item_code = fields.String(allow_none=True)
    item_text = fields.String()
    severity = fields.String()
    description = fields.String()
    photos = fields.List(fields.String())
    found_by = fields.String()
    found_at = fields.DateTime()
    found_in = fields.String(allow_none=True)
    deadline_at = fields.DateTime(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    extensions = fields.Integer()
    closed_at = fields.DateTime(allow_none=True)
    history = fields.List(fields.Dict())


class NoticeRow(Schema):
    id = fields.Integer()
    kind = fields.String()
    number = fields.String()
    issued_at = fields.DateTime()
    html = fields.String()
    data = fields.Dict()
    service = fields.Dict(allow_none=True)


class ServiceRecord(Schema):
    """送达回证: how, when and to whom a notice was served (a refusal is noted, with witnesses)."""

    method = fields.String(required=True, validate=validate.OneOf(["IN_PERSON", "POSTED", "ELECTRONIC", "REFUSED"]))
    served_to = fields.String(required=True, validate=validate.Length(min=1, max=100))
    served_at = fields.DateTime(load_default=None)
    photos = fields.List(fields.String(), load_default=list)
    note = fields.String(load_default="", validate=validate.Length(max=500))


class InspectionRequest(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class TaskDetail(TaskRow):
    form = fields.Dict(allow_none=True)
    checklist = fields.List(fields.Dict())
    values = fields.Dict()
    hazards = fields.List(fields.Nested("HazardRow"))
    project = fields.Nested(ProjectSummary)


class HistoryRow(Schema):
    at = fields.DateTime()
    actor = fields.String()
    kind = fields.String()
    element_id = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    data = fields.Raw(allow_none=True)


class ProjectDetail(ProjectSummary):
    tasks = fields.List(fields.Nested(TaskRow))
    hazards = fields.List(fields.Nested(HazardRow))
    history = fields.List(fields.Nested(HistoryRow))
    data = fields.Dict()


class ProjectQuery(Schema):
    stage = fields.String()
    status = fields.String()
    street = fields.String()
    text = fields.String()
    risk = fields.String()
    channel = fields.String()
    # KPI filters (services.oversight.kpi): each dashboard figure lists its projects with these.
    overdue = fields.String()
    assignee = fields.String()
    created_from = fields.String()
    created_to = fields.String()
    registered = fields.String()
    found = fields.String()
    late = fields.String()
    patrol = fields.String()
    event = fields.String()
    notice = fields.String()
    writeoff = fields.String()
    since = fields.String()
    until = fields.String()
    hazard = fields.String(validate=validate.OneOf(("MAJOR", "GENERAL", "overdue")))
    page = fields.Integer(load_default=1, validate=PAGE_NUMBER)
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class DashboardQuery(Schema):
    since = fields.Date()
    until = fields.Date()
    street = fields.String()


class Paged(Schema):
    """One page of a list (services.ledger.queries.Page): a subclass names its `items`."""

    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class ProjectPage(Paged):
    items = fields.List(fields.Nested(ProjectSummary))


class ClaimRequest(Schema):
    reg_no = fields.String(required=True)
    claim_code = fields.String(required=True)
    phone = fields.String(required=True)
    commitment_signed = fields.Boolean(required=True)


class Created(Schema):
    id = fields.Integer()
    reg_no = fields.String()
    stage = fields.String(allow_none=True)
    status = fields.String(allow_none=True)


class Completed(Schema):
    project_id = fields.Integer()
    stage = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    next_tasks = fields.List(fields.Nested(TaskRow))


class FormDefinition(Schema):
    key = fields.String()
    definition = fields.Dict(metadata={"description": "form-js schema; run-time choices under `values`"})


class InboxQuery(Schema):
    sort = fields.String(
        validate=validate.OneOf(("due", "priority", "created")),
        metadata={"description": "due (default): soonest first; priority; created: newest first"},
    )
    form_key = fields.String(validate=validate.Length(max=100))
    stage = fields.String(validate=validate.Length(max=32))
    street = fields.String(validate=validate.Length(max=32))
    overdue = fields.Boolean()
    text = fields.String(validate=validate.Length(max=100))
    claimed = fields.String(validate=validate.OneOf(("mine", "open")))
    view = fields.String(validate=validate.OneOf(("team",)))
