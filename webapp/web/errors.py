"""HTML answers for refusals raised inside page views (the JSON API keeps its own handlers)."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..domain.errors import ScriptFailed
from ..services.errors import Conflict, Forbidden, NotFound


def page(status: int, title: str, message: str):
    return render_template("error.html", status=status, title=title, message=message), status


def _not_found(exc):
    return page(404, _("Not found"), _("There is no such item within your jurisdiction."))


def _forbidden(exc):
    return page(403, _("Not allowed"), _("Your role may not do this."))


def handle_refusals(bp) -> None:
    """Blueprint-level handlers take precedence over the API's app-wide JSON ones."""
    bp.register_error_handler(NotFound, _not_found)
    bp.register_error_handler(Forbidden, _forbidden)
    bp.register_error_handler(Conflict, _conflict)


def _conflict(exc):
    flash(_("This task has already been handled."), "warning")
    return redirect(url_for("inbox.index"))


def init_app(app) -> None:
    from ..api import api

    def for_pages(status, title, message):
        def handle(exc: HTTPException):
            if request.path.startswith("/api/"):
                return api.handle_http_exception(exc)
            return page(status, title(), message())

        return handle

    app.register_error_handler(404, for_pages(404, lambda: _("Not found"), lambda: _("This page does not exist.")))
    app.register_error_handler(403, for_pages(403, lambda: _("Not allowed"), lambda: _("Your role may not do this.")))

    json_script_failed = app.error_handler_spec[None][None].get(ScriptFailed)
    # A refusal of the access table's check (run by webapp/access.py) on a page of any blueprint: a page,
    # the API's JSON otherwise.
    for refusal, as_page in ((NotFound, _not_found), (Forbidden, _forbidden)):
        json_handler = app.error_handler_spec[None][None].get(refusal)

        def handle(exc, json_handler=json_handler, as_page=as_page):
            if request.path.startswith("/api/") and json_handler:
                return json_handler(exc)
            return as_page(exc)

        app.register_error_handler(refusal, handle)

    @app.errorhandler(ScriptFailed)
    def _script_failed(exc):
        # The process refused the data (its script or decision stopped): nothing was saved.
        if request.path.startswith("/api/") and json_script_failed:
            return json_script_failed(exc)
        return page(422, _("The process could not continue"), str(exc))

    @app.errorhandler(CSRFError)
    def _csrf_refused(exc):
        # Only pages check CSRF tokens (the API takes bearer tokens); say what to do, not just 400.
        return page(
            400,
            _("The form has expired"),
            _(
                "The form was not sent from this site's page or has expired (CSRF). Go back, reload the "
                "page and send it again."
            ),
        )

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc):
        limit = max(app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024), 1)
        if request.path.startswith("/api/"):
            return jsonify(
                code=413,
                status="Request Entity Too Large",
                message=f"上传内容过大：一次最多 {limit} MB (the upload is larger than {limit} MB)",
            ), 413
        # A page, not a redirect: the browser has not sent the rest of the form, and saying why is all we can do.
        return page(
            413, _("Upload too large"), _("The upload is too large (at most %(mb)s MB in one submission).", mb=limit)
        )
