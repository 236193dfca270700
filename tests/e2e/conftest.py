"""A live server in a thread and Debian's chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import copy_sqlite
from webapp import create_app
from webapp.config import Config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_app(tmp_path, monkeypatch, sqlite_template):
    """The app on a copy of the session's template database (what `prepare` makes, without
    replaying the migrations and hashing the demo users for each browser test)."""
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setenv("INSTANCE_DIR", str(instance))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    copy_sqlite(sqlite_template, instance / "xiaosan.db")
    return create_app(Config(TESTING=False, WTF_CSRF_ENABLED=True))  # CSRF on, as in production


@pytest.fixture
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: $E2E_SCREENSHOTS if set (to look at them), else the test's tmp dir."""
    directory = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory
