from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint, abort

from ..services.security import auth
from ..services.security.audit import client_ip
from .schemas import TokenRequest, TokenResponse

blp = Blueprint("tokens", __name__, description="Authentication")


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(200, TokenResponse)
@blp.alt_response(403, description="scopes asked for that the account does not have")
@blp.alt_response(401, description="wrong username or password (the same answer whether the user exists)")
@blp.alt_response(
    429,
    description="too many failed attempts (this username from this address, many usernames "
    "from this address, or this username lately: then a short wait)",
)
def issue(body):
    """Exchange username and password for a bearer token (expires after API_TOKEN_HOURS)."""
    attempt = auth.sign_in(body["username"], body["password"], client_ip(), channel="api")
    if attempt.blocked:
        abort(
            429,
            message=f"登录失败次数过多，请 {attempt.retry_after} 秒后再试 "
            f"(too many failed sign-ins; try again in {attempt.retry_after} s)",
            headers={"Retry-After": str(attempt.retry_after)},
        )
    if attempt.user is None:
        abort(401, message="invalid username or password")
    try:
        token, expires = auth.issue_token(attempt.user, current_app.config["API_TOKEN_HOURS"], body.get("scopes"))
    except ValueError as exc:
        abort(403, message=str(exc))
    return {"token": token, "expires_at": expires}


@blp.route("/auth/token", methods=["DELETE"])
@blp.response(204)
@blp.doc(security=[{"bearer": []}])
def revoke():
    """Revoke the bearer token sent with this request."""
    header = request.headers.get("Authorization", "")
    if not auth.revoke_token(header[7:].strip()):
        abort(401, message="invalid token")
