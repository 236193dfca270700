"""`make bench` / `python -m bench.run [--quick] [--only service,http]`: the figures of issue 6, on the
shipped code.

Prints a table (median and p95 of one run each) and writes bench/results.json, one key per
figure, times in milliseconds. Sizes shrink with --quick (about two minutes in all).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select, text

from . import common
from .common import FIRST_VISIT, stats, timed

RESULTS = Path(__file__).resolve().parent / "results.json"


class Report:
    def __init__(self):
        self.figures: dict[str, float] = {}
        self.rows: list[tuple[str, str]] = []
        self.targets: list[dict] = []

    def target(
        self, name: str, value: float, target: float, unit: str, at_least: bool = False, valid: bool = True
    ) -> None:
        """One target of issue 19, measured in this run: printed beside its figure, kept for results.json.
        `valid` False: the measurement itself failed (e.g. a timer never fired), so it is not met."""
        met = valid and (value >= target if at_least else value <= target)
        self.targets.append({"name": name, "value": round(value, 3), "target": target, "unit": unit, "met": met})
        bound = ">=" if at_least else "<="
        print(
            f"  -> target {name:<52} {value:10.2f} {unit:<6} {bound} {target:<8} {'met' if met else 'NOT MET'}",
            flush=True,
        )

    def add(
        self,
        key: str,
        label: str,
        samples_ms: list[float] | None = None,
        value: float | None = None,
        unit: str = "ms",
        extra: str = "",
    ) -> dict | None:
        if samples_ms is not None:
            s = stats(samples_ms)
            self.figures[f"{key}_median_ms"] = round(s["median"], 3)
            self.figures[f"{key}_p95_ms"] = round(s["p95"], 3)
            shown = f"median {s['median']:8.2f} ms   p95 {s['p95']:8.2f} ms   (n={s['n']}) {extra}"
            self.rows.append((label, shown))
            print(f"  {label:<58} {shown}", flush=True)
            return s
        self.figures[key] = round(value, 3)
        shown = f"{value:8.2f} {unit} {extra}"
        self.rows.append((label, shown))
        print(f"  {label:<58} {shown}", flush=True)
        return None


# -- (1) the floor ------------------------------------------------------------------------------
class Floor:
    """Bare SpiffWorkflow completing the first visit of a fresh registration in memory, with
    Spiff's own script engine (the diagrams call rule(name, default): defaults here) and no sandbox."""

    def __init__(self):
        from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
        from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

        from webapp.domain import deadlines, workdays
        from webapp.domain.catalog import parse_bundle
        from webapp.domain.engine import SERIALIZER_CONFIG
        from webapp.services.designer.versions import read_directory

        self.bundle = parse_bundle(read_directory(str(common.ROOT / "processes")))
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SERIALIZER_CONFIG))
        # As register_project starts it: a site outside any special area.
        self.start_data = dict(common.registration(), channel="owner", district="350203", special_areas=[])

        # The date helpers the diagrams call are pure functions: the floor uses them as they are.
        def rule(name, default=None):
            return workdays.resolve(default, datetime.now(timezone.utc))

        helpers = {"rule": rule, **deadlines.script_helpers()}
        self.engine = PythonScriptEngine(environment=TaskDataEnvironment(helpers))

    def sample(self, state_only: bool = False) -> float:
        """Milliseconds to complete the task and serialize the workflow (or only its state)."""
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.task import TaskState

        from webapp.domain.engine import workflow_to_state

        workflow = BpmnWorkflow(self.bundle.spec, self.bundle.subprocess_specs, script_engine=self.engine)
        workflow.get_next_task(state=TaskState.READY).data.update(self.start_data)
        workflow.do_engine_steps()
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        start = time.perf_counter()
        task.data.update(FIRST_VISIT)
        task.run()
        workflow.do_engine_steps()
        if state_only:
            workflow_to_state(workflow)
        else:
            self.serializer.serialize_json(workflow)
        return (time.perf_counter() - start) * 1000


