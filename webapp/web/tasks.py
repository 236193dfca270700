"""The task page: project summary, diagram, history, and the task's form (draft or submit)."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import checked_object
from ..services.casefile import timeline
from ..services.designer import task_forms
from ..services.errors import Forbidden, NotFound, ValidationFailed
from ..services.inbox import claims, drafts
from ..services.ledger import queries
from ..services.lifecycle import idempotency, instances
from ..services.security import policy, privacy
from ..services.security.audit import client_ip
from . import formkit
from .common import form_title
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("taskpage", __name__)
handle_refusals(bp)


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def show(task_id):
    # A submission sent again (the offline queue, a double tap) with the key of one already applied.
    key = (
        (request.headers.get("Idempotency-Key") or request.form.get("idempotency_key"))
        if request.method == "POST" and request.form.get("action") != "draft"
        else None
    )
    if idempotency.replay(current_user, key, f"complete:{task_id}") is not None:
        flash(_("This submission was already received."), "info")
        return redirect(url_for("inbox.index"))
    try:
        task = queries.visible_task(current_user, task_id)
    except NotFound:
        if queries.task_was_completed(task_id):
            flash(_("This task has already been handled."), "warning")
            return redirect(url_for("inbox.index"))
        raise
    project = task.project
    definition = instances.task_form(task.form_key, task_forms.version_of_instance(task.instance_id))
    can_do = policy.can_do_task(current_user, task)
    facts = privacy.for_viewer(current_user, project, queries.project_data(project))
    values, errors, draft_at, status = {}, {}, None, 200
    # What the form starts with and quotes (the proposed deadline), and the hazards it judges.
    # The task's step as the access check read it, for the form's start (read again if it is gone).
    checked = checked_object()
    known, start, live = instances.form_start(task, definition, checked) if definition and can_do else ({}, {}, [])

    if request.method == "POST":
        if request.form.get("task_id") != task_id:
            abort(400)
        if not can_do:
            raise Forbidden("this task belongs to another role or person")
        values, _ids, upload_errors = (
            formkit.read_submission(definition, request.form, request.files, current_user, lang())
            if definition
            else ({}, {}, {})
        )
        if request.form.get("action") == "draft":
            drafts.save(current_user, task_id, values)
            for message in upload_errors.values():
                flash(message, "error")
            flash(_("Draft saved."), "success")
            return redirect(url_for("taskpage.show", task_id=task_id))
        if request.form.get("action") == "all_ok":
            # 全部合格 without JavaScript: every unanswered checklist item OK, the exceptions to mark.
            values = formkit.all_ok(definition, values, instances.checklist_for(facts))
            flash(_("Every item is marked OK: now mark the exceptions."), "info")
        else:
            # Completing deletes the task's row: what the confirmation names is read first.
            done = {"task": form_title(task.form_key, task.title), "reg_no": project.reg_no}

            def act():
                checkin = {k: request.form.get(k) for k in ("checkin_lat", "checkin_lng") if request.form.get(k)}
                done = instances.complete(
                    current_user,
                    task_id,
                    dict(values, **checkin),
                    lang=lang(),
                    ip=client_ip(),
                    refused_uploads=upload_errors,
                    step=checked,
                )
                return idempotency.completion_outcome(done.project, queries.task_rows(done.project, done.tasks))

            try:
                idempotency.once(current_user, key, f"complete:{task_id}", act, lang())
            except ValidationFailed as exc:
                errors, status = exc.errors, 422
            else:
                flash(_("Done: %(task)s — %(reg_no)s.", **done), "success")
                return redirect(url_for("inbox.index"))
    elif can_do:
        draft = drafts.load(current_user, task_id)
        if draft:
            values, draft_at = draft
        else:
            values = dict(start)

    options, checklist = instances.form_inputs(definition, project, facts) if can_do else (None, None)
    bundle = timeline.bundle_of(project)
    rows = formkit.describe_events(
        privacy.events_for_viewer(current_user, project, timeline.timeline(project, bundle)), lang()
    )
    return render_template(
        "tasks/show.html",
        task=task,
        project=project,
        facts=facts,
        can_do=can_do,
        holder=claims.holders([task.claimed_by_id]).get(task.claimed_by_id),
        definition=definition,
        fields=formkit.field_views(
            definition, values, errors, lang(), options=options, checklist_items=checklist, hazards=live, facts=known
        )
        if definition and can_do
        else [],
        errors=errors,
        draft_at=draft_at,
        events=rows,
        markers=timeline.markers(project, rows),
        summary=formkit.summary_rows(facts, lang()),
        idempotency_key=uuid.uuid4().hex,
    ), status
