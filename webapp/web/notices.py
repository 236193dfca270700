"""Notices as printable documents: one page per notice (print stylesheet), lists for the owner's
portal and the project page (Jinja globals, so those pages only include a partial)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user, login_required

from ..services.casefile import notice_pdf, notices
from ..services.security import audit, policy
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("notices", __name__)
handle_refusals(bp)


@bp.record_once
def _globals(state):
    state.app.jinja_env.globals.update(project_documents=_project_documents, owner_documents=_owner_documents,
                                       notice_title=lambda kind: notices.title(kind, lang()))


@bp.route("/notices/<int:notice_id>")
@login_required
def show(notice_id):
    notice, project = notices.visible(current_user, notice_id)
    # A notice is a legal document naming the owner: who opened or printed it is on record.
    audit.record("document_view", user=current_user, object_type="notice", object_id=notice.number,
                 details={"project_id": project.id, "kind": notice.kind})
    return render_template("notices/show.html", notice=notice, project=project, pdf=notice_pdf.available())


@bp.route("/notices/<int:notice_id>.pdf")
@login_required
def pdf(notice_id):
    notice, project = notices.visible(current_user, notice_id)
    if not notice_pdf.available():
        abort(404)
    audit.record("document_view", user=current_user, object_type="notice", object_id=notice.number,
                 details={"project_id": project.id, "kind": notice.kind, "format": "pdf"})
    return Response(notice_pdf.render(notice, project.reg_no), mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename={notice.id}.pdf", "Cache-Control": "private, no-store"})


def _project_documents(project) -> list:
    if not current_user.is_authenticated or not policy.can_see_project(current_user, project):
        return []
    return notices.for_project(project)


def _owner_documents() -> list:
    return notices.for_owner(current_user) if current_user.is_authenticated else []
