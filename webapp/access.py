"""The request pipeline of the access table (services.security.policy.route_table): one
`before_request` finds the route's entry, refuses a caller it does not admit, and runs the entry's
object-level check before the view, whether or not the view checks again.

An app with an endpoint that has no entry refuses to start (and the request check would answer
403). The navigation bar shows an entry to exactly those the table lets in (`allows`).
"""

from __future__ import annotations

from flask import Flask, abort, g, request
from flask_login import current_user

from .services.security.policy.route_table import ROUTES

TABLE = "webapp/services/security/policy/route_table.py"


def allows(endpoint: str, user) -> bool:
    """Whether this signed-in user may call the route at all: its roles, and a check of the caller
    alone (an object check depends on the object). Navigation shows exactly these entries."""
    rule = ROUTES.get(endpoint)
    if rule is None:
        return False
    if rule.public:
        return True
    if not rule.admits_role(user):
        return False
    return rule.check is None or rule.check.admits(user)


def missing_entries(app: Flask) -> list[str]:
    """The app's endpoints without an entry in the access table."""
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()} - set(ROUTES))


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def caller():
    """The signed-in user of this request: bearer token under /api/, the session cookie elsewhere
    (the API never accepts cookies, so it needs no CSRF token)."""
    if is_api(request.path):
        if "user" not in g:
            from .api.auth import user_from_header

            g.user = user_from_header()
        return g.user
    return current_user if current_user.is_authenticated else None


def init_app(app: Flask) -> None:
    """Called once every blueprint is registered: an app with a route nobody decided on does not
    start."""
    missing = missing_entries(app)
    if missing:
        raise RuntimeError(f"routes without an entry in {TABLE}: {', '.join(missing)}")

    @app.before_request
    def _enforce():
        if request.endpoint is None:  # no such route (404) or method (405): Flask answers
            return None
        rule = ROUTES.get(request.endpoint)
        if rule is None:
            app.logger.error("route %s has no entry in %s: refused", request.endpoint, TABLE)
            abort(403)
        if rule.public:
            return None
        user = caller()
        if user is None:
            if is_api(request.path):
                from .api.auth import refuse_unauthenticated

                refuse_unauthenticated()
            from .web import login_manager

            return login_manager.unauthorized()
        if not rule.admits_role(user):
            abort(403)
        if rule.check is not None:
            # Raises the services' NotFound / Forbidden: the API and the pages answer them as
            # they answer the same refusal from inside a view.
            g.checked = rule.check(user, request.view_args or {}, request.method)
        return None


def checked_object():
    """What this request's access check read of the object its URL names (the task check: the
    task's step), taken once; None if it read nothing. A view starts from it instead of reading
    the same rows again."""
    return g.pop("checked", None)
