"""The inbox: my tasks with filters, search and pagination; claim, release and assign."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.errors import NotFound, ValidationFailed
from ..services.inbox import bulk, claims, saved_filters
from ..services.ledger import queries
from ..services.security import policy
from . import nav
from .common import page_number, same_site_path, streets_for, task_types
from .errors import handle_refusals
from .filters import STAGES
from .i18n import lang

bp = Blueprint("inbox", __name__)
handle_refusals(bp)
PER_PAGE = 20
nav.register("inbox.index", _l("Inbox"), order=10, prefix="/inbox")

FILTERS = ("form_key", "stage", "street", "overdue", "text", "claimed", "sort")


@bp.route("/")
@bp.route("/inbox")
@login_required
def index():
    if request.path == "/" and policy.is_owner_side(current_user):
        return redirect(nav.home_url(current_user))
    team = request.args.get("view") == "team" and policy.is_street_supervisor(current_user)
    filters = {k: request.args.get(k, "").strip() for k in FILTERS}
    filters["overdue"] = filters["overdue"] in ("1", "on", "true")
    result = queries.inbox(current_user, page=page_number(), per_page=PER_PAGE, filters=filters, team=team)
    return render_template(
        "inbox/index.html",
        result=result,
        filters=filters,
        team=team,
        holders=claims.holders(t["claimed_by_id"] for t in result.items),
        inspectors=claims.assignable_inspectors(current_user) if team else [],
        task_types=task_types(),
        stages=STAGES,
        streets=streets_for(current_user) if policy.spans_streets(current_user) else [],
        group_work=policy.works_in_street(current_user),
        saved=saved_filters.listing(current_user),
        patrols=queries.upcoming_patrols(current_user) if policy.is_patrol_staff(current_user) else [],
    )


def _back():
    return redirect(same_site_path(request.form.get("next")) or url_for("inbox.index"))


@bp.route("/inbox/<task_id>/claim", methods=["POST"])
@login_required
def claim(task_id):
    try:
        claims.claim(current_user, task_id)
    except claims.AlreadyClaimed:
        flash(_("Someone else in your group has already claimed this task."), "warning")
        return _back()
    flash(_("You have claimed the task; the others in your group see it as yours."), "success")
    return _back()


@bp.route("/inbox/<task_id>/release", methods=["POST"])
@login_required
def release(task_id):
    claims.release(current_user, task_id)
    flash(_("The task is back in the group's inbox."), "info")
    return _back()


@bp.route("/inbox/<task_id>/assign", methods=["POST"])
@login_required
def assign(task_id):
    try:
        assignee = int(request.form.get("assignee_id", ""))
    except ValueError:
        flash(_("Choose an inspector."), "error")
        return _back()
    task = claims.assign(current_user, task_id, assignee)
    flash(_("Assigned to %(name)s.", name=claims.holders([task.claimed_by_id]).get(task.claimed_by_id, "")), "success")
    return _back()


@bp.route("/inbox/bulk", methods=["POST"])
@login_required
def bulk_action():
    """Claim, release or assign the ticked tasks; each refused one is named."""
    try:
        assignee = int(request.form["assignee_id"]) if request.form.get("assignee_id") else None
        outcome = bulk.apply(current_user, request.form.get("bulk", ""), request.form.getlist("task_ids"), assignee)
    except (ValueError, ValidationFailed):
        flash(_("Tick the tasks and choose what to do with them."), "error")
        return _back()
    if outcome["done"]:
        flash(_("%(n)s tasks done.", n=len(outcome["done"])), "success")
    if outcome["refused"]:
        flash(
            _(
                "%(n)s tasks could not be changed (someone else holds them, or they are gone).",
                n=len(outcome["refused"]),
            ),
            "warning",
        )
    return _back()


@bp.route("/inbox/filters", methods=["POST"])
@login_required
def save_filter():
    try:
        saved = saved_filters.save(current_user, request.form.get("name", ""), request.form.to_dict(), lang())
    except ValidationFailed as exc:
        for message in exc.errors.values():
            flash(message, "error")
        return _back()
    flash(_("Filter saved."), "success")
    return redirect(url_for("inbox.index") + ("?" + saved["query"] if saved["query"] else ""))


@bp.route("/inbox/filters/<int:filter_id>/delete", methods=["POST"])
@login_required
def delete_filter(filter_id: int):
    try:
        saved_filters.delete(current_user, filter_id)
    except NotFound:
        pass  # already gone: the list shows what is left
    return redirect(url_for("inbox.index"))
