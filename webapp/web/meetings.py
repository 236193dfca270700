"""The joint-meeting agenda (会商研判) of a district: difficult cases of a period, decisions on each."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services import meetings, policy
from ..services.errors import ValidationFailed
from . import nav
from .common import client_ip
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("meetings", __name__)
handle_refusals(bp)
nav.register("meetings.agenda", _l("Joint meetings"), scopes=("district", "city"), order=39, prefix="/meetings")


@bp.route("/meetings", methods=["GET", "POST"])
@login_required
def agenda():
    if policy.scope_of(current_user) not in ("district", "city"):
        abort(403)
    since, until = request.values.get("since") or None, request.values.get("until") or None
    errors = {}
    if request.method == "POST":
        try:
            meetings.decide(current_user, int(request.form.get("project_id", 0)), request.form.get("decision", ""),
                            request.form.get("since", ""), request.form.get("until", ""), ip=client_ip())
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            flash(_("Decision recorded in the project's history."), "success")
            return redirect(url_for("meetings.agenda", since=since, until=until))
    try:
        data = meetings.agenda(current_user, since, until)
    except ValueError:
        abort(400)
    reasons = {k: (en if lang() == "en" else zh) for k, (zh, en) in meetings.REASONS.items()}
    return render_template("meetings/agenda.html", a=data, reasons=reasons, errors=errors,
                           can_decide=meetings.can_decide(current_user)), (422 if errors else 200)
