"""Pages of the private parties who assist: a property company's portal (its estates' projects,
registering on owners' behalf, leads, its yearly figures and stars) and an entrusted supervisor's
projects with their advisory logs; the project page's entrust and log forms post here."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.errors import Conflict, ValidationFailed
from ..services.ledger import queries
from ..services.participation import property_companies, supervision
from ..services.security.audit import client_ip
from ..services.security.policy import by_district
from . import nav
from .common import page_number, report_year
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("participation", __name__)
handle_refusals(bp)
nav.register("participation.property_home", _l("Estate projects"), order=20, prefix="/property")
nav.register("participation.supervision_home", _l("Supervised projects"), order=20, prefix="/supervision")
PER_PAGE = 20


@bp.route("/property")
@login_required
def property_home():
    year = report_year()
    result = queries.ledger(current_user, page=page_number(), per_page=PER_PAGE)
    return render_template(
        "participation/property.html",
        company=property_companies.company_of(current_user),
        result=result,
        year=year,
        may_register=by_district.registers_on_behalf(current_user),
        report=property_companies.yearly(current_user, year),
    )


@bp.route("/supervision")
@login_required
def supervision_home():
    result = queries.ledger(current_user, page=page_number(), per_page=PER_PAGE)
    return render_template("participation/supervision.html", result=result)


@bp.route("/projects/<int:project_id>/entrust", methods=["POST"])
@login_required
def entrust(project_id):
    raw = (request.form.get("supervisor_id") or "").strip()
    # "none" withdraws the supervisor; anything but an account id is refused by the service's check.
    choice = None if raw == "none" else int(raw) if raw.isascii() and raw.isdigit() else -1
    try:
        supervision.entrust(current_user, project_id, choice, lang=lang(), ip=client_ip())
    except ValidationFailed as exc:
        flash("; ".join(exc.errors.values()), "error")
    else:
        flash(_("Entrusted supervisor saved."), "success")
    return redirect(url_for("ledger.project", project_id=project_id) + "#supervision")


@bp.route("/projects/<int:project_id>/advisory", methods=["POST"])
@login_required
def advisory(project_id):
    data = {k: request.form.get(k) for k in ("visited_on", "findings", "concern", "raise_lead")}
    try:
        log = supervision.record_log(current_user, project_id, data, lang=lang(), ip=client_ip())
    except ValidationFailed as exc:
        flash("; ".join(f"{_field_label(k)}: {v}" for k, v in exc.errors.items()), "error")
    except Conflict as exc:  # the log is saved, its lead is not
        flash(str(exc), "error")
    else:
        flash(
            _("Log recorded; the street's inspectors have a lead to check.")
            if log.lead_project_id
            else _("Log recorded."),
            "success",
        )
    return redirect(url_for("ledger.project", project_id=project_id) + "#supervision")


def _field_label(key: str) -> str:
    return {
        "visited_on": _("Visit date"),
        "findings": _("Findings"),
        "concern": _("Concern"),
        "raise_lead": _("Raise a lead"),
    }.get(key, key)
