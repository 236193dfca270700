"""Pages between people: comments and hand-over notes on a project (a partial included by the task
and project pages), stand-ins set by a street supervisor."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..domain.workdays import XIAMEN
from ..services.casefile import attachments
from ..services.errors import NotFound, ValidationFailed
from ..services.ledger import queries
from ..services.people import comments, standins
from ..services.security import policy
from . import nav
from .common import same_site_path
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("people", __name__)
handle_refusals(bp)
nav.register("people.stand_in_list", _l("Stand-ins"), order=15, prefix="/standins")


@bp.record_once
def _globals(state):
    state.app.jinja_env.globals.update(comment_thread=lambda project: comments.listing(current_user, project))


@bp.route("/projects/<int:project_id>/comments", methods=["POST"])
@login_required
def add_comment(project_id: int):
    project = queries.visible_project(current_user, project_id)
    ids = []
    for upload in request.files.getlist("photos"):
        if upload and upload.filename:
            try:
                ids.append(attachments.store(current_user, upload.stream, upload.filename, lang()).id)
            except attachments.UploadRefused as exc:
                flash(str(exc), "error")
                return _back(project_id)
    values = {
        "body": request.form.get("body"),
        "kind": request.form.get("kind"),
        "visibility": request.form.get("visibility"),
        "task_id": request.form.get("task_id"),
        "attachments": ids,
    }
    try:
        comments.add(current_user, project, values, lang())
    except ValidationFailed as exc:
        for message in exc.errors.values():
            flash(message, "error")
        return _back(project_id)
    flash(_("Your note is saved."), "success")
    return _back(project_id)


def _back(project_id: int):
    target = same_site_path(request.form.get("next")) or url_for("ledger.project", project_id=project_id)
    return redirect(target + "#comments")


@bp.route("/standins", methods=["GET", "POST"])
@login_required
def stand_in_list():
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            standins.set_stand_in(
                current_user,
                _int(values.get("user_id")),
                _int(values.get("stand_in_id")),
                _local_day(values.get("starts")),
                _local_day(values.get("ends"), end=True),
                lang(),
            )
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        else:
            flash(_("The stand-in is set."), "success")
            return redirect(url_for("people.stand_in_list"))
    people = standins.street_colleagues(current_user)
    return render_template(
        "people/standins.html",
        rows=standins.listing(current_user),
        people=people,
        inspectors=[p for p in people if policy.may_set_standin(current_user, p)],
        errors=errors,
        values=values,
    ), status


@bp.route("/standins/<int:stand_in_id>/cancel", methods=["POST"])
@login_required
def cancel_standin(stand_in_id: int):
    try:
        standins.cancel(current_user, stand_in_id)
    except NotFound:
        flash(_("No such stand-in in your street."), "warning")
    else:
        flash(_("The stand-in is cancelled."), "info")
    return redirect(url_for("people.stand_in_list"))


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _local_day(value, end: bool = False) -> datetime:
    """A date picked on the page, as the start (or the end) of that day in Xiamen; an unreadable
    date becomes a time the service refuses."""
    try:
        day = datetime.strptime((value or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return datetime.min.replace(tzinfo=XIAMEN)
    return datetime.combine(day, time.max if end else time.min, tzinfo=XIAMEN)
