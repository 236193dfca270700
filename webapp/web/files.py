"""Photos: served only to users allowed to see their project (or their uploader before that)."""

from __future__ import annotations

from flask import Blueprint, send_file
from flask_login import current_user, login_required

from ..services.casefile import attachments
from .errors import handle_refusals

bp = Blueprint("files", __name__)
handle_refusals(bp)


@bp.route("/files/<attachment_id>")
@login_required
def show(attachment_id):
    row, path = attachments.for_download(current_user, attachment_id)
    response = send_file(path, mimetype=row.content_type, conditional=True, etag=row.sha256, max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response
