"""Sign in, sign out, language choice."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..services.auth import authenticate
from .i18n import LANGUAGES
from .errors import handle_refusals

bp = Blueprint("auth", __name__)
handle_refusals(bp)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an absolute URL that leads elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user = authenticate(username, request.form.get("password", ""))
        if user is None:
            error = _("Wrong username or password.")
        else:
            chosen = session.get("lang")
            session.clear()  # a fresh session on every sign-in
            if chosen:
                session["lang"] = chosen
            login_user(user)
            return redirect(_safe_next(request.form.get("next")) or url_for("inbox.index"))
    return render_template("auth/login.html", error=error, username=username,
                           next=_safe_next(request.args.get("next") or request.form.get("next"))), (
        401 if error else 200)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    chosen = session.get("lang")
    session.clear()
    if chosen:
        session["lang"] = chosen
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang", methods=["POST"])
def set_language():
    code = request.form.get("lang")
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")) or url_for("inbox.index"))
