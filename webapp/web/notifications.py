"""The notification centre page: my notifications, mark read, my preferences; the delivery log
for operations."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.errors import ValidationFailed
from ..services.notifications import centre, outbox
from . import nav
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("notifications_pages", __name__)
handle_refusals(bp)
nav.register("notifications_pages.index", _l("Notifications"), order=12, prefix="/notifications")

KIND_LABELS = {
    "new_task": _l("New task"),
    "handover": _l("Hand-over awaiting acknowledgement"),
    "due_soon": _l("Due soon"),
    "overdue": _l("Overdue"),
    "escalation": _l("Escalation"),
    "notice": _l("Notice issued"),
    "mention": _l("You were mentioned"),
    "comment": _l("New comment"),
}
CHANNEL_LABELS = {
    "console": _l("Log (console)"),
    "email": _l("E-mail"),
    "sms": _l("SMS"),
    "wecom": _l("WeCom group"),
    "dingtalk": _l("DingTalk group"),
}


@bp.route("/notifications")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    return render_template(
        "notifications/index.html",
        items=centre.listing(current_user, unread_only=unread_only),
        unread_only=unread_only,
        prefs=centre.preferences(current_user),
        errors={},
        kinds=KIND_LABELS,
        channels=CHANNEL_LABELS,
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    ids = request.form.getlist("id", type=int)
    centre.mark_read(current_user, ids or None)
    return redirect(request.form.get("next") if _local(request.form.get("next")) else url_for(".index"))


@bp.route("/notifications/open/<int:notification_id>", methods=["POST"])
@login_required
def open_one(notification_id: int):
    """Mark one of the caller's own read and go where it points (the list when it is gone)."""
    target = centre.open_one(current_user, notification_id)
    return redirect(target if _local(target) else url_for(".index"))


@bp.route("/notifications/preferences", methods=["POST"])
@login_required
def preferences():
    values = {
        "channels": request.form.getlist("channels"),
        "email": request.form.get("email"),
        "quiet_start": request.form.get("quiet_start"),
        "quiet_end": request.form.get("quiet_end"),
        "muted": request.form.getlist("muted"),
    }
    try:
        centre.save_preferences(current_user, values, lang())
    except ValidationFailed as exc:
        prefs = dict(centre.preferences(current_user), **{k: v for k, v in values.items()})
        return render_template(
            "notifications/index.html",
            items=centre.listing(current_user),
            unread_only=False,
            prefs=prefs,
            errors=exc.errors,
            kinds=KIND_LABELS,
            channels=CHANNEL_LABELS,
        ), 422
    flash(_("Your notification settings are saved."), "success")
    return redirect(url_for(".index"))


@bp.route("/ops/deliveries")
@login_required
def deliveries():
    return render_template("notifications/deliveries.html", rows=outbox.delivery_log(200), channels=CHANNEL_LABELS)


def _local(target: str | None) -> bool:
    return bool(target) and target.startswith("/") and not target.startswith("//")
