"""JSON API under /api/v1 (flask-smorest): OpenAPI at /api/v1/openapi.json, generated from the schemas."""

from __future__ import annotations

from flask import jsonify
from flask_smorest import Api

from ..domain.errors import ScriptFailed
from ..services.errors import Conflict, Forbidden, NotFound, ValidationFailed

api = Api()


def init_app(app) -> None:
    app.config.setdefault("API_TITLE", "小散工程和零星作业纳管 API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}})
    from . import (
        audit,
        dashboard,
        designer,
        inbox,
        integration,
        notices,
        notifications,
        operations,
        participation,
        people,
        projects,
        rules,
        tasks,
        tokens,
    )

    # The order is the order of the sections in the OpenAPI document.
    for module in (
        tokens,
        tasks,
        projects,
        operations,
        notices,
        designer,
        rules,
        dashboard,
        audit,
        participation,
        notifications,
        people,
        inbox,
        integration,
    ):
        api.register_blueprint(module.blp, url_prefix="/api/v1")

    errors = {ValidationFailed: 422, Forbidden: 403, NotFound: 404, Conflict: 409}
    for exc_class, status in errors.items():
        app.register_error_handler(exc_class, _handler(status))
    # A process step that failed on the data it was given (its script or decision refused them,
    # or left something that cannot be stored): the request is refused and nothing is saved.
    app.register_error_handler(ScriptFailed, _handler(422))


def _handler(status: int):
    def handle(exc):
        body = {"code": status, "status": type(exc).__name__, "message": str(exc)}
        if isinstance(exc, ValidationFailed):
            body["errors"] = exc.errors
        return jsonify(body), status

    return handle
