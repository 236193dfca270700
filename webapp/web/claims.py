"""The owner claims a project registered on the owner's behalf (on site, or by a property company)
with the code on its receipt: the page of POST /api/v1/projects/claim, through the same service."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.errors import ValidationFailed
from ..services.lifecycle import ownership
from . import nav
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("claims", __name__, url_prefix="/owner/claim")
handle_refusals(bp)
nav.register("claims.claim", _l("Claim a project"), order=27, prefix="/owner/claim")
FIELDS = ("reg_no", "claim_code", "phone")


@bp.route("", methods=["GET", "POST"])
@login_required
def claim():
    # A receipt's link may carry the registration number.
    shown = {"reg_no": request.args.get("reg_no", ""), "claim_code": "", "phone": current_user.phone or ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        shown = {key: request.form.get(key, "").strip() for key in FIELDS}
        signed = request.form.get("commitment_signed")
        try:
            project = ownership.claim(
                current_user, shown["reg_no"], shown["claim_code"], shown["phone"], signed, lang=lang()
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            flash(_("Project %(no)s is yours now: its steps wait in your inbox.", no=project.reg_no), "success")
            return redirect(url_for("owner.projects"))
    return render_template("owner/claim.html", shown=shown, errors=errors), (422 if errors else 200)