def bench_floor(report: Report, n: int) -> None:
    report.floor_sampler = floor = Floor()
    full, state_only = [], []
    for _ in range(n):
        full.append(floor.sample())
        state_only.append(floor.sample(state_only=True))
    report.floor = report.add(
        "1_floor_spiff_complete_serialize", "(1) floor: bare Spiff complete + serialize_json", full
    )["median"]
    report.add("1_floor_spiff_complete_state_only", "    variant: bare Spiff complete + state-only JSON", state_only)


# -- (2) our cost per completion ----------------------------------------------------------------
def bench_service(report: Report, app, label: str, key: str, n: int) -> None:
    """Each completion is timed right after a floor sample, so that both see the machine in the
    same state (a shared machine's speed drifts between one phase and the next); the ratio is to
    the floor measured alongside."""
    from webapp.services.lifecycle import instances

    with app.app_context():
        template = common.project_waiting_for("first_visit")
        tasks = common.inbox_task_ids(common.clone_projects(template, n))
        inspector = common.user("inspector_lj")
        floor, samples = [], []
        for task_id in tasks:
            floor.append(report.floor_sampler.sample())
            samples.append(timed(instances.complete, inspector, task_id, FIRST_VISIT)[0])
    s = report.add(key, f"(2) service layer complete, {label}", samples)
    alongside = report.add(f"{key}_floor_alongside", "    floor, sampled between the completions", floor)
    ratio = s["median"] / alongside["median"]
    report.add(f"{key}_ratio_to_floor", f"    ratio to the floor alongside, {label}", value=ratio, unit="x")
    postgres = "postgres" in key
    report.target(
        f"1_service_layer_over_floor_{'postgres' if postgres else 'sqlite'}", ratio, 2.0 if postgres else 1.3, "x"
    )


def bench_http(report: Report, app, url: str, instance_dir: Path, n: int, projects: int) -> None:
    """One client on one gunicorn worker, the database holding `projects` projects: GET a task with
    its form, complete it, and register a project, each over a fresh connection."""
    with app.app_context():
        template = common.project_waiting_for("first_visit")
        tasks = common.inbox_task_ids(common.clone_projects(template, n))
        _fill_to(projects, template)
    server = common.Server(url, instance_dir, workers=1)
    try:
        inspector = _client(server, "inspector_lj")
        owner = _client(server, "owner1")
        got, completed, registered = [], [], []
        body = {"data": FIRST_VISIT}
        today = datetime.now(timezone.utc).date()
        registration = {
            "data": common.registration(
                planned_start=(today + timedelta(days=5)).isoformat(),
                planned_end=(today + timedelta(days=40)).isoformat(),
            )
        }
        for task_id in tasks:
            got.append(inspector("GET", f"/api/v1/tasks/{task_id}", None, 200))
            completed.append(inspector("POST", f"/api/v1/tasks/{task_id}/complete", body, 200))
            registered.append(owner("POST", "/api/v1/registrations", registration, 201))
    finally:
        server.stop()
    size = f"{projects:,} projects"
    s = report.add(
        "2_http_complete_sqlite", f"(2) HTTP POST /tasks/{{id}}/complete, 1 worker, SQLite, {size}", completed
    )
    report.http_median = s["median"]
    report.add(
        "2_http_complete_sqlite_ratio_to_floor",
        "    ratio to the floor, HTTP",
        value=s["median"] / report.floor,
        unit="x",
    )
    g = report.add("2_http_get_task_sqlite", "    HTTP GET /tasks/{id} (with its form)", got)
    r = report.add("2_http_register_sqlite", "    HTTP POST /registrations", registered)
    report.target("1_http_complete_median_sqlite", s["median"], 3.3, "ms")
    report.target("1_http_complete_p95_sqlite", s["p95"], 6.0, "ms")
    report.target("1_http_get_task_median_sqlite", g["median"], 2.0, "ms")
    report.target("1_http_register_median_sqlite", r["median"], 8.0, "ms")


