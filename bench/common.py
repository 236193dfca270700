"""Shared pieces of the benchmarks: statistics, apps on SQLite or a local PostgreSQL, the shipped
production command, and bulk copies of a real instance (so sizes need not be reached by running
thousands of workflows)."""

from __future__ import annotations

import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FIRST_VISIT = {"site_matches": "yes", "site_status": "IN_PROGRESS"}


def stats(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)

    def pct(p):
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]

    return {"median": statistics.median(ordered), "p95": pct(0.95), "p99": pct(0.99), "n": len(ordered)}


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, result


def make_app(url: str, instance_dir: Path):
    """An app as shipped (WAL + synchronous=FULL on SQLite), its schema at head, demo users loaded."""
    from webapp import create_app
    from webapp.cli import prepare
    from webapp.config import Config

    instance_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(Config(SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=str(instance_dir)))
    prepare(app)
    return app


def dispose(app) -> None:
    from webapp.persistence.models import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def start_postgres(base_settings: dict | None = None):
    """A local cluster with PostgreSQL's default durability (fsync on), as a deployment runs it."""
    from webapp.persistence.local_postgres import LocalPostgres, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        return None
    return LocalPostgres(bin_dir, base_settings or {"shared_buffers": "256MB"}).start()


def user(username: str):
    from webapp.persistence.models import User, db

    return db.session.scalar(select(User).where(User.username == username))


def registration(**overrides) -> dict:
    """The registration the API tests use (a shop fit-out in 鹭江街道)."""
    sys.path.insert(0, str(ROOT))
    from tests.conftest import registration_data

    return registration_data(**overrides)


def project_waiting_for(element_id: str, **overrides) -> int:
    """Register a project (and do its first visit if the timer is wanted); returns the project id."""
    from webapp.persistence.models import InboxTask, db
    from webapp.services.lifecycle import instances

    project = instances.register_project(user("owner1"), registration(**overrides))
    if element_id == "patrol_due":
        task = db.session.scalar(select(InboxTask).where(InboxTask.project_id == project.id))
        instances.complete(user("inspector_lj"), task.id, FIRST_VISIT)
    return project.id


def clone_projects(template_pid: int, count: int, due_times=None) -> list[int]:
    """`count` copies of a project with its instance, inbox rows and timer job, task ids fresh.

    Copies are written with executemany; with `due_times`, copy i's timer falls due at due_times[i]
    (both in the instance state and in its job row).
    """
    from webapp.persistence.models import InboxTask, ProcessInstance, Project, TimerJob, db

    def row(model, *where):
        return [dict(r._mapping) for r in db.session.execute(select(model.__table__).where(*where))]

    project = row(Project, Project.id == template_pid)[0]
    instance = row(ProcessInstance, ProcessInstance.project_id == template_pid)[0]
    inbox = row(InboxTask, InboxTask.project_id == template_pid)
    jobs = row(TimerJob, TimerJob.instance_id == instance["id"])
    next_project = (db.session.scalar(select(func.max(Project.id))) or 0) + 1
    next_instance = (db.session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
    projects, instances_, inbox_rows, job_rows, ids = [], [], [], [], []
    for i in range(count):
        pid, iid, mapping = next_project + i, next_instance + i, {}

        def fresh(match):
            return mapping.setdefault(match.group(0), str(uuid.uuid4()))

        state = UUID_RE.sub(fresh, instance["state"])
        if due_times is not None and jobs:
            old = jobs[0]["due_at"].isoformat()
            state = state.replace(f'"event_value":"{old}', f'"event_value":"{_iso(due_times[i])}')
            assert _iso(due_times[i]) in state, "timer due time not found in the state"
        projects.append(dict(project, id=pid, reg_no=f"BENCH-{pid:08d}"))
        instances_.append(dict(instance, id=iid, project_id=pid, state=state))
        inbox_rows += [
            dict(t, id=mapping.get(t["id"], str(uuid.uuid4())), instance_id=iid, project_id=pid) for t in inbox
        ]
        job_rows += [
            dict(j, instance_id=iid, due_at=due_times[i] if due_times is not None else j["due_at"]) for j in jobs
        ]
        ids.append(pid)
    for model, rows in (
        (Project, projects),
        (ProcessInstance, instances_),
        (InboxTask, inbox_rows),
        (TimerJob, job_rows),
    ):
        for start in range(0, len(rows), 500):
            if rows[start : start + 500]:
                db.session.execute(insert(model.__table__), rows[start : start + 500])
    db.session.commit()
    fix_sequences()
    return ids


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat()


def fix_sequences() -> None:
    """After rows were written with explicit ids, move PostgreSQL's sequences past them."""
    from webapp.persistence.models import db

    if db.engine.dialect.name != "postgresql":
        return
    for table in ("project", "process_instance", "history_event"):
        db.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))")
        )
    db.session.commit()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The shipped production command (`python -m webapp.cli serve-prod`) on a loopback port."""

    def __init__(self, database_url: str, instance_dir: Path, workers: int, timer_workers: int = 0):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            DATABASE_URL=database_url,
            INSTANCE_DIR=str(instance_dir),
            SECRET_KEY="bench",
            XIAOSAN_ENV="production",
            PYTHONPATH=str(ROOT),
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "webapp.cli",
                "serve-prod",
                "--workers",
                str(workers),
                "--timer-workers",
                str(timer_workers),
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("serve-prod did not come up")

    def token(self, username: str) -> str:
        body = json.dumps({"username": username, "password": "demo12345"}).encode()
        request = urllib.request.Request(
            f"{self.base}/api/v1/auth/token", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        return json.load(urllib.request.urlopen(request, timeout=10))["token"]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def inbox_task_ids(project_ids: list[int]) -> list[str]:
    from webapp.persistence.models import InboxTask, db

    rows = db.session.execute(select(InboxTask.project_id, InboxTask.id).where(InboxTask.project_id.in_(project_ids)))
    by_project = dict(rows.all())
    return [by_project[pid] for pid in project_ids]
