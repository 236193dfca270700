from __future__ import annotations

from flask import current_app, request
from flask_smorest import abort
from flask_smorest import Blueprint

from ..services import auth
from .schemas import TokenRequest, TokenResponse

blp = Blueprint("tokens", __name__, description="Authentication")


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(200, TokenResponse)
def issue(body):
    """Exchange username and password for a bearer token."""
    user = auth.authenticate(body["username"], body["password"])
    if user is None:
        # Same answer whether the user exists or not.
        abort(401, message="invalid username or password")
    token, expires = auth.issue_token(user, current_app.config["API_TOKEN_HOURS"])
    return {"token": token, "expires_at": expires}


@blp.route("/auth/token", methods=["DELETE"])
@blp.response(204)
def revoke():
    """Revoke the bearer token sent with this request."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not auth.revoke_token(header[7:].strip()):
        abort(401, message="invalid token")
