"""Operations page (role `admin`): timer jobs that failed, their errors, and a retry button."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.lifecycle import operations
from . import nav
from .errors import handle_refusals

bp = Blueprint("ops", __name__)
handle_refusals(bp)
nav.register("ops.index", _l("Operations"), order=90, prefix="/ops")


@bp.route("/ops")
@login_required
def index():
    return render_template("ops/index.html", incidents=operations.incidents(current_user))


@bp.route("/ops/incidents/<int:instance_id>/retry", methods=["POST"])
@login_required
def retry(instance_id: int):
    operations.retry(current_user, instance_id)
    flash(_("The timer job was queued again."), "success")
    return redirect(url_for("ops.index"))


@bp.route("/ops/external-tasks/<external_task_id>/retry", methods=["POST"])
@login_required
def retry_external(external_task_id: str):
    operations.retry_external(current_user, external_task_id)
    flash(_("The external task was put back for its workers."), "success")
    return redirect(url_for("ops.index"))
