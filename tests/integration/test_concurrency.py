"""Several app processes and timer workers sharing one database: nothing lost, nothing applied twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.conftest import BOTH_BACKENDS, ApiClient, registration_data

FIRST_VISIT = {"site_matches": "yes", "site_status": "IN_PROGRESS"}


def _project_with_first_visit(api, **overrides) -> tuple[int, str]:
    resp = api.post("owner1", "/api/v1/registrations", {"data": registration_data(**overrides)})
    assert resp.status_code == 201, resp.get_json()
    pid = resp.get_json()["id"]
    return pid, api.task_of("inspector_lj", pid, "first_visit")["id"]


def _count(app, model, **where) -> int:
    from webapp.persistence.models import db

    with app.app_context():
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


def _revision(app, pid: int) -> int:
    from webapp.persistence.models import ProcessInstance, db

    with app.app_context():
        return db.session.scalar(select(ProcessInstance.revision).where(ProcessInstance.project_id == pid))


def _in_threads(count: int, target) -> list:
    results, barrier = [None] * count, threading.Barrier(count)

    def run(i):
        barrier.wait()
        results[i] = target(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.postgres
@pytest.mark.timeout(180)
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_many_threads_racing_to_complete_the_same_task(app, api):
    from webapp.persistence.models import HistoryEvent, InboxTask

    pid, task_id = _project_with_first_visit(api, risk_flags=["DEMOLITION"])
    token = api.token("inspector_lj")
    before = _revision(app, pid)

    def attempt(_):
        resp = app.test_client().post(
            f"/api/v1/tasks/{task_id}/complete",
            json={"data": FIRST_VISIT},
            headers={"Authorization": f"Bearer {token}"},
        )
        return resp.status_code

    statuses = _in_threads(12, attempt)
    assert sorted(statuses) == [200] + [409] * 11
    assert _revision(app, pid) == before + 1
    assert _count(app, HistoryEvent, task_id=task_id, kind="task_completed") == 1
    # The next step exists once: the owner's declaration, one row in the inbox.
    assert _count(app, InboxTask, project_id=pid) == 1


@BOTH_BACKENDS
def test_completion_that_lost_a_race_to_another_change_is_redone_on_fresh_state(app, api, monkeypatch):
    """Between our read and our write, something else (a timer, a parallel task) saved the instance:
    the completion is redone on the fresh state instead of answering 409, and applied once."""
    from webapp.persistence.models import HistoryEvent
    from webapp.services.lifecycle import instances

    pid, task_id = _project_with_first_visit(api)
    before = _revision(app, pid)
    other_writer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    load, interfered = instances._runner, []

    def runner_then_concurrent_write(instance, *args):
        runner = load(instance, *args)
        if not interfered:
            interfered.append(True)
            with other_writer.begin() as conn:
                conn.execute(
                    text("UPDATE process_instance SET revision = revision + 1 WHERE id = :id"), {"id": instance.id}
                )
        return runner

    monkeypatch.setattr(instances, "_runner", runner_then_concurrent_write)
    api.complete("inspector_lj", task_id, FIRST_VISIT)
    other_writer.dispose()
    assert interfered and _revision(app, pid) == before + 2
    assert _count(app, HistoryEvent, task_id=task_id, kind="task_completed") == 1
    assert api.project("owner1", pid)["status"] == "在施（待巡查）"


@pytest.mark.postgres
@pytest.mark.timeout(180)
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
@pytest.mark.parametrize("lock_seconds", [60, -1], ids=["locks-held", "locks-always-expired"])
def test_two_timer_workers_racing_for_the_same_due_jobs(app, api, clock, lock_seconds):
    """With SKIP LOCKED the workers split the jobs; even when every lock has already expired
    (a slow worker overtaken by another), the revision check lets each timer fire once."""
    from webapp.persistence.models import HistoryEvent, InboxTask, TimerJob
    from webapp.services.lifecycle.timers import fire_due_timers

    pids = []
    for _ in range(12):
        pid, task_id = _project_with_first_visit(api, risk_flags=["DEMOLITION"])
        api.complete("inspector_lj", task_id, FIRST_VISIT)
        pids.append(pid)
    clock.advance(days=7, seconds=1)

    def worker(i):
        fired = 0
        with app.app_context():
            for _ in range(50):
                batch = fire_due_timers(f"worker-{i}", limit=3, lock_seconds=lock_seconds)
                fired += batch
                if not batch and not _due(app):
                    break
        return fired

    fired = _in_threads(2, worker)
    assert sum(fired) == len(pids)
    for pid in pids:
        assert _count(app, HistoryEvent, project_id=pid, element_id="patrol_due") == 1, pid
        assert _count(app, InboxTask, project_id=pid, element_id="patrol") == 1, pid
    assert _count(app, TimerJob, status="incident") == 0


@pytest.mark.postgres
@pytest.mark.timeout(120)
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_timer_takeover_skips_an_instance_another_transaction_is_writing(app, api, clock):
    """A worker whose claim expired may still be writing the instance: the worker that took the
    job over moves on at once instead of queueing behind its row lock, and fires it later."""
    from webapp.persistence.models import HistoryEvent
    from webapp.services.lifecycle.timers import fire_due_timers

    pid, task_id = _project_with_first_visit(api, risk_flags=["DEMOLITION"])
    api.complete("inspector_lj", task_id, FIRST_VISIT)
    clock.advance(days=7, seconds=1)
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    result = {}

    def take_over():
        with app.app_context():
            result["fired"] = fire_due_timers("taker", lock_seconds=-1)

    with other.connect() as writer:
        writer.execute(text("SELECT id FROM process_instance WHERE project_id = :pid FOR UPDATE"), {"pid": pid})
        thread = threading.Thread(target=take_over)
        thread.start()
        thread.join(timeout=5)
        assert not thread.is_alive(), "the takeover waited for the instance row"
        assert result["fired"] == 0
        writer.rollback()
    other.dispose()
    with app.app_context():
        assert fire_due_timers("taker", lock_seconds=-1) == 1
    assert _count(app, HistoryEvent, project_id=pid, element_id="patrol_due") == 1


def _due(app) -> int:
    from webapp.persistence.models import TimerJob, db
    from webapp.services.lifecycle.timers import utcnow

    return db.session.scalar(select(func.count()).select_from(TimerJob).where(TimerJob.due_at <= utcnow()))


@pytest.mark.postgres
@pytest.mark.timeout(180)
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_owner_declaring_while_the_patrol_timer_fires_gets_one_outcome(app, api, clock):
    """The patrol timer interrupts the owner's declaration: one of the two wins, never both."""
    from webapp.persistence.models import HistoryEvent, TimerJob
    from webapp.services.lifecycle.timers import fire_due_timers

    outcomes = []
    for _ in range(6):
        pid, task_id = _project_with_first_visit(api, risk_flags=["DEMOLITION"])
        api.complete("inspector_lj", task_id, FIRST_VISIT)
        declare = api.task_of("owner1", pid, "declare_completion")["id"]
        clock.advance(days=7, seconds=1)
        api.tokens.clear()  # issued before the clock moved on: expired
        token = api.token("owner1")
        data = {
            "actual_end": "2026-12-20",
            "scaffold_removed": True,
            "temp_power_removed": True,
            "debris_cleared": True,
            "no_structural_change": True,
        }

        def race(i):
            if i == 0:
                with app.app_context():
                    return fire_due_timers("racer")
            return (
                app.test_client()
                .post(
                    f"/api/v1/tasks/{declare}/complete",
                    json={"data": data},
                    headers={"Authorization": f"Bearer {token}"},
                )
                .status_code
            )

        fired, status = _in_threads(2, race)
        patrols = _count(app, HistoryEvent, project_id=pid, element_id="patrol_due")
        declared = _count(app, HistoryEvent, task_id=declare, kind="task_completed")
        assert (patrols, declared) in ((1, 0), (0, 1)), (fired, status)
        assert status == (200 if declared else 409)
        assert _count(app, TimerJob, status="incident") == 0
        outcomes.append("declared" if declared else "patrol")
    assert set(outcomes) <= {"declared", "patrol"}