def _client(server, username: str):
    """A lean API client: one request per fresh connection, the answer read in full; returns ms."""
    import http.client

    headers = {"Authorization": f"Bearer {server.token(username)}", "Content-Type": "application/json"}

    def request(method: str, path: str, payload, expect: int) -> float:
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request(method, path, body=json.dumps(payload).encode() if payload is not None else None, headers=headers)
        response = conn.getresponse()
        answer = response.read()
        conn.close()
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status == expect, (path, response.status, answer[:300])
        return elapsed

    return request


def _fill_to(projects: int, template: int) -> None:
    """Bulk copies of a waiting project until the database holds `projects` projects."""
    from webapp.persistence.models import Project, db

    have = db.session.scalar(select(text("count(*)")).select_from(Project))
    if projects > have:
        common.clone_projects(template, projects - have)


def bench_tails(report: Report, app, url: str, instance_dir: Path, count: int, seconds: float) -> None:
    """4 clients completing tasks against 4 gunicorn workers on SQLite: the spread of the answers."""
    with app.app_context():
        template = common.project_waiting_for("first_visit")
        tasks = common.inbox_task_ids(common.clone_projects(template, count))
    result = _load(url, instance_dir, 4, tasks, 4, seconds)
    latencies = result["latencies_ms"]
    s = report.add(
        "3_http_complete_4_clients_sqlite",
        "(3) HTTP complete, 4 clients, 4 workers, SQLite",
        latencies,
        extra=f"({result['ok']} ok, {result['failed']} failed)",
    )
    worst = max(latencies)
    report.add("3_http_complete_4_clients_sqlite_max", "    slowest answer", value=worst)
    one = getattr(report, "http_median", None)
    if one is not None:
        report.target("3_tails_p95_over_one_client_median_sqlite", s["p95"] / one, 3.0, "x")
    report.target("3_tails_max_sqlite", worst, 250.0, "ms")


def _load(
    url: str, instance_dir: Path, workers: int, tasks: list[str], threads: int, seconds: float, timer_workers: int = 0
) -> dict:
    """bench.load (its own process) completing `tasks` against serve-prod; its JSON answer."""
    server = common.Server(url, instance_dir, workers=workers, timer_workers=timer_workers)
    try:
        token = server.token("inspector_lj")
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
            handle.write("\n".join(tasks))
        # "--" first: a token may begin with "-"
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.load",
                "--threads",
                str(threads),
                "--seconds",
                str(seconds),
                "--",
                server.base,
                token,
                handle.name,
            ],
            cwd=common.ROOT,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
        os.unlink(handle.name)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.stop()


# -- (3) long-lived projects --------------------------------------------------------------------
def bench_long_lived(report: Report, app, window: int) -> None:
    import time_machine

    from webapp.persistence.models import InboxTask, db
    from webapp.services.designer import task_forms
    from webapp.services.lifecycle import instances
    from webapp.services.lifecycle.timers import fire_due_timers

    with app.app_context(), time_machine.travel(datetime(2027, 1, 4, 1, 0, tzinfo=timezone.utc), tick=False) as tm:
        # Works planned to last past the last cycle: past its planned end the process asks for the
        # completion to be checked instead of the next patrol.
        site = dict(risk_flags=["DEMOLITION"], planned_start="2027-01-10", planned_end="2031-12-31")
        data = common.registration(**site)
        pid = common.project_waiting_for("patrol_due", **site)
        inspector = common.user("inspector_lj")
        items = task_forms.checklist_items(data["risk_flags"], data["object_type"])
        patrol = {"site_status": "IN_PROGRESS", "outcome": "no_hazard", "checklist": {i["code"]: "OK" for i in items}}
        windows = {5: [], 200: []}
        for cycle in range(1, 200 + window + 1):
            tm.shift(timedelta(days=7, seconds=1))
            fire_ms, fired = timed(fire_due_timers, "bench")
            assert fired == 1
            task_id = db.session.scalar(
                select(InboxTask.id).where(InboxTask.project_id == pid, InboxTask.element_id == "patrol")
            )
            complete_ms, _ = timed(instances.complete, inspector, task_id, patrol)
            for start in windows:
                if start < cycle <= start + window:
                    windows[start] += [fire_ms, complete_ms]
    at5 = report.add("3_step_after_5_cycles", "(3) step (timer fire or patrol completion) at cycle 5", windows[5])
    at200 = report.add("3_step_after_200_cycles", "    same step at cycle 200", windows[200])
    report.add(
        "3_step_ratio_200_to_5",
        "    ratio 200 / 5 cycles (target <= 1.2)",
        value=at200["median"] / at5["median"],
        unit="x",
    )


