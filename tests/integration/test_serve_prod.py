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
    proc = subprocess.run(
        [sys.executable, "-m", "webapp.cli", "serve-prod"],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "SECRET_KEY must be set" in proc.stderr


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_serves_the_api_with_timer_workers_and_stops_on_sigterm(tmp_path, postgres_url):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = _env(tmp_path, DATABASE_URL=postgres_url, SECRET_KEY="test-secret")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "webapp.cli",
            "serve-prod",
            "--workers",
            "2",
            "--timer-workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base, deadline, health = f"http://127.0.0.1:{port}", time.monotonic() + 60, None
        while time.monotonic() < deadline and health is None:
            try:
                health = json.load(urllib.request.urlopen(f"{base}/healthz", timeout=2))
            except OSError:
                time.sleep(0.3)
        assert health == {"status": "ok"}
        request = urllib.request.Request(
            f"{base}/api/v1/auth/token",
            method="POST",
            data=json.dumps({"username": "inspector_lj", "password": "demo12345"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert json.load(urllib.request.urlopen(request, timeout=10))["token"]  # the template holds the demo users
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, output
    assert "2 web worker(s) and 1 timer worker(s)" in output and "timer worker" in output, output


def test_a_child_that_dies_is_started_again_and_one_that_keeps_dying_stops_the_set(tmp_path, capsys):
    from webapp import production

    marker = tmp_path / "died-once"
    once = [
        sys.executable,
        "-c",
        f"import os, sys, time\nif not os.path.exists({str(marker)!r}):\n"
        f"    open({str(marker)!r}, 'w').close(); sys.exit(4)\ntime.sleep(60)",
    ]
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


def _children(pid: int, needle: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat[1]) == pid and needle in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.postgres
@pytest.mark.timeout(240)
def test_a_database_restart_under_load_loses_no_timer_and_the_web_tier_answers(tmp_path, postgres_server, postgres_url):
    """pg_ctl restart -m fast while serve-prod answers requests and fires timers: every request
    but those in flight during the restart itself is answered, timers resume within 3 s, none is
    lost or fired twice; then killing a timer worker leaves the web tier answering and the worker
    is started again."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import bindparam, select, text

    from tests.conftest import ApiClient, _dispose, deploy_drill_version, registration_data
    from webapp import create_app
    from webapp.config import Config
    from webapp.persistence.models import HistoryEvent, UTCDateTime, db

    app = create_app(
        Config(
            TESTING=True,
            WTF_CSRF_ENABLED=False,
            INSTANCE_DIR=str(tmp_path / "setup"),
            SQLALCHEMY_DATABASE_URI=postgres_url,
        )
    )
    deploy_drill_version(app)
    api = ApiClient(app.test_client())
    projects = []
    for _ in range(24):
        pid = api.post(
            "owner1", "/api/v1/registrations", {"data": registration_data(risk_flags=["DEMOLITION"])}
        ).get_json()["id"]
        api.complete(
            "inspector_lj",
            api.task_of("inspector_lj", pid, "first_visit")["id"],
            {"site_matches": "yes", "site_status": "IN_PROGRESS"},
        )
        projects.append(pid)

    def schedule(start):
        with app.app_context():
            for i, pid in enumerate(projects):
                db.session.execute(
                    text(
                        "UPDATE timer_job SET due_at = :at FROM process_instance p "
                        "WHERE p.id = timer_job.instance_id AND p.project_id = :pid"
                    ).bindparams(bindparam("at", type_=UTCDateTime())),
                    {"at": start + timedelta(seconds=0.25 * i), "pid": pid},
                )
            db.session.commit()
        _dispose(app)

    # Not due while serve-prod starts (which takes as long as the machine is busy): the schedule
    # below starts once it answers.
    schedule(datetime.now(timezone.utc) + timedelta(hours=1))

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = _env(tmp_path, DATABASE_URL=postgres_url, SECRET_KEY="test-secret", TIMER_POLL_SECONDS="0.2")
    # A file, not a pipe: an access log nobody reads would fill a pipe and stall the web workers.
    log = tmp_path / "serve-prod.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "webapp.cli",
            "serve-prod",
            "--workers",
            "2",
            "--timer-workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    answers, stop = [], {"now": False}

    def load():
        while not stop["now"]:
            sent = time.monotonic()
            try:
                status = urllib.request.urlopen(f"{base}/readyz", timeout=5).status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError as exc:
                status = type(exc).__name__
            answers.append((sent, time.monotonic(), status))
            time.sleep(0.02)

    import threading
    import urllib.error

    try:
        # The port opens only once a worker can answer (--preload): until then connections are
        # refused, never accepted and left hanging.
        deadline, hung = time.monotonic() + 90, []
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{base}/readyz", timeout=2).status == 200:
                    break
            except urllib.error.URLError as exc:
                if not isinstance(exc.reason, ConnectionRefusedError):
                    hung.append(repr(exc))
                time.sleep(0.2)
            except OSError as exc:  # a timeout: the connection was taken and not answered
                hung.append(repr(exc))
        assert hung == []
        # The timers fall due one after another across the restart.
        start = datetime.now(timezone.utc) + timedelta(seconds=6)
        schedule(start)
        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        # Restart while the timers are falling due.
        time.sleep(max(0.0, (start - datetime.now(timezone.utc)).total_seconds() + 1.5))
        restart_began = time.monotonic()
        restart_began_at = datetime.now(timezone.utc)
        postgres_server.restart()
        restart_ended = time.monotonic()
        restart_ended_at = datetime.now(timezone.utc)
        time.sleep(max(0.0, (start - datetime.now(timezone.utc)).total_seconds() + 0.25 * len(projects) + 4))

        # Killing a timer worker: the web tier goes on answering, the worker is started again.
        workers = _children(proc.pid, "webapp.cli worker")
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)
        killed = time.monotonic()
        time.sleep(3)
        stop["now"] = True
        loader.join(timeout=10)
        assert len(_children(proc.pid, "webapp.cli worker")) == 2
    finally:
        stop["now"] = True
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        output = log.read_text()

    in_flight = [a for a in answers if a[0] <= restart_ended + 0.5 and a[1] >= restart_began - 0.05]
    outside = [a for a in answers if a not in in_flight]
    assert len(outside) > 50 and all(a[2] == 200 for a in outside), (
        [a for a in outside if a[2] != 200][:10],
        restart_began,
        restart_ended,
        killed,
        output[-6000:],
    )
    # Refused politely, never a 500 or a hang.
    assert all(a[2] in (200, 503) for a in in_flight), (
        [a for a in in_flight if a[2] not in (200, 503)],
        output[output.find("Traceback") :][:3000],
    )
    after_kill = [a for a in answers if a[0] >= killed]
    assert after_kill and all(a[2] == 200 for a in after_kill)
    assert "started again" in output, output

    check = create_app(Config(TESTING=True, INSTANCE_DIR=str(tmp_path / "check"), SQLALCHEMY_DATABASE_URI=postgres_url))
    with check.app_context():
        rows = db.session.execute(
            select(HistoryEvent.project_id, HistoryEvent.at).where(HistoryEvent.element_id == "patrol_due")
        ).all()
        due = {pid: start + timedelta(seconds=0.25 * i) for i, pid in enumerate(projects)}
    _dispose(check)
    fired = {}
    for project_id, at in rows:
        fired.setdefault(project_id, []).append(at)
    assert sorted(fired) == sorted(projects)  # none lost
    assert all(len(times) == 1 for times in fired.values()), fired  # none doubled
    # Timers due before or during the restart fire within 3 s of its end; the others on time.
    lateness = {pid: (times[0] - max(due[pid], restart_ended_at)).total_seconds() for pid, times in fired.items()}
    assert max(lateness.values()) < 3, (lateness, restart_began_at, restart_ended_at)
    print(
        f"restart took {restart_ended - restart_began:.2f} s; requests in flight: {len(in_flight)}, "
        f"latest timer {max(lateness.values()):.2f} s after it was due or the restart ended"
    )


def test_the_versions_in_use_are_parsed_before_any_request(app):
    """serve-prod's parent (gunicorn --preload) parses them before forking its workers, so no
    worker's first request waits for the parse."""
    from webapp.persistence.models import ProcessVersion, db
    from webapp.services.designer import versions

    with app.app_context():
        versions._cache.clear()
        assert versions.warm_bundles() >= 1
        newest = db.session.scalars(db.select(ProcessVersion).order_by(ProcessVersion.id.desc())).first()
        assert newest.content_hash in versions._cache
