"""The audit trail page (role `auditor`): who did what, when, from where; filters and pages."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.security import audit
from . import nav
from .common import page_number
from .errors import handle_refusals
from .filters import CST
from .i18n import lang

bp = Blueprint("audit_pages", __name__)
handle_refusals(bp)
nav.register("audit_pages.index", _l("Audit trail"), order=95, prefix="/audit")
PER_PAGE = 50


@bp.route("/audit")
@login_required
def index():
    filters = {k: request.args.get(k, "").strip() for k in audit.FILTERS}
    result = audit.events(
        current_user,
        page=page_number(),
        per_page=PER_PAGE,
        action=filters["action"] or None,
        actor=filters["actor"] or None,
        object_type=filters["object_type"] or None,
        object_id=filters["object_id"] or None,
        since=_day(filters["since"]),
        until=_day(filters["until"], next_day=True),
    )
    return render_template(
        "audit/index.html",
        result=result,
        filters=filters,
        actions=[(code, audit.action_label(code, lang())) for code in audit.ACTIONS],
        label=lambda code: audit.action_label(code, lang()),
    )


def _day(text: str, next_day: bool = False) -> datetime | None:
    """A Beijing date from the filter form as the moment it starts (or the next day starts)."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1 if next_day else 0), time(0), CST)
