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
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}})
    from . import notices, operations, projects, tasks, tokens

    for module in (tokens, tasks, projects, operations, notices):
        api.register_blueprint(module.blp, url_prefix="/api/v1")

    from . import designer

    api.register_blueprint(designer.blp, url_prefix="/api/v1")

    from . import rules

    api.register_blueprint(rules.blp, url_prefix="/api/v1")

    from . import dashboard

    api.register_blueprint(dashboard.blp, url_prefix="/api/v1")

    from . import audit

    api.register_blueprint(audit.blp, url_prefix="/api/v1")

    from . import participation

    api.register_blueprint(participation.blp, url_prefix="/api/v1")

    from . import notifications

    api.register_blueprint(notifications.blp, url_prefix="/api/v1")
    from . import people

    api.register_blueprint(people.blp, url_prefix="/api/v1")
    from . import inbox

    api.register_blueprint(inbox.blp, url_prefix="/api/v1")

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