@BOTH_BACKENDS
def test_failing_timer_becomes_an_incident_that_ops_can_retry(app, api, clock, monkeypatch):
    from webapp.persistence.models import TimerJob, db
    from webapp.services.lifecycle import instances, timers

    pid, task_id = _project_with_first_visit(api, risk_flags=["DEMOLITION"])
    api.complete("inspector_lj", task_id, FIRST_VISIT)
    clock.advance(days=7, seconds=1)
    fire = instances.fire_timers

    def broken(instance_id):
        raise RuntimeError("patrol_interval.dmn: no rule matched")

    monkeypatch.setattr(instances, "fire_timers", broken)
    for attempt in range(timers.MAX_ATTEMPTS):
        with app.app_context():
            assert timers.fire_due_timers("w") == 0
            job = db.session.scalar(select(TimerJob))
            assert job.attempts == attempt + 1
        clock.advance(hours=2)  # past the backoff
    with app.app_context():
        assert db.session.scalar(select(TimerJob)).status == "incident"
        assert timers.fire_due_timers("w") == 0  # an incident waits for an operator

    for username in ("inspector_lj", "admin_sm", "city", "designer"):
        assert api.get(username, "/api/v1/ops/incidents").status_code == 403, username
    listed = api.get("ops", "/api/v1/ops/incidents").get_json()
    assert [(i["project_id"], i["status"], i["attempts"]) for i in listed] == [(pid, "incident", 5)]
    assert listed[0]["last_error"] == "RuntimeError: patrol_interval.dmn: no rule matched"
    assert api.post("admin_sm", f"/api/v1/ops/incidents/{listed[0]['instance_id']}/retry").status_code == 403

    monkeypatch.setattr(instances, "fire_timers", fire)  # the operator fixed the cause
    resp = api.post("ops", f"/api/v1/ops/incidents/{listed[0]['instance_id']}/retry")
    assert resp.status_code == 200 and resp.get_json()["status"] == "pending"
    assert api.get("ops", "/api/v1/ops/incidents").get_json() == []
    with app.app_context():
        assert timers.fire_due_timers("w") == 1
    history = api.project("city", pid)["history"]
    assert [h["kind"] for h in history].count("incident_retried") == 1
    assert [h["element_id"] for h in history].count("patrol_due") == 1
    assert api.task_of("inspector_lj", pid, "patrol")