# -- (4) inbox and ledger at city scale ---------------------------------------------------------
def bench_queries(report: Report, app, label: str, projects: int, history: int, repeat: int) -> None:
    from webapp.persistence.models import HistoryEvent, InboxTask, Project, db
    from webapp.services.ledger import queries

    with app.app_context():
        _bulk_rows(projects, history)
        users = {name: common.user(name) for name in ("inspector_lj", "admin_sm", "city", "enforcer_sm")}
        some = db.session.scalar(select(Project).where(Project.reg_no == f"Q-{projects // 2:07d}"))
        cases = {
            "inbox_inspector": lambda: queries.inbox(users["inspector_lj"], per_page=50),
            "inbox_enforcer": lambda: queries.inbox(users["enforcer_sm"], per_page=50),
            "ledger_city": lambda: queries.ledger(users["city"]),
            "ledger_street": lambda: queries.ledger(users["inspector_lj"]),
            "ledger_district_stage": lambda: queries.ledger(users["admin_sm"], stage="enforcement"),
            "history_of_project": lambda: queries.history(some),
            "ledger_text_search": lambda: queries.ledger(users["city"], text="鹭江道 12"),
        }
        counts = (
            db.session.scalar(select(text("count(*)")).select_from(Project)),
            db.session.scalar(select(text("count(*)")).select_from(HistoryEvent)),
            db.session.scalar(select(text("count(*)")).select_from(InboxTask)),
        )
        print(f"  [{label}: {counts[0]:,} projects, {counts[1]:,} history rows, {counts[2]:,} inbox rows]", flush=True)
        for name, query in cases.items():
            query()  # warm the cache once, as a running server has it
            samples = []
            for _ in range(repeat):
                ms, _ = timed(query)
                db.session.rollback()
                samples.append(ms)
            note = "(LIKE '%…%' scan; not a target)" if name == "ledger_text_search" else ""
            report.add(f"4_{name}_{label}", f"(4) {name}, {label}", samples, extra=note)


