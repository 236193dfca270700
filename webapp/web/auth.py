"""Sign in, sign out, language choice."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..services.security import auth
from ..services.security.audit import client_ip
from . import nav
from .common import same_site_path
from .errors import handle_refusals
from .i18n import LANGUAGES

bp = Blueprint("auth", __name__)
handle_refusals(bp)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(nav.home_url(current_user))
    error, status = None, 200
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        attempt = auth.sign_in(username, request.form.get("password", ""), client_ip(), channel="web")
        if attempt.blocked and attempt.retry_after < auth.FAILURE_WINDOW.total_seconds():
            error, status = _("Too many failed sign-ins for this username. Wait a minute and try again."), 429
        elif attempt.blocked:
            # Said alike for existing and unknown usernames: it reveals nothing about accounts.
            error, status = _("Too many failed sign-ins. Wait 15 minutes and try again."), 429
        elif attempt.user is None:
            error, status = _("Wrong username or password."), 401
        else:
            _fresh_session()
            auth.bind_session(attempt.user, session)
            login_user(attempt.user)
            return redirect(same_site_path(request.form.get("next")) or nav.home_url(attempt.user))
    return render_template(
        "auth/login.html",
        error=error,
        username=username,
        next=same_site_path(request.args.get("next") or request.form.get("next")),
    ), status


def _fresh_session() -> None:
    """Nothing of the previous session survives a sign-in or sign-out but the language choice."""
    chosen = session.get("lang")
    session.clear()
    if chosen:
        session["lang"] = chosen


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    auth.end_sessions(current_user, client_ip())
    logout_user()
    _fresh_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang", methods=["POST"])
def set_language():
    code = request.form.get("lang")
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(same_site_path(request.form.get("next")) or url_for("inbox.index"))
