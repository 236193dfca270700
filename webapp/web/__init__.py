"""HTML pages (Jinja): login, inbox, task pages, owner portal, leads, ledger.

Thin by design: every rule (validation, jurisdiction, claims, attachments) lives in services/;
a view reads the request, calls a service, renders or redirects.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from ..persistence.models import User, db
from ..services.security.auth import session_matches
from . import errors, filters, headers, nav
from .i18n import LANGUAGES, ensure_compiled, get_locale

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def init_app(app: Flask) -> None:
    ensure_compiled(app.root_path + "/translations")
    babel.init_app(app, locale_selector=get_locale, default_locale="zh", default_timezone="Asia/Shanghai")

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page says what to do
    login_manager.session_protection = "strong"

    # CSRF on every HTML form. The JSON API under /api/ authenticates with bearer tokens, not
    # cookies, so it is exempt as a whole (also any API blueprint added later).
    app.config.setdefault("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.before_request
    def _csrf_outside_api():
        if (
            app.config.get("WTF_CSRF_ENABLED", True)
            and request.method in app.config.get("WTF_CSRF_METHODS", ("POST", "PUT", "PATCH", "DELETE"))
            and not request.path.startswith("/api/")
        ):
            csrf.protect()

    from . import auth, designer, files, inbox, leads, ledger, operations, owner, tasks

    for module in (auth, inbox, tasks, files, owner, leads, ledger, designer, operations):
        app.register_blueprint(module.bp)
    from . import dashboard, meetings, notices, public

    for module in (dashboard, meetings, notices, public):
        app.register_blueprint(module.bp)
    from . import rules

    app.register_blueprint(rules.bp)
    from . import organisation

    app.register_blueprint(organisation.bp)
    from . import participation

    app.register_blueprint(participation.bp)
    from . import claims

    app.register_blueprint(claims.bp)
    from . import audit

    app.register_blueprint(audit.bp)
    from . import notifications

    app.register_blueprint(notifications.bp)
    from . import people

    app.register_blueprint(people.bp)
    from . import offline

    app.register_blueprint(offline.bp)
    from . import variants

    app.register_blueprint(variants.bp)
    nav.init_app(app)
    filters.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    # A cookie issued before the user's last sign-out loads nobody, even if someone kept a copy.
    return user if user is not None and session_matches(user, session) else None
