"""The service worker that keeps the task pages working without signal (static/js/sw.js), served
from the site's root so its scope covers every page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("offline", __name__)


@bp.route("/sw.js")
def service_worker():
    response = send_from_directory(
        Path(current_app.static_folder) / "js", "sw.js", mimetype="text/javascript", max_age=0
    )
    # A changed worker must reach the phones at their next visit, not after a cache expires.
    response.headers["Cache-Control"] = "no-cache"
    return response