def _bulk_rows(projects: int, history: int) -> None:
    """Ledger, inbox and history rows written directly (executemany / COPY): no workflows run."""
    from webapp.persistence.models import HistoryEvent, InboxTask, Project, User, db

    rng = random.Random(6)
    streets = [("350203", "350203001"), ("350203", "350203002"), ("350206", "350206001"), ("350206", "350206002")]
    stages = ["registration"] * 5 + ["patrol"] * 30 + ["enforcement"] * 5 + ["writeoff"] * 60
    roles = ["inspector"] * 6 + ["owner"] * 3 + ["supervisor", "enforcer", "housing"]
    owner = db.session.scalar(select(User.id).where(User.username == "owner1"))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    base_id = (db.session.scalar(select(text("max(id)")).select_from(Project)) or 0) + 1
    project_rows, inbox_rows = [], []
    for i in range(projects):
        district, street = streets[i % 4]
        stage = rng.choice(stages)
        updated = now - timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        project_rows.append(
            {
                "id": base_id + i,
                "reg_no": f"Q-{i:07d}",
                "channel": "owner",
                "title": f"店面装修 {i}",
                "object_type": "SMALL_WORKS",
                "category": "FITOUT_NONRESIDENTIAL",
                "address": f"思明区鹭江道 {i} 号",
                "district_code": district,
                "street_code": street,
                "owner_user_id": owner if i % 3 else None,
                "stage": stage,
                "status": "bench",
                "risk_level": rng.choice(["LOW", "MEDIUM", "HIGH"]),
                "created_at": updated - timedelta(days=30),
                "updated_at": updated,
                "closed_at": updated if stage == "writeoff" else None,
            }
        )
        if stage != "writeoff":
            inbox_rows.append(
                {
                    "id": f"00000000-0000-4000-8000-{i:012d}",
                    "instance_id": None,
                    "project_id": base_id + i,
                    "element_id": "patrol",
                    "title": "日常巡查",
                    "form_key": "patrol",
                    "lane": None,
                    "role": rng.choice(roles),
                    "district_code": district,
                    "street_code": street,
                    "community_code": None,
                    "owner_user_id": owner if i % 3 else None,
                    "priority": "normal",
                    "due_at": updated + timedelta(days=rng.randrange(-5, 14)),
                    "created_at": updated,
                }
            )
    history_rows = (
        {
            "project_id": base_id + (j % projects),
            "at": now - timedelta(minutes=j),
            "actor_name": "system",
            "kind": "step",
            "element_id": "patrol_due",
            "title": "巡查到期",
            "data_json": None,
        }
        for j in range(history)
    )
    _copy(Project.__table__, project_rows)
    # inbox rows need an instance row for the foreign key: one shared stub instance is enough here
    instance_id = _stub_instance(base_id)
    _copy(InboxTask.__table__, [dict(r, instance_id=instance_id) for r in inbox_rows])
    _copy(HistoryEvent.__table__, history_rows)
    common.fix_sequences()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _stub_instance(project_id: int) -> int:
    from webapp.persistence.models import ProcessInstance, db
    from webapp.services.designer.versions import latest_version

    instance = ProcessInstance(project_id=project_id, version_id=latest_version().id, state="{}")
    db.session.add(instance)
    db.session.commit()
    return instance.id


def _copy(table, rows) -> None:
    """COPY on PostgreSQL, executemany on SQLite, in chunks."""
    from webapp.persistence.models import db

    columns = [c.name for c in table.columns if c.name != "id" or table.name != "history_event"]
    # A column the rows leave out gets its model default (NOT NULL columns added since, e.g. counters).
    defaults = {c.name: c.default.arg for c in table.columns if c.default is not None and c.default.is_scalar}
    rows = ({**{k: v for k, v in defaults.items() if k not in row}, **row} for row in rows)
    connection = db.session.connection().connection.dbapi_connection
    if db.engine.dialect.name == "postgresql":
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row.get(c) for c in columns])
    else:
        placeholders = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"
        cursor = connection.cursor()
        while True:
            chunk = [[_sqlite_value(row.get(c)) for c in columns] for row in itertools.islice(rows, 50_000)]
            if not chunk:
                break
            cursor.executemany(sql, chunk)
    db.session.commit()


def _sqlite_value(value):
    from webapp.persistence.models import sqlite_micros

    return sqlite_micros(value) if isinstance(value, datetime) else value