def test_only_admin_role_reaches_operations(app):
    api = ApiClient(app.test_client())
    assert api.get("ops", "/api/v1/ops/incidents").status_code == 200
    assert api.get("owner1", "/api/v1/ops/incidents").status_code == 403
    assert app.test_client().get("/api/v1/ops/incidents").status_code == 401


@pytest.mark.postgres
@pytest.mark.timeout(180)
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_external_workers_racing_for_tasks_lock_each_once(app, api):
    """Several workers (each its own connection, as on several hosts) fetch-and-lock at once: every
    waiting service task goes to exactly one of them."""
    for number in range(6):
        resp = api.post(
            "owner1",
            "/api/v1/registrations",
            {"data": registration_data(investment_wan=300, floor_area_m2=800, title=f"超限工程 {number}")},
        )
        assert resp.status_code == 201, resp.get_json()
    token = api.token("permit_system")

    def fetch(i):
        resp = app.test_client().post(
            "/api/v1/external-tasks/fetch-and-lock",
            json={"topics": ["permit-referral"], "worker_id": f"w{i}", "max_tasks": 2, "lock_seconds": 60},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status_code == 200, resp.get_json()
        return [task["id"] for task in resp.get_json()]

    batches = _in_threads(8, fetch)
    locked = [task_id for batch in batches for task_id in batch]
    assert len(locked) == 6 and len(set(locked)) == 6
