"""Which district runs which process version (各区流程版本): the city's version, each district's
variant, what new projects start on and where running projects are. Thin: the answer is
services.designer.deployment.district_lines, as GET /api/v1/process-variants gives it."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.designer import deployment
from ..services.security import policy
from . import nav
from .errors import handle_refusals

bp = Blueprint("variants", __name__, url_prefix="/process-variants")
handle_refusals(bp)
nav.register("variants.index", _l("District process versions"), order=81, prefix="/process-variants")


@bp.route("")
@login_required
def index():
    return render_template(
        "designer/variants.html",
        lines=deployment.district_lines(current_user),
        can_open=policy.can_read_versions(current_user),
    )