# -- (5) timer lateness -------------------------------------------------------------------------
def bench_timers(report: Report, app, url: str, instance_dir: Path, count: int, spread: float, workers: int) -> None:
    """`count` timers falling due within `spread` seconds, fired by `workers` timer workers while 4
    clients complete tasks against 2 gunicorn workers on the same database."""
    from webapp.persistence.models import HistoryEvent, ProcessInstance, TimerJob, db

    with app.app_context():
        busy = common.inbox_task_ids(
            common.clone_projects(common.project_waiting_for("first_visit"), int(150 * spread))
        )
        template = common.project_waiting_for("patrol_due", risk_flags=["DEMOLITION"])
        lead = 8 + count / 200  # time to write the copies before the first one falls due
        first = datetime.now(timezone.utc) + timedelta(seconds=lead)
        due = [first + timedelta(seconds=spread * i / count) for i in range(count)]
        random.Random(5).shuffle(due)
        ids = common.clone_projects(template, count, due_times=due)
        db.session.execute(
            text("DELETE FROM timer_job WHERE instance_id = (SELECT id FROM process_instance WHERE project_id = :p)"),
            {"p": template},
        )
        db.session.commit()
    env = dict(os.environ, DATABASE_URL=url, INSTANCE_DIR=str(instance_dir), PYTHONPATH=str(common.ROOT))
    server = common.Server(url, instance_dir, workers=2)
    token = server.token("inspector_lj")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(busy))
    wait = (first - datetime.now(timezone.utc)).total_seconds() - 1
    load = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--threads",
            "4",
            "--seconds",
            str(wait + spread + 3),
            "--",
            server.base,
            token,
            handle.name,
        ],
        cwd=common.ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "webapp.cli", "worker"],
            cwd=common.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        deadline = time.monotonic() + lead + spread + 120
        with app.app_context():
            while time.monotonic() < deadline:
                left = db.session.scalar(
                    select(text("count(*)"))
                    .select_from(TimerJob)
                    .where(
                        TimerJob.instance_id.in_(select(ProcessInstance.id).where(ProcessInstance.project_id.in_(ids)))
                    )
                )
                db.session.rollback()
                if left == 0:
                    break
                time.sleep(1)
            fired = dict(
                db.session.execute(
                    select(HistoryEvent.project_id, HistoryEvent.at).where(
                        HistoryEvent.element_id == "patrol_due", HistoryEvent.project_id.in_(ids)
                    )
                ).all()
            )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        loaded = json.loads(load.communicate(timeout=spread + 120)[0].strip().splitlines()[-1])
        os.unlink(handle.name)
        server.stop()
    lateness = [max(0.0, (fired[pid] - due[i]).total_seconds() * 1000) for i, pid in enumerate(ids) if pid in fired]
    s = report.add(
        "5_timer_lateness", f"(5) timer lateness, {count} due within {spread:.0f} s, {workers} workers, PG", lateness
    )
    report.add("5_timer_lateness_p99", "    p99 lateness", value=s["p99"])
    report.add("5_timers_not_fired", "    timers not fired", value=count - len(lateness), unit="")
    report.add(
        "5_web_load_completions_per_s",
        "    web load meanwhile: completions/s (4 clients, 2 workers)",
        value=loaded["ok"] / loaded["seconds"],
        unit="/s",
        extra=f"({loaded['ok']} ok, {loaded['failed']} failed)",
    )
    report.target("4_timer_lateness_p99_under_load", s["p99"], 1000.0, "ms", valid=len(lateness) == count)


# -- (6) throughput -----------------------------------------------------------------------------
def bench_throughput(report: Report, app, url: str, instance_dir: Path, count: int, seconds: float) -> None:
    rates = {}
    for workers in (1, 2):
        with app.app_context():
            template = common.project_waiting_for("first_visit")
            tasks = common.inbox_task_ids(common.clone_projects(template, count))
        result = _load(url, instance_dir, workers, tasks, 6, seconds)
        rates[workers] = result["ok"] / result["seconds"]
        report.add(
            f"6_completions_per_s_{workers}_worker",
            f"(6) completions/s, {workers} gunicorn worker(s), PG",
            value=rates[workers],
            unit="/s",
            extra=f"({result['ok']} ok, {result['failed']} failed)",
        )
    report.add(
        "6_speedup_2_over_1",
        "    2 workers / 1 worker",
        value=rates[2] / rates[1],
        unit="x",
        extra=f"[{os.cpu_count()} cores shared by PG, gunicorn and the load generator]",
    )
    report.target("3_postgres_2_workers_over_1", rates[2] / rates[1], 1.8, "x", at_least=True)


