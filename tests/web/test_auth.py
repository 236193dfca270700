"""Sign in and out, CSRF on every form (not on the bearer-token API), language choice."""

from __future__ import annotations

import re

import pytest

from webapp import create_app
from webapp.cli import prepare
from webapp.config import Config


def test_pages_need_a_login(client):
    resp = client.get("/inbox")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_login_logout(pages, client):
    resp = client.post("/login", data={"username": "owner1", "password": "wrong-password"})
    assert resp.status_code == 401 and "用户名或密码错误" in resp.get_data(as_text=True)
    resp = pages.login("owner1")
    assert resp.headers["Location"].endswith("/owner/projects")  # an owner's home: my projects
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "业主张先生" in page and "我的项目" in page
    resp = pages.login("inspector_lj")
    assert resp.headers["Location"].endswith("/inbox")
    assert "我的待办" in client.get("/").get_data(as_text=True)
    resp = client.post("/logout")
    assert resp.status_code == 302
    assert client.get("/inbox").status_code == 302


def test_login_redirects_only_within_the_site(client):
    resp = client.post("/login", data={"username": "owner1", "password": "demo12345", "next": "https://evil.example/"})
    assert resp.headers["Location"].endswith("/owner/projects")  # the owner's home, not the given site
    client.post("/logout")
    resp = client.post("/login", data={"username": "owner1", "password": "demo12345", "next": "/owner/notices"})
    assert resp.headers["Location"].endswith("/owner/notices")


@pytest.fixture
def csrf_app(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path / "csrf"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    application = create_app(Config(TESTING=True, WTF_CSRF_ENABLED=True))
    prepare(application)
    return application


def test_forms_without_csrf_token_are_refused(csrf_app):
    client = csrf_app.test_client()
    resp = client.post("/login", data={"username": "owner1", "password": "demo12345"})
    assert resp.status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": "owner1", "password": "demo12345", "csrf_token": token})
    assert resp.status_code == 302
    # Signed in, a state-changing post without the token is still refused.
    assert client.post("/owner/register", data={"move": "next", "step": "0"}).status_code == 400
    assert client.post("/logout").status_code == 400


def test_bearer_token_api_needs_no_csrf_token(csrf_app):
    client = csrf_app.test_client()
    resp = client.post("/api/v1/auth/token", json={"username": "inspector_lj", "password": "demo12345"})
    assert resp.status_code == 200


def test_language_chinese_by_default_then_accept_language_then_choice(pages, client):
    assert "登录" in client.get("/login").get_data(as_text=True)
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    pages.login("inspector_lj")
    resp = client.post("/lang", data={"lang": "en", "next": "/ledger"})
    assert resp.headers["Location"].endswith("/ledger")
    page = client.get("/ledger").get_data(as_text=True)
    assert "Project ledger" in page and 'lang="en"' in page
    client.post("/lang", data={"lang": "zh"})
    assert "项目台账" in client.get("/ledger").get_data(as_text=True)


def test_navigation_by_role(pages, client):
    pages.login("owner1")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "登记项目" in page and "项目台账" not in page
    # The bar offers what the access table lets each role open: inspectors register sites they find.
    pages.login("inspector_lj")
    page = client.get("/").get_data(as_text=True)
    assert "项目台账" in page and "登记项目" in page and "认领项目" not in page
    pages.login("grid_lj")
    page = client.get("/").get_data(as_text=True)
    assert "吹哨上报" in page and "登记项目" not in page
    pages.login("owner1")
    assert client.get("/ledger").status_code == 403


# The pages this suite covers; other page sets keep their own catalogue checks.
OWN_SOURCES = (
    "web/auth.py",
    "web/inbox.py",
    "web/tasks.py",
    "web/files.py",
    "web/owner.py",
    "web/leads.py",
    "web/ledger.py",
    "web/errors.py",
    "web/filters.py",
    "web/common.py",
    "web/formkit.py",
    "templates/base.html",
    "templates/error.html",
    "templates/auth/",
    "templates/inbox/",
    "templates/tasks/",
    "templates/owner/",
    "templates/leads/",
    "templates/ledger/",
    "templates/macros/",
)


def test_catalogs_translate_every_message():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("i18n_script", Path(__file__).parents[2] / "scripts" / "i18n.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    zh, en = script.load("zh"), script.load("en")
    own = [m for m in script.extract() if m.id and any(loc.startswith(OWN_SOURCES) for loc, _ in m.locations)]
    assert len(own) > 150
    missing = [m.id for m in own if not (zh.get(m.id) and zh.get(m.id).string)]
    assert missing == [], f"run python scripts/i18n.py and translate: {missing!r}"
    assert all(en.get(m.id) is not None for m in own), "run python scripts/i18n.py"
