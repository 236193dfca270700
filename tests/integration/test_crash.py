"""A timer worker killed (SIGKILL) in the middle of a job: nothing half-written, the job runs again
once its lock expires, and the timer takes effect exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import BOTH_BACKENDS, ApiClient, deploy_drill_version, registration_data

ROOT = Path(__file__).resolve().parents[2]
LOCK_SECONDS = 3

# The worker as shipped, except that the job's writes are flushed and then it hangs before the
# commit: the moment a crash would hurt most.
HANGING_WORKER = """
import sys, time
from webapp.services.lifecycle import instances
write = instances._write
def write_then_hang(*args, **kwargs):
    write(*args, **kwargs)
    instances.db.session.flush()
    print("JOB WRITTEN, NOT COMMITTED", flush=True)
    time.sleep(600)
instances._write = write_then_hang
from webapp.cli import main
sys.exit(main(["worker", "--poll", "0.2"]))
"""


def _worker(app, code: str | None = None) -> subprocess.Popen:
    env = dict(
        os.environ, INSTANCE_DIR=app.config["INSTANCE_DIR"], PYTHONPATH=str(ROOT), TIMER_LOCK_SECONDS=str(LOCK_SECONDS)
    )
    args = ["-c", code] if code else ["-m", "webapp.cli", "worker", "--poll", "0.2"]
    return subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _wait_for_line(proc: subprocess.Popen, marker: str, seconds: float) -> list[str]:
    lines, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"worker never printed {marker!r}: {''.join(lines)}")


def _claim_and_revision(app, pid: int):
    from webapp.persistence.models import ProcessInstance, TimerJob, db

    with app.app_context():
        instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.project_id == pid))
        job = db.session.get(TimerJob, instance.id)
        result = (job.locked_by, job.locked_until, job.attempts) if job else None, instance.revision
        db.session.rollback()
        return result


@BOTH_BACKENDS
@pytest.mark.timeout(120)
def test_worker_killed_mid_job_leaves_nothing_and_the_timer_fires_once(app):
    deploy_drill_version(app)
    api = ApiClient(app.test_client())
    pid = api.post(
        "owner1", "/api/v1/registrations", {"data": registration_data(risk_flags=["DEMOLITION"])}
    ).get_json()["id"]
    api.complete(
        "inspector_lj",
        api.task_of("inspector_lj", pid, "first_visit")["id"],
        {"site_matches": "yes", "site_status": "IN_PROGRESS"},
    )
    revision = _claim_and_revision(app, pid)[1]
    time.sleep(2.1)

    doomed = _worker(app, HANGING_WORKER)
    try:
        _wait_for_line(doomed, "JOB WRITTEN, NOT COMMITTED", 60)
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
        doomed.stdout.close()

    # Nothing of the job is visible: same revision, no history, no patrol task; the claim remains.
    (locked_by, locked_until, attempts), after_kill = _claim_and_revision(app, pid)
    assert after_kill == revision
    assert locked_by and locked_by.endswith(f":{doomed.pid}") and attempts == 0
    history = [h["element_id"] for h in api.project("city", pid)["history"]]
    assert "patrol_due" not in history
    assert api.tasks("inspector_lj", "patrol") == []

    survivor = _worker(app)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not api.tasks("inspector_lj", "patrol"):
            time.sleep(0.2)
        fired_at = time.time()
    finally:
        survivor.terminate()
        output = survivor.communicate(timeout=10)[0]
    # Not before the dead worker's lock expired, then exactly once.
    assert fired_at >= locked_until.timestamp() - 0.5, output
    assert len(api.tasks("inspector_lj", "patrol")) == 1, output
    history = [h["element_id"] for h in api.project("city", pid)["history"]]
    assert history.count("patrol_due") == 1, output
    assert _claim_and_revision(app, pid) == (None, revision + 1)  # no timer until the patrol is done