# -- main ---------------------------------------------------------------------------------------
PARTS = ("service", "http", "tails", "long", "queries", "timers", "throughput", "web", "bytes", "dashboard")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (about two minutes)")
    parser.add_argument(
        "--only",
        metavar="PARTS",
        type=_parts,
        help=f"comma-separated subset of {','.join(PARTS)} (the floor always runs); "
        "figures are merged into an existing results file",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    only = args.only or set(PARTS)
    sizes = (
        dict(
            floor=100,
            service=100,
            http=100,
            http_projects=2_000,
            tails=400,
            tails_seconds=8,
            window=10,
            projects=10_000,
            history=100_000,
            repeat=20,
            timers=300,
            spread=20,
            tput=300,
            tput_seconds=8,
        )
        if quick
        else dict(
            floor=300,
            service=300,
            http=300,
            http_projects=10_000,
            tails=1500,
            tails_seconds=20,
            window=20,
            projects=100_000,
            history=1_000_000,
            repeat=100,
            timers=1000,
            spread=60,
            tput=1500,
            tput_seconds=20,
        )
    )
    import logging

    logging.disable(logging.WARNING)
    mode = "QUICK: smaller sizes than the targets name" if quick else "full"
    print(f"bench ({mode}): {os.cpu_count()} cores, Python {sys.version.split()[0]}", flush=True)
    report = Report()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="xiaosan-bench-"))
    needs_pg = only & {"service", "queries", "timers", "throughput"}
    postgres = common.start_postgres() if needs_pg else None
    pg = None
    try:
        bench_floor(report, sizes["floor"])
        sqlite_url = f"sqlite:///{work / 'bench.db'}"
        lite = common.make_app(sqlite_url, work / "instance")
        if "service" in only:
            bench_service(report, lite, "SQLite (WAL, synchronous=FULL)", "2_service_complete_sqlite", sizes["service"])
        if postgres and only & {"service", "timers", "throughput"}:
            pg = common.make_app(postgres.create_database("bench"), work / "instance")
            if "service" in only:
                bench_service(report, pg, "PostgreSQL", "2_service_complete_postgres", sizes["service"])
        if "http" in only:
            bench_http(report, lite, sqlite_url, work / "instance", sizes["http"], sizes["http_projects"])
        if "tails" in only:
            bench_tails(report, lite, sqlite_url, work / "instance", sizes["tails"], sizes["tails_seconds"])
        common.dispose(lite)
        if "long" in only:
            long_lived = common.make_app(f"sqlite:///{work / 'long.db'}", work / "instance")  # no other timers
            bench_long_lived(report, long_lived, sizes["window"])
            common.dispose(long_lived)

        if "queries" in only:
            query_lite = common.make_app(f"sqlite:///{work / 'queries.db'}", work / "instance")
            bench_queries(report, query_lite, "SQLite", sizes["projects"], sizes["history"], sizes["repeat"])
            common.dispose(query_lite)
        if postgres:
            if "queries" in only:
                query_pg = common.make_app(postgres.create_database("queries"), work / "instance")
                bench_queries(report, query_pg, "PostgreSQL", sizes["projects"], sizes["history"], sizes["repeat"])
                common.dispose(query_pg)
            if "timers" in only:
                bench_timers(report, pg, postgres.url("bench"), work / "instance", sizes["timers"], sizes["spread"], 2)
            if "throughput" in only:
                bench_throughput(
                    report, pg, postgres.url("bench"), work / "instance", sizes["tput"], sizes["tput_seconds"]
                )
            if pg is not None:
                common.dispose(pg)
        elif needs_pg:
            print("  PostgreSQL binaries not found: the PostgreSQL figures are skipped", flush=True)
        if "web" in only:
            _web_pages(report, quick)
        if "bytes" in only:
            _bytes(report, quick)
        if "dashboard" in only:
            _dashboard(report, quick)
    finally:
        if postgres:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)
    report.figures["total_seconds"] = round(time.monotonic() - started, 1)
    report.figures["cores"] = os.cpu_count()
    figures: dict = dict(report.figures, quick=quick, targets=report.targets)
    if args.only and RESULTS.exists():
        # Merged into the last run's file: this run's targets replace theirs by name, others stay.
        previous = json.loads(RESULTS.read_text())
        kept = [t for t in previous.get("targets", []) if t["name"] not in {t["name"] for t in report.targets}]
        figures = {**previous, **figures, "targets": sorted(kept + report.targets, key=lambda t: t["name"])}
    _print_targets(figures["targets"])
    RESULTS.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS} ({report.figures['total_seconds']} s)", flush=True)
    return 0


