"""Passwords (argon2, minimum policy), sign-in with rate limiting and audit, sessions that end at
sign-out, and API bearer tokens (random, stored hashed, expiring, revocable)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from ...persistence.models import ApiToken, User, db, utcnow
from ...persistence.security import LoginFailure
from . import audit, policy

_hasher = PasswordHasher()
# Verifying against a dummy hash when the user does not exist keeps timing the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
# Failed sign-ins allowed per (username, address) in the window: that pair is then refused.
MAX_FAILURES = 5
# Different usernames failing from one address in the window (password spraying): the address
# is refused. Addresses are the real clients' behind a proxy (TRUSTED_PROXIES).
MAX_USERNAMES_PER_IP = 30
# Failures of one username from anywhere after which each further try waits, doubling up to
# USER_BACKOFF_MAX: a backoff, not a lock, so an attacker cannot shut a user out everywhere.
USER_BACKOFF_AFTER = 10
USER_BACKOFF_MAX = timedelta(seconds=60)
FAILURE_WINDOW = timedelta(minutes=15)

# The passwords tried first by anyone guessing (lower case; a password equal to one of them, or to
# one of them followed by digits or "!", is refused).
COMMON_PASSWORDS = frozenset(
    """
password passw0rd p@ssw0rd qwerty qwertyuiop asdfghjkl zxcvbnm 1qaz2wsx qazwsx abc123 abcd1234 abcdefg
iloveyou admin administrator root letmein welcome monkey dragon sunshine princess football baseball
master shadow superman trustno1 changeme default secret test guest user login xiamen woaini woaini1314
aini1314 huang wang zhang
""".split()
)
_KEYBOARD_RUNS = ("0123456789", "9876543210", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")


# -- passwords -----------------------------------------------------------------------------------
def password_problems(password: str, username: str | None = None) -> list[str]:
    """Why this password may not be used (empty when it may): length, common or trivial, username."""
    password = password or ""
    lowered = password.lower()
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if lowered.rstrip("0123456789!") in COMMON_PASSWORDS or lowered in COMMON_PASSWORDS:
        problems.append("password is too common")
    if (
        len(set(lowered)) <= 2
        or any(lowered in run for run in _KEYBOARD_RUNS)
        or re.fullmatch(r"\d+", lowered)
        and len(set(lowered)) <= 4
    ):
        problems.append("password is too simple")
    if username and len(username) >= 3 and username.lower() in lowered:
        problems.append("password must not contain the username")
    return problems


def hash_password(password: str, username: str | None = None) -> str:
    problems = password_problems(password, username)
    if problems:
        raise ValueError("; ".join(problems))
    return _hasher.hash(password)


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == (username or "")))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    return user


# -- signing in ----------------------------------------------------------------------------------
@dataclass
class SignIn:
    """The outcome of one attempt: the user, or `blocked` (too many failures; `retry_after`
    seconds) or a plain failure. Both refusals say nothing about whether the username exists."""

    user: User | None
    blocked: bool = False
    retry_after: int = 0


def sign_in(username: str, password: str, ip: str | None, channel: str) -> SignIn:
    """Check the password unless this username and address failed too often in the last
    FAILURE_WINDOW, the address tried too many usernames, or the username is backing off; record
    the failure or success in the audit trail."""
    username = (username or "").strip()[:64]
    ip = (ip or "unknown")[:64]
    now = utcnow()
    wait = _wait(now, username, ip)
    if wait:
        audit.record("login_blocked", actor_name=username, ip=ip, details={"channel": channel})
        return SignIn(None, blocked=True, retry_after=wait)
    # A password longer than any we accept is not worth hashing (argon2 on megabytes is a DoS).
    user = authenticate(username, password) if len(password or "") <= MAX_PASSWORD_LENGTH else None
    if user is None:
        db.session.add(LoginFailure(username=username, ip=ip, at=now))
        audit.record("login_failed", actor_name=username, ip=ip, details={"channel": channel})
        return SignIn(None)
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.ip == ip))
    audit.record("login", user=user, ip=ip, details={"channel": channel})
    return SignIn(user)


def _wait(now: datetime, username: str, ip: str) -> int:
    """Seconds before this username may be tried from this address (0: now)."""
    since = now - FAILURE_WINDOW
    recent = LoginFailure.at >= since
    window = int(FAILURE_WINDOW.total_seconds())
    pair = db.session.scalar(
        select(func.count()).where(recent, LoginFailure.ip == ip, LoginFailure.username == username)
    )
    if pair >= MAX_FAILURES:
        return window
    sprayed = db.session.scalar(
        select(func.count(func.distinct(LoginFailure.username))).where(recent, LoginFailure.ip == ip)
    )
    if sprayed >= MAX_USERNAMES_PER_IP:
        return window
    count, last = db.session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(recent, LoginFailure.username == username)
    ).one()
    if count < USER_BACKOFF_AFTER:
        return 0
    pause = min(USER_BACKOFF_MAX.total_seconds(), 2 ** (count - USER_BACKOFF_AFTER))
    left = pause - (now - last).total_seconds()
    return max(0, int(left + 0.999))


def end_sessions(user: User, ip: str | None = None) -> None:
    """Sign-out: every session cookie issued to this user so far stops working."""
    user.session_version = (user.session_version or 0) + 1
    audit.record("logout", user=user, ip=ip)


# -- API tokens ----------------------------------------------------------------------------------
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, hours: int, scopes: list[str] | None = None) -> tuple[str, datetime]:
    """A bearer token; a machine client's (role integration) carries its scopes, or the `scopes`
    asked for, which must be among its own (ValueError names those that are not)."""
    granted = None
    if policy.is_integration(user):
        own = (user.scopes or "").split()
        unknown = sorted(set(scopes or ()) - set(own))
        if unknown:
            raise ValueError(f"该账号无权使用：{'、'.join(unknown)} (not scopes of this account)")
        granted = " ".join(scopes) if scopes else " ".join(own)
    token = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=hours)
    db.session.add(ApiToken(token_hash=_digest(token), user_id=user.id, expires_at=expires, scopes=granted))
    audit.record("token_issued", user=user, details={"expires_at": expires, "scopes": granted})
    return token, expires


def token_row(token: str) -> ApiToken | None:
    """A valid, unexpired, unrevoked token of an active user; None otherwise."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow() or not row.user.active:
        return None
    return row


def user_for_token(token: str) -> User | None:
    row = token_row(token)
    return row.user if row is not None else None


def revoke_token(token: str) -> bool:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    audit.record("token_revoked", user=row.user)
    return True


# -- sessions (signed cookies) ----------------------------------------------------------------------
SESSION_VERSION_KEY = "session_version"


def bind_session(user: User, session) -> None:
    """Called on a freshly cleared session at sign-in: a new random id, and the user's current
    session version, so the cookie differs from any issued before and dies at sign-out."""
    session["sid"] = secrets.token_urlsafe(16)
    session[SESSION_VERSION_KEY] = user.session_version or 0


def session_matches(user: User, session) -> bool:
    return session.get(SESSION_VERSION_KEY) == (user.session_version or 0)
