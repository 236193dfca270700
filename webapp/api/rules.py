"""District implementation rules (实施细则): read, change, history, what-if preview, city view."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..services.district_rules import draft_preview, rulebook
from ..services.security import policy
from .auth import lang, token_required

blp = Blueprint("rules", __name__, description="District implementation rules (实施细则)")


class ScheduledVersion(Schema):
    version = fields.Integer()
    effective_from = fields.DateTime()


class RuleSetOut(Schema):
    district_code = fields.String()
    district_name = fields.String()
    version = fields.Integer(metadata={"description": "0: the defaults, no version saved yet"})
    effective_from = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    author = fields.String(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    values = fields.Dict()
    scheduled = fields.List(fields.Nested(ScheduledVersion))
    can_edit = fields.Boolean()


class RuleDraft(Schema):
    """Parameters not named keep their value from the latest version."""

    values = fields.Dict(keys=fields.String(), required=True)
    effective_from = fields.String(
        allow_none=True, metadata={"description": "ISO 8601; without a zone it is Xiamen time; empty: now"}
    )
    reason = fields.String(allow_none=True)
    base_version = fields.Integer(
        allow_none=True,
        metadata={"description": "the version the draft was made from; 409 if another version was saved since"},
    )
    replaces = fields.Integer(
        allow_none=True,
        metadata={
            "description": "a scheduled version this one replaces (withdrawn with the save); the draft starts "
            "from the version before it and may take effect earlier; 409 if it is in force"
        },
    )


class Withdrawal(Schema):
    reason = fields.String(allow_none=True, load_default=None)


class WithdrawalOut(Schema):
    by = fields.String()
    at = fields.DateTime()
    reason = fields.String()
    replaced_by = fields.Integer(allow_none=True)


class Change(Schema):
    name = fields.String()
    ref = fields.String()
    label = fields.String()
    before = fields.Raw()
    after = fields.Raw()
    before_text = fields.String()
    after_text = fields.String()


class HistoryVersion(Schema):
    version = fields.Integer()
    effective_from = fields.DateTime()
    reason = fields.String()
    author = fields.String()
    created_at = fields.DateTime()
    status = fields.String(metadata={"description": "in_force | scheduled | superseded | withdrawn"})
    changes = fields.List(fields.Nested(Change))
    withdrawal = fields.Nested(WithdrawalOut, allow_none=True)


class Parameter(Schema):
    name = fields.String()
    ref = fields.String()
    group = fields.String()
    kind = fields.String()
    label = fields.String()
    default = fields.Raw()
    options = fields.List(fields.Dict())
    keys = fields.List(fields.Dict())
    minimum = fields.Float(allow_none=True)
    maximum = fields.Float(allow_none=True)
    read_by = fields.List(fields.String(), metadata={"description": "process files that read this parameter"})


class Reclassified(Schema):
    project_id = fields.Integer()
    reg_no = fields.String()
    title = fields.String()
    recorded_risk_level = fields.String(allow_none=True)
    route_before = fields.String(allow_none=True)
    route_after = fields.String(allow_none=True)
    risk_before = fields.String(allow_none=True)
    risk_after = fields.String(allow_none=True)


class PatrolLoad(Schema):
    street_code = fields.String()
    street_name = fields.String()
    inspector = fields.String(allow_none=True)
    per_week_before = fields.Float()
    per_week_after = fields.Float()


class MovedDeadline(Schema):
    project_id = fields.Integer()
    reg_no = fields.String()
    title = fields.String()
    next_patrol_at = fields.DateTime()
    following_before = fields.DateTime()
    following_after = fields.DateTime()


class Preview(Schema):
    district_code = fields.String()
    effective_from = fields.DateTime()
    compared_with = fields.Integer(metadata={"description": "the version in force at effective_from"})
    changes = fields.List(fields.Nested(Change))
    projects = fields.Integer()
    patrolled_projects = fields.Integer()
    reclassified = fields.List(
        fields.Nested(Reclassified),
        metadata={
            "description": "classified differently if registered today; running projects keep their recorded level"
        },
    )
    patrol_load = fields.List(fields.Nested(PatrolLoad))
    moved_deadlines = fields.List(fields.Nested(MovedDeadline))
    kept_deadlines = fields.Integer(metadata={"description": "due dates and timers already decided: unchanged"})
    errors = fields.List(fields.Dict())


def rule_set_out(user, code: str) -> dict:
    current = rulebook.read(user, code)
    unit = rulebook.district(code)
    return {
        "district_code": code,
        "district_name": unit.name,
        "version": current.version,
        "effective_from": current.effective_from,
        "reason": current.reason,
        "author": current.author,
        "created_at": current.created_at,
        "values": current.values,
        "scheduled": [{"version": r.version, "effective_from": r.effective_from} for r in rulebook.scheduled(code)],
        "can_edit": policy.can_edit_rules(user, code),
    }


@blp.route("/districts/<code>/rules", methods=["GET"])
@blp.response(200, RuleSetOut)
@token_required
def get_rules(code):
    """The district's rules in force now (version 0: the defaults), and versions still to come."""
    return rule_set_out(g.user, code)


@blp.route("/districts/<code>/rules", methods=["PUT"])
@blp.arguments(RuleDraft)
@blp.response(200, RuleSetOut)
@token_required
def put_rules(body, code):
    """Save a new version (district administrators of this district only): 422 names each failing
    parameter, `effective_from` and `reason`; 409 if `base_version` is no longer the latest."""
    rulebook.save(
        g.user,
        code,
        body["values"],
        body.get("effective_from"),
        body.get("reason"),
        base_version=body.get("base_version"),
        replaces=body.get("replaces"),
        lang=lang(),
    )
    return rule_set_out(g.user, code)


@blp.route("/districts/<code>/rules/versions/<int:version>/withdraw", methods=["POST"])
@blp.arguments(Withdrawal)
@blp.response(200, RuleSetOut)
@token_required
def withdraw_rules(body, code, version):
    """Withdraw a version before it takes effect (the district's administrators): 409 once it is in
    force, 404 if there is no such version standing; the history keeps it, marked withdrawn."""
    rulebook.withdraw(g.user, code, version, body.get("reason"), lang=lang())
    return rule_set_out(g.user, code)


@blp.route("/districts/<code>/rules/history", methods=["GET"])
@blp.response(200, HistoryVersion(many=True))
@token_required
def rule_history(code):
    """Every version, newest first: who, when, why, and each changed value before and after."""
    return rulebook.history(g.user, code, lang=lang())


@blp.route("/districts/<code>/rules/preview", methods=["POST"])
@blp.arguments(RuleDraft)
@blp.response(200, Preview)
@token_required
def preview(body, code):
    """What the draft would change for the district's current projects; nothing is saved."""
    return draft_preview.preview(g.user, code, body["values"], body.get("effective_from"), lang=lang())


@blp.route("/rules/parameters", methods=["GET"])
@blp.response(200, Parameter(many=True))
@token_required
def parameters():
    """The parameter catalogue: types, defaults, options, and which process files read each one."""
    return rulebook.parameters(lang())


@blp.route("/rules/districts", methods=["GET"])
@token_required
def side_by_side():
    """The districts' rules in force side by side (the districts the caller may read)."""
    return rulebook.side_by_side(g.user, lang())
