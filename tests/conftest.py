"""Shared fixtures: an app on a fresh database (SQLite file, or PostgreSQL for tests parametrized
with BOTH_BACKENDS / marked postgres), an API client with demo users, a test clock."""

from __future__ import annotations

import itertools
import os
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine

from tests.helpers.accounts import cheap_password_hashes
from webapp import create_app
from webapp.cli import prepare
from webapp.config import Config
from webapp.persistence.local_postgres import LocalPostgres, find_bin_dir

# As with the suite's PostgreSQL (fsync off): these tests kill processes, not the machine, and WAL
# with synchronous=NORMAL survives a killed process; production keeps FULL. Worker processes the
# tests start inherit it.
os.environ.setdefault("SQLITE_SYNCHRONOUS", "NORMAL")

# Runs a test once on SQLite and once on a real PostgreSQL started by the suite.
BOTH_BACKENDS = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
_database_numbers = itertools.count(1)


@pytest.fixture
def backend(request):
    return getattr(request, "param", "sqlite")


@pytest.fixture
def app(tmp_path, monkeypatch, backend, request):
    """An app on its own copy of the session's template database (already at the migration head,
    with the shipped processes and the demo users)."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("INSTANCE_DIR", str(instance))
    if backend == "postgres":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        instance.mkdir()
        copy_sqlite(request.getfixturevalue("sqlite_template"), instance / "xiaosan.db")
    application = create_app(Config(TESTING=True, WTF_CSRF_ENABLED=False))
    yield application
    _dispose(application)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite database prepared once per session: replaying every migration and argon2-hashing
    the demo users for each test cost more than most tests take."""
    instance = tmp_path_factory.mktemp("sqlite-template")
    path = instance / "template.db"
    application = create_app(
        Config(TESTING=True, INSTANCE_DIR=str(instance), SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    )
    prepare(application)
    cheap_password_hashes(application)
    _dispose(application)
    return path


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (the template is in WAL mode)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _dispose(application) -> None:
    from webapp.persistence.models import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL cluster for the whole session (initdb/pg_ctl from the local binaries)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries not found (apt-get install postgresql, or set PG_BIN)")
    # Durability settings off: these tests kill processes, not the machine.
    server = LocalPostgres(bin_dir, {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server, tmp_path_factory):
    """A database at the migration head with processes and demo users, copied for each test."""
    url = postgres_server.create_database("xiaosan_template")
    instance = tmp_path_factory.mktemp("pg-template")
    application = create_app(Config(TESTING=True, INSTANCE_DIR=str(instance), SQLALCHEMY_DATABASE_URI=url))
    prepare(application)
    cheap_password_hashes(application)
    _dispose(application)
    return "xiaosan_template"


@pytest.fixture
def postgres_url(postgres_server, postgres_template):
    return postgres_server.create_database(f"test_{next(_database_numbers)}", template=postgres_template)


@pytest.fixture
def client(app):
    return app.test_client()


class ApiClient:
    """Talks to /api/v1 as the demo users, one bearer token each."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            resp = self.client.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"})
            assert resp.status_code == 200, resp.get_json()
            self.tokens[username] = resp.get_json()["token"]
        return self.tokens[username]

    def _send(self, method: str, username: str, path: str, **kw):
        for _ in range(2):
            resp = getattr(self.client, method)(path, headers={"Authorization": f"Bearer {self.token(username)}"}, **kw)
            if resp.status_code != 401:
                return resp
            self.tokens.pop(username)  # expired because the test clock moved on: log in again
        return resp

    def get(self, username: str, path: str, **kw):
        return self._send("get", username, path, **kw)

    def post(self, username: str, path: str, payload=None, **kw):
        return self._send("post", username, path, json=payload, **kw)

    def tasks(self, username: str, element_id: str | None = None) -> list[dict]:
        resp = self.get(username, "/api/v1/tasks")
        assert resp.status_code == 200, resp.get_json()
        rows = resp.get_json()
        return [r for r in rows if element_id is None or r["element_id"] == element_id]

    def task_of(self, username: str, project_id: int, element_id: str) -> dict:
        rows = [r for r in self.tasks(username, element_id) if r["project_id"] == project_id]
        assert len(rows) == 1, (username, element_id, self.tasks(username))
        return rows[0]

    def complete(self, username: str, task_id: str, data: dict, expect: int = 200):
        resp = self.post(username, f"/api/v1/tasks/{task_id}/complete", {"data": data})
        assert resp.status_code == expect, resp.get_json()
        return resp.get_json()

    def project(self, username: str, project_id: int) -> dict:
        resp = self.get(username, f"/api/v1/projects/{project_id}")
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()


@pytest.fixture
def api(client):
    return ApiClient(client)


class Clock:
    """Moves the wall clock that SpiffWorkflow's timers and our services read."""

    def __init__(self, coordinates):
        self.coordinates = coordinates

    def advance(self, **delta):
        self.coordinates.shift(timedelta(**delta))

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc), tick=False) as coordinates:
        yield Clock(coordinates)


def registration_data(**overrides) -> dict:
    data = {
        "object_type": "SMALL_WORKS",
        "category": "FITOUT_NONRESIDENTIAL",
        "title": "鹭江道 88 号店面装修",
        "description": "店面室内装修，含吊顶、水电改造和外立面招牌更换。",
        "street": "350203001",
        "community": "350203001001",
        "address": "思明区鹭江道 88 号",
        "latitude": 24.4556,
        "longitude": 118.0712,
        "place_type": "SHOP_STREET",
        "owner_type": "INDIVIDUAL",
        "owner_name": "张三",
        "owner_id_no": "350203198001011234",
        "owner_phone": "13800001111",
        "contractor_type": "QUALIFIED_ENTERPRISE",
        "contractor_name": "厦门安建装饰工程有限公司",
        "site_manager_name": "李四",
        "site_manager_phone": "13900002222",
        "worker_count": 6,
        "investment_wan": 35,
        "floor_area_m2": 180,
        "planned_start": "2026-12-05",
        "planned_end": "2027-01-20",
        "risk_flags": ["HEIGHT_2M", "TEMP_POWER"],
        "is_temporary": False,
        "has_safety_insurance": False,
        "commitment_signed": True,
    }
    data.update(overrides)
    return data


def for_staff(data: dict) -> dict:
    """Registration data as staff send it for an owner: the commitment is the owner's own."""
    return {key: value for key, value in data.items() if key != "commitment_signed"}


def deploy_drill_version(app) -> None:
    """Deploy processes/ with a two-second high-risk patrol interval, for tests on the real clock."""
    import re

    from webapp.persistence.models import db
    from webapp.services.designer.versions import deploy, read_directory

    files = read_directory(app.config["PROCESSES_DIR"])
    files["patrol_interval.dmn"] = re.sub(r"'P7D'", "'PT2S'", files["patrol_interval.dmn"])
    with app.app_context():
        deploy(files, actor="test")
        db.session.commit()


@pytest.fixture
def pages(client):
    """The HTML pages through Flask's test client, signing in as the demo users."""
    from tests.helpers.pages import Pages

    return Pages(client)
