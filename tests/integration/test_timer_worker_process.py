"""The timer worker, as `make run` starts it, fires a due timer with no request arriving."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ApiClient, deploy_drill_version, registration_data

ROOT = Path(__file__).resolve().parents[2]


def test_worker_process_fires_short_timer_on_its_own(app, tmp_path):
    deploy_drill_version(app)
    api = ApiClient(app.test_client())
    pid = api.post(
        "owner1", "/api/v1/registrations", {"data": registration_data(risk_flags=["DEMOLITION"])}
    ).get_json()["id"]
    first = api.task_of("inspector_lj", pid, "first_visit")
    api.complete("inspector_lj", first["id"], {"site_matches": "yes", "site_status": "IN_PROGRESS"})
    assert api.tasks("inspector_lj", "patrol") == []

    env = dict(os.environ, INSTANCE_DIR=app.config["INSTANCE_DIR"], PYTHONPATH=str(ROOT))
    worker = subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "worker", "--poll", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not api.tasks("inspector_lj", "patrol"):
            time.sleep(0.2)
        patrol = api.task_of("inspector_lj", pid, "patrol")
        still_polling = worker.poll() is None
    finally:
        worker.terminate()
        output = worker.communicate(timeout=10)[0]
    assert patrol["title"] == "日常巡查", output
    assert still_polling, output  # firing a timer does not end the worker
    assert worker.returncode == 0, output  # SIGTERM ends it cleanly between batches
    history = [h["element_id"] for h in api.project("city", pid)["history"]]
    assert history.count("patrol_due") == 1


def test_worker_waits_out_a_database_outage_and_carries_on(app, monkeypatch, caplog):
    """A database restart cut the worker's connection: it logs, backs off and reconnects, where it
    used to die with the OperationalError."""
    from sqlalchemy.exc import OperationalError

    from webapp import cli
    from webapp.services.lifecycle import timers

    calls = []

    def flaky(worker_id, limit, lock_seconds):
        calls.append(time.monotonic())
        if len(calls) <= 3:
            raise OperationalError("UPDATE timer_job", {}, Exception("server closed the connection unexpectedly"))
        return 1

    monkeypatch.setattr(timers, "fire_due_timers", flaky)
    with caplog.at_level("WARNING", logger="webapp.cli"):
        cli.run_worker(app, poll=0.01, once=True)
    assert len(calls) == 4
    gaps = [b - a for a, b in zip(calls, calls[1:])]
    assert gaps[0] >= cli.DB_BACKOFF_FIRST and gaps[2] > gaps[0]  # backing off
    assert sum(gaps) < 3  # but briefly: timers resume within seconds of the database
    assert "database unavailable" in caplog.text and "reachable again" in caplog.text
