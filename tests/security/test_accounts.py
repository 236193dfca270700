"""Accounts and sessions: password policy, sign-in rate limiting that reveals no usernames, session
rotation and sign-out that ends copied cookies, cookie flags and SECRET_KEY in production, API
tokens that expire and can be revoked."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from tests.helpers.world import PASSWORD, build_world
from webapp.services.security.auth import hash_password, password_problems


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory)


def browser(world, ip):
    """A browser at this address (sessions are bound to the address and user agent)."""
    client = world.app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def page_text(resp) -> str:
    """The page without its CSRF token (a fresh one each time)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", resp.get_data(as_text=True))


def later(minutes):
    return time_machine.travel(datetime.now(timezone.utc) + timedelta(minutes=minutes), tick=False)


# -- passwords -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "password, username, problem",
    [
        ("short1", None, "at least 8"),
        ("password", None, "too common"),
        ("Password123", None, "too common"),
        ("qwerty2024!", None, "too common"),
        ("aaaaaaaaaa", None, "too simple"),
        ("12345678", None, "too simple"),
        ("abcdefgh", None, "too simple"),
        ("11112222", None, "too simple"),
        ("inspector_lj-2026", "inspector_lj", "username"),
    ],
)
def test_password_policy_refuses(password, username, problem):
    assert any(problem in p for p in password_problems(password, username))
    with pytest.raises(ValueError, match=problem):
        hash_password(password, username)


@pytest.mark.parametrize("password", [PASSWORD, "Gulangyu-1902", "鹭江道88号店面"])
def test_password_policy_accepts(password):
    assert password_problems(password, "owner1") == []
    assert hash_password(password).startswith("$argon2")


# -- signing in ----------------------------------------------------------------------------------
def test_wrong_password_and_unknown_user_get_the_same_answer(world):
    client = browser(world, "10.1.0.1")
    known = login(client, "inspector_lj", "wrong-password")
    unknown = login(client, "no_such_user", "wrong-password")
    assert known.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in known.get_data(as_text=True) and "用户名或密码错误" in unknown.get_data(as_text=True)
    api_known = client.post("/api/v1/auth/token", json={"username": "inspector_lj", "password": "x" * 9})
    api_unknown = client.post("/api/v1/auth/token", json={"username": "no_such_user", "password": "x" * 9})
    assert api_known.status_code == api_unknown.status_code == 401
    assert api_known.get_json() == api_unknown.get_json()


