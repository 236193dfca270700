"""`python -m webapp.cli serve-prod`: gunicorn web workers plus timer workers on DATABASE_URL."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "XIAOSAN_ENV")}
    env.update(INSTANCE_DIR=str(tmp_path / "instance"), PYTHONPATH=str(ROOT), **extra)
    return env


def test_refuses_to_start_without_a_secret_key(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "webapp.cli", "serve-prod"], cwd=ROOT, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "SECRET_KEY must be set" in proc.stderr


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_serves_the_api_with_timer_workers_and_stops_on_sigterm(tmp_path, postgres_url):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = _env(tmp_path, DATABASE_URL=postgres_url, SECRET_KEY="test-secret")
    proc = subprocess.Popen([sys.executable, "-m", "webapp.cli", "serve-prod", "--workers", "2",
                             "--timer-workers", "1", "--bind", f"127.0.0.1:{port}"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base, deadline, health = f"http://127.0.0.1:{port}", time.monotonic() + 60, None
        while time.monotonic() < deadline and health is None:
            try:
                health = json.load(urllib.request.urlopen(f"{base}/healthz", timeout=2))
            except OSError:
                time.sleep(0.3)
        assert health == {"status": "ok"}
        request = urllib.request.Request(f"{base}/api/v1/auth/token", method="POST",
                                         data=json.dumps({"username": "inspector_lj", "password": "demo12345"}).encode(),
                                         headers={"Content-Type": "application/json"})
        assert json.load(urllib.request.urlopen(request, timeout=10))["token"]  # the template holds the demo users
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, output
    assert "2 web worker(s) and 1 timer worker(s)" in output and "timer worker" in output, output


def test_a_child_that_dies_is_started_again_and_one_that_keeps_dying_stops_the_set(tmp_path, capsys):
    from webapp import production

    marker = tmp_path / "died-once"
    once = [sys.executable, "-c", f"import os, sys, time\nif not os.path.exists({str(marker)!r}):\n"
                                  f"    open({str(marker)!r}, 'w').close(); sys.exit(4)\ntime.sleep(60)"]
    always = [sys.executable, "-c", "import sys; sys.exit(3)"]
    started = time.monotonic()
    assert production.supervise([once], lambda: time.monotonic() - started > 2) == 0
    assert "started again" in capsys.readouterr().out
    assert production.supervise([once, always], lambda: time.monotonic() - started > 30) == 3
    assert "keeps dying; stopping the rest" in capsys.readouterr().out
    assert time.monotonic() - started < 30


def test_readiness_says_whether_the_database_answers(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from webapp.persistence.models import db

    assert client.get("/readyz").get_json() == {"status": "ready"}

    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", down)
        resp = client.get("/readyz")
        assert resp.status_code == 503 and resp.get_json()["status"] == "unavailable"
        resp = client.get("/healthz")  # any request the database fails under: 503 and when to retry
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "1"
        assert "数据库暂时不可用" in resp.get_json()["message"]

