"""A grid worker's lead (吹哨) from a phone: photo, the browser's location, description."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.designer import task_forms
from ..services.errors import ValidationFailed
from ..services.ledger import queries
from ..services.lifecycle import instances
from ..services.security import policy
from ..services.security.audit import client_ip
from . import formkit, nav
from .common import page_number
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("leads", __name__, url_prefix="/leads")
handle_refusals(bp)
nav.register("leads.new", _l("Report a lead"), order=30, prefix="/leads/new")
nav.register("leads.index", _l("My leads"), order=35, prefix="/leads/mine")
PER_PAGE = 20


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    definition = task_forms.for_new_projects().get("lead")
    options = instances.registration_options(current_user)
    data, errors = {}, {}
    if len(options.get("streets", [])) == 1:
        data["street"] = options["streets"][0]
    if request.method == "POST":
        data, _ids, upload_errors = formkit.read_submission(
            definition, request.form, request.files, current_user, lang()
        )
        try:
            project = instances.report_lead(
                current_user, data, lang=lang(), ip=client_ip(), refused_uploads=upload_errors
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            flash(
                _("Lead %(reg_no)s reported; the street's inspectors have it in their inbox.", reg_no=project.reg_no),
                "success",
            )
            return redirect(url_for("leads.index") if policy.lists_own_leads(current_user) else url_for("inbox.index"))
    return render_template(
        "leads/new.html",
        errors=errors,
        fields=formkit.field_views(definition, data, errors, lang(), options=options),
    ), (422 if errors else 200)


@bp.route("/mine")
@login_required
def index():
    result = queries.reported_by(current_user, page=page_number(), per_page=PER_PAGE)
    return render_template("leads/index.html", result=result)