def _parts(value: str) -> set[str]:
    parts = {p.strip() for p in value.split(",") if p.strip()}
    unknown = parts - set(PARTS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}"
        )
    return parts


def _print_targets(targets: list[dict]) -> None:
    print(f"targets of issue 19: {sum(t['met'] for t in targets)} of {len(targets)} met", flush=True)
    for t in sorted(targets, key=lambda t: t["name"]):
        print(
            f"  {'met    ' if t['met'] else 'NOT MET'} {t['name']:<52} {t['value']:10.2f} {t['unit']:<6} "
            f"(target {t['target']})",
            flush=True,
        )


def _bytes(report: Report, quick: bool) -> None:
    """Bytes stored per finished project (bench/bytes.py)."""
    from . import bytes as stored

    results = stored.run(quick)
    for path, limit in (("calm", 12.0), ("enforcement", 20.0)):
        r = results[path]
        kb = r["bytes"] / 1024
        top = ", ".join(f"{name} {size / 1024:.1f}" for name, size in list(r["tables"].items())[:4])
        report.add(
            f"bytes_per_project_{path}",
            f"(bytes) stored per finished project, {path} path",
            value=kb,
            unit="KB",
            extra=f"({r['rows']} rows; {top} KB)",
        )
        report.target(f"2_bytes_per_finished_project_{path}", kb, limit, "KB")


def _dashboard(report: Report, quick: bool) -> None:
    """Dashboard server time at 100,000 projects (bench/dashboard.py; quick: 20,000 on SQLite only)."""
    from . import dashboard

    results = dashboard.run(quick)
    size = f"{results['projects']:,} projects"
    for backend in ("sqlite", "postgres"):
        for username in dashboard.USERS:
            if backend not in results:
                continue
            r = results[backend][username]
            scope = dashboard.SCOPES[username]
            report.add(
                f"dashboard_{backend}_{scope}_median_ms",
                f"(dashboard) {scope} user, {backend}, {size}",
                value=r["median"],
                unit="ms",
                extra=f"(p95 {r['p95']:.1f} ms)",
            )
            report.target(f"5_dashboard_{scope}_{backend}", r["median"], 150.0, "ms")


def _web_pages(report: Report, quick: bool) -> None:
    """Page timings with 10,000 projects (bench/web_pages.py)."""
    try:
        from . import web_pages
    except ImportError:
        return
    web = web_pages.run(quick)
    for key, value in web.items():
        unit = "ms" if "_ms" in key else ("s" if key.endswith("_s") else ("bytes" if "bytes" in key else ""))
        report.add(f"web_{key}", f"(web) {key}", value=value, unit=unit)
        if key == "web_export_city_all_ms":
            report.target(
                "5_ledger_export_10000_rows", value / 1000, 2.0, "s", valid=web.get("web_export_city_rows", 0) >= 9_900
            )  # a full city export


if __name__ == "__main__":
    sys.exit(main())
