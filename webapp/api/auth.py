"""Bearer-token authentication for the JSON API (webapp.access checks every route first)."""

from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_smorest import Blueprint, abort

from ..services.security.auth import token_row


def user_from_header():
    """The user of a valid, unexpired, unrevoked bearer token; None otherwise. The token's scopes
    (a machine client's topics and messages) are kept for the request in `g.scopes`."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    row = token_row(header[7:].strip())
    g.scopes = frozenset((row.scopes or "").split()) if row is not None else frozenset()
    return row.user if row is not None else None


def scopes() -> frozenset[str]:
    """The scopes of this request's bearer token (empty for people's tokens)."""
    return g.get("scopes") or frozenset()


def refuse_unauthenticated():
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        abort(401, message="missing bearer token")
    abort(401, message="invalid, expired or revoked token")


def current_user_or_401():
    user = g.get("user") or user_from_header()
    if user is None:
        refuse_unauthenticated()
    return user


def token_required(view):
    """The route answers only a valid bearer token, and its OpenAPI operation says so."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.user = current_user_or_401()
        return view(*args, **kwargs)

    return Blueprint.doc(security=[{"bearer": []}])(wrapper)


def lang() -> str:
    return "en" if request.accept_languages.best_match(["zh", "en"], default="zh") == "en" else "zh"


def load_body(schema):
    """The JSON body loaded by a schema after the route has checked its object (so a caller outside
    the jurisdiction learns nothing from validation messages); 422 with the field messages."""
    from flask import request
    from marshmallow import ValidationError

    from ..services.errors import ValidationFailed

    try:
        return schema.load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        raise ValidationFailed(
            {k: "; ".join(v) if isinstance(v, list) else str(v) for k, v in exc.messages.items()}
        ) from exc
