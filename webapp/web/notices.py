"""Notices as printable documents: one page per notice (print stylesheet), lists for the owner's
portal and the project page (Jinja globals, so those pages only include a partial)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services.casefile import attachments, notice_pdf, notices
from ..services.errors import ValidationFailed
from ..services.security import audit, policy
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("notices", __name__)
handle_refusals(bp)


@bp.record_once
def _globals(state):
    state.app.jinja_env.globals.update(
        project_documents=_project_documents, notice_title=lambda kind: notices.title(kind, lang())
    )


@bp.route("/notices/<int:notice_id>")
@login_required
def show(notice_id):
    notice, project = notices.visible(current_user, notice_id)
    # A notice is a legal document naming the owner: who opened or printed it is on record.
    audit.record(
        "document_view",
        user=current_user,
        object_type="notice",
        object_id=notice.number,
        details={"project_id": project.id, "kind": notice.kind},
    )
    return _page(notice, project, notices.service_record(notice), {})


def _page(notice, project, service, errors: dict) -> str:
    """The notice with its service record, or the service form (with its errors) while it has none."""
    return render_template(
        "notices/show.html",
        notice=notice,
        document=notices.document(notice),
        project=project,
        pdf=notice_pdf.available(),
        service=service,
        methods=notices.SERVICE_METHODS,
        errors=errors,
        can_serve=policy.is_street_staff(current_user, project) and notice.served_at is None,
    )


@bp.route("/notices/<int:notice_id>/service", methods=["POST"])
@login_required
def serve(notice_id):
    """The service record (送达回证) of a notice: method, addressee, photo of signature or posting."""
    notice, project = notices.visible(current_user, notice_id)
    photos = []
    try:
        for upload in request.files.getlist("photos"):
            if upload and upload.filename:
                photos.append(attachments.store(current_user, upload.stream, upload.filename, lang()).id)
        notices.record_service(
            current_user,
            notice_id,
            method=request.form.get("method", ""),
            served_to=request.form.get("served_to", ""),
            photos=photos,
            note=request.form.get("note", ""),
        )
    except (ValidationFailed, attachments.UploadRefused) as exc:
        errors = getattr(exc, "errors", {"photos": str(exc)})
        return _page(notice, project, None, errors), 422
    attachments.link(photos, project.id)
    flash(_("Service recorded."), "success")
    return redirect(url_for("notices.show", notice_id=notice_id))


@bp.route("/notices/<int:notice_id>.pdf")
@login_required
def pdf(notice_id):
    notice, project = notices.visible(current_user, notice_id)
    if not notice_pdf.available():
        abort(404)
    audit.record(
        "document_view",
        user=current_user,
        object_type="notice",
        object_id=notice.number,
        details={"project_id": project.id, "kind": notice.kind, "format": "pdf"},
    )
    return Response(
        notice_pdf.render(notice, project.reg_no),
        mimetype="application/pdf",
        headers={"Content-Disposition": f"inline; filename={notice.id}.pdf", "Cache-Control": "private, no-store"},
    )


def _project_documents(project) -> list:
    if not current_user.is_authenticated or not policy.can_see_project(current_user, project):
        return []
    return notices.for_project(project)