def test_five_failures_block_the_username_from_that_address_only(world):
    client = browser(world, "10.2.0.1")
    for _ in range(5):
        assert login(client, "inspector_zh", "wrong-password").status_code == 401
    blocked = login(client, "inspector_zh", PASSWORD)  # even the right password
    assert blocked.status_code == 429 and "15 分钟" in blocked.get_data(as_text=True)
    # An unknown username is blocked alike: the answer says nothing about which accounts exist.
    for _ in range(5):
        login(client, "ghost_user", "wrong-password")
    ghost = login(client, "ghost_user", "wrong-password")
    assert ghost.status_code == 429 and page_text(ghost).replace("ghost_user", "inspector_zh") == page_text(blocked)
    # The API shares the count.
    assert (
        world.app.test_client()
        .post(
            "/api/v1/auth/token",
            json={"username": "inspector_zh", "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "10.2.0.1"},
        )
        .status_code
        == 429
    )
    # Another address, and the same address after the window, sign in.
    assert login(browser(world, "10.2.0.2"), "inspector_zh", PASSWORD).status_code == 302
    with later(16):
        assert login(browser(world, "10.2.0.1"), "inspector_zh", PASSWORD).status_code == 302


def test_many_usernames_from_one_address_are_blocked(world, monkeypatch):
    from webapp.services.security import auth

    monkeypatch.setattr(auth, "MAX_USERNAMES_PER_IP", 8)  # the rule, with fewer slow failures to make
    client = browser(world, "10.3.0.1")
    for n in range(8):
        login(client, f"guess{n}", "wrong-password")
    assert login(client, "housing_sm", PASSWORD).status_code == 429


def test_a_success_clears_the_failures(world):
    client = browser(world, "10.4.0.1")
    for _ in range(4):
        login(client, "enforcer_sm", "wrong-password")
    assert login(client, "enforcer_sm", PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(4):
        login(client, "enforcer_sm", "wrong-password")
    assert login(client, "enforcer_sm", PASSWORD).status_code == 302


def test_huge_password_is_not_hashed(world):
    resp = world.app.test_client().post("/api/v1/auth/token", json={"username": "owner1", "password": "x" * 2_000_000})
    assert resp.status_code == 401


# -- sessions ------------------------------------------------------------------------------------
def _session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_session_is_rotated_at_sign_in(world):
    client = browser(world, "10.5.0.1")
    client.post("/lang", data={"lang": "en"})
    before = _session_cookie(client)
    assert login(client, "grid_lj", PASSWORD).status_code == 302
    first = _session_cookie(client)
    assert first and first != before
    client.post("/logout")
    login(client, "grid_lj", PASSWORD)
    assert _session_cookie(client) not in (before, first)
    assert "Inbox" in client.get("/inbox").get_data(as_text=True)  # the language choice survives


def test_a_copied_cookie_dies_at_sign_out(world):
    client = browser(world, "10.6.0.1")
    login(client, "admin_sm", PASSWORD)
    stolen = _session_cookie(client)
    assert client.get("/inbox").status_code == 200
    client.post("/logout")

    replay = browser(world, "10.6.0.1")
    replay.set_cookie("session", stolen)
    resp = replay.get("/inbox")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    from webapp.config import Config

    monkeypatch.setenv("XIAOSAN_ENV", "production")
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        Config()


def test_production_cookies_are_secure_httponly_samesite(monkeypatch, tmp_path):
    from webapp import create_app
    from webapp.cli import prepare
    from webapp.config import Config

    monkeypatch.setenv("XIAOSAN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-test-secret-of-enough-length")
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app(Config(TESTING=True, WTF_CSRF_ENABLED=False))
    prepare(app)
    resp = app.test_client().post(
        "/login", data={"username": "owner1", "password": PASSWORD}, base_url="https://localhost"
    )
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# -- API tokens ----------------------------------------------------------------------------------
def test_api_token_expires(world):
    token = world.new_token("city")
    headers = {"Authorization": f"Bearer {token}"}
    client = world.app.test_client()
    assert client.get("/api/v1/projects", headers=headers).status_code == 200
    with later(world.app.config["API_TOKEN_HOURS"] * 60 + 1):
        resp = client.get("/api/v1/projects", headers=headers)
    assert resp.status_code == 401 and "expired" in resp.get_json()["message"]


def test_api_token_revoked(world):
    token = world.new_token("city")
    headers = {"Authorization": f"Bearer {token}"}
    client = world.app.test_client()
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/projects", headers=headers).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 401
    assert client.get("/api/v1/projects", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_failures_of_one_username_never_lock_other_users_out_of_a_shared_address(world):
    """Behind a proxy without TRUSTED_PROXIES everyone shares one address: 30 failures of one
    username from it used to lock every sign-in there for 15 minutes."""
    client = browser(world, "10.6.0.1")
    for _ in range(30):
        assert login(client, "supervisor_lj", "wrong-password").status_code in (401, 429)
    assert login(client, "city", PASSWORD).status_code == 302


def test_a_username_under_attack_backs_off_but_is_not_locked_out_everywhere(world):
    from webapp.services.security import auth

    for n in range(auth.USER_BACKOFF_AFTER + 2):  # from many addresses: no pair reaches its limit
        login(browser(world, f"10.7.0.{n + 1}"), "admin_hl", "wrong-password")
    waiting = login(browser(world, "10.7.1.1"), "admin_hl", PASSWORD)
    assert waiting.status_code == 429 and "请稍等一分钟再试" in waiting.get_data(as_text=True)
    api = world.app.test_client().post(
        "/api/v1/auth/token",
        json={"username": "admin_hl", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.7.1.2"},
    )
    assert api.status_code == 429 and 0 < int(api.headers["Retry-After"]) <= 60
    with later(2):  # the backoff passed: the right password works from anywhere
        assert login(browser(world, "10.7.1.1"), "admin_hl", PASSWORD).status_code == 302


def test_behind_trusted_proxies_limits_key_on_the_real_client_address(world):
    from webapp import create_app
    from webapp.config import Config

    app = create_app(
        Config(
            TESTING=True,
            WTF_CSRF_ENABLED=False,
            SQLALCHEMY_DATABASE_URI=world.app.config["SQLALCHEMY_DATABASE_URI"],
            INSTANCE_DIR=world.app.config["INSTANCE_DIR"],
            TRUSTED_PROXIES=1,
        )
    )
    proxy = {"REMOTE_ADDR": "10.9.0.1"}

    def token(client_address, password):
        return app.test_client().post(
            "/api/v1/auth/token",
            json={"username": "inspector_hl", "password": password},
            environ_base=proxy,
            headers={"X-Forwarded-For": client_address},
        )

    for _ in range(5):
        assert token("203.0.113.7", "wrong-password").status_code == 401
    assert token("203.0.113.7", PASSWORD).status_code == 429  # that client is blocked ...
    assert token("198.51.100.4", PASSWORD).status_code == 200  # ... the others, behind the same proxy, are not
    # Without TRUSTED_PROXIES a forged header changes nothing: the socket address counts.
    forged = world.app.test_client().post(
        "/api/v1/auth/token",
        json={"username": "inspector_hl", "password": "x" * 9},
        environ_base={"REMOTE_ADDR": "10.9.0.2"},
        headers={"X-Forwarded-For": "1.2.3.4"},
    )
    assert forged.status_code == 401
    with world.app.app_context():
        from sqlalchemy import select

        from webapp.persistence.models import db
        from webapp.persistence.security import LoginFailure

        assert (
            db.session.scalars(select(LoginFailure.ip).where(LoginFailure.username == "inspector_hl"))
            .all()
            .count("203.0.113.7")
            == 5
        )
