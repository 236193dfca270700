"""The joint-meeting agenda (会商研判) of a district: difficult cases of a period, decisions on each."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.errors import ValidationFailed
from ..services.oversight import meetings
from ..services.security import policy
from ..services.security.audit import client_ip
from . import nav
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("meetings", __name__)
handle_refusals(bp)
nav.register("meetings.agenda", _l("Joint meetings"), order=39, prefix="/meetings")


@bp.route("/meetings")
@login_required
def agenda(errors=None, status=200):
    try:
        data = meetings.agenda(current_user, request.values.get("since") or None, request.values.get("until") or None)
    except ValueError:
        abort(400)
    reasons = {k: (en if lang() == "en" else zh) for k, (zh, en) in meetings.REASONS.items()}
    return render_template(
        "meetings/agenda.html",
        a=data,
        reasons=reasons,
        errors=errors or {},
        can_decide=policy.can_decide_meetings(current_user),
    ), status


@bp.route("/meetings/<int:project_id>/decision", methods=["POST"])
@login_required
def decide(project_id):
    """Record the meeting's decision on one case (district administrators, their district's cases)."""
    since, until = request.form.get("since", ""), request.form.get("until", "")
    try:
        meetings.decide(current_user, project_id, request.form.get("decision", ""), since, until, ip=client_ip())
    except ValidationFailed as exc:
        return agenda(exc.errors, 422)
    flash(_("Decision recorded in the project's history."), "success")
    return redirect(url_for("meetings.agenda", since=since or None, until=until or None))
