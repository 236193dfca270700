"""A step's rows are written with plain statements (persistence.step_store): the history keeps
its order, ORM copies held by the caller do not go stale, and a timer another worker already
fired is not fired, nor counted, twice."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import BOTH_BACKENDS, registration_data

FIRST_VISIT = {"site_matches": "yes", "site_status": "IN_PROGRESS"}


def _user(username):
    from webapp.persistence.models import User, db

    return db.session.scalar(select(User).where(User.username == username))


def _task(pid, element_id):
    from webapp.persistence.models import InboxTask, db

    return db.session.scalar(select(InboxTask).where(InboxTask.project_id == pid, InboxTask.element_id == element_id))


@BOTH_BACKENDS
def test_project_created_is_the_first_history_row_before_the_steps_it_caused(app):
    from webapp.persistence.models import HistoryEvent, db
    from webapp.services.lifecycle import instances

    with app.app_context():
        pid = instances.register_project(_user("owner1"), registration_data()).id
        kinds = list(
            db.session.scalars(
                select(HistoryEvent.kind).where(HistoryEvent.project_id == pid).order_by(HistoryEvent.id)
            )
        )
    assert kinds[0] == "project_created"
    assert kinds.count("project_created") == 1 and "step" in kinds[1:]


def test_gateways_and_start_events_leave_no_history_rows_the_steps_people_see_do(app):
    from webapp.persistence.models import HistoryEvent, db
    from webapp.services.lifecycle import instances

    with app.app_context():
        pid = instances.register_project(_user("owner1"), registration_data()).id
        instances.complete(_user("inspector_lj"), _task(pid, "first_visit").id, FIRST_VISIT)
        rows = db.session.execute(
            select(HistoryEvent.kind, HistoryEvent.element_id, HistoryEvent.data_json)
            .where(HistoryEvent.project_id == pid)
            .order_by(HistoryEvent.id)
        ).all()
    elements = [element for _, element, _ in rows]
    # The engine passed the start event and gw_channel, gw_triage, gw_first_visit … on the way.
    assert not [e for e in elements if e and (e == "start" or e.startswith("gw_"))], elements
    # A script step, the decisions (with the district rules they read) and the person's step stay.
    assert {"init_flags", "triage", "classify_risk", "first_visit", "plan_patrol"} <= set(elements)
    assert "P-01a" in next(data for _, element, data in rows if element == "triage")


@BOTH_BACKENDS
def test_a_completion_updates_the_callers_orm_copies_and_keeps_its_user_loaded(app):
    from sqlalchemy import inspect

    from webapp.persistence.models import Project, db
    from webapp.services.lifecycle import instances

    with app.app_context():
        inspector = _user("inspector_lj")
        pid = instances.register_project(_user("owner1"), registration_data()).id
        held = db.session.get(Project, pid)
        status_before = held.status
        task_id = _task(pid, "first_visit").id
        row = instances.complete(inspector, task_id, FIRST_VISIT).project
        # The ledger row as written is returned, and the session's copy reads the same.
        assert row.status != status_before
        assert held.status == row.status == db.session.scalar(select(Project.status).where(Project.id == pid))
        assert held.last_visit_at is not None
        # The signed-in user was not touched by the step: it needs no reload.
        assert not inspect(inspector).expired_attributes
        assert _task(pid, "first_visit") is None


@BOTH_BACKENDS
def test_a_timer_fired_meanwhile_by_another_worker_is_not_fired_or_counted_again(app, clock):
    from webapp.persistence.models import HistoryEvent, ProcessInstance, db
    from webapp.services.lifecycle import instances

    with app.app_context():
        pid = instances.register_project(_user("owner1"), registration_data(risk_flags=["DEMOLITION"])).id
        instances.complete(_user("inspector_lj"), _task(pid, "first_visit").id, FIRST_VISIT)
        instance_id = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.project_id == pid))
        clock.advance(days=7, seconds=1)
        assert instances.fire_timers(instance_id) is True
        # A second worker that took over an expired lock reads the instance after the first fired.
        assert instances.fire_timers(instance_id) is False
        fired = db.session.scalar(
            select(func.count())
            .select_from(HistoryEvent)
            .where(HistoryEvent.project_id == pid, HistoryEvent.element_id == "patrol_due")
        )
    assert fired == 1


@BOTH_BACKENDS
def test_the_state_is_stored_deflated_and_one_written_before_still_reads(app):
    import zlib

    from sqlalchemy import text

    from webapp.persistence.models import ProcessInstance, db, unpack_json
    from webapp.services.lifecycle import instances

    def stored(instance_id) -> bytes:
        return bytes(
            db.session.execute(text("SELECT state FROM process_instance WHERE id = :i"), {"i": instance_id}).scalar()
        )

    with app.app_context():
        pid = instances.register_project(_user("owner1"), registration_data()).id
        instance_id = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.project_id == pid))
        raw = stored(instance_id)
        plain = unpack_json(raw)
        assert raw[:1] == b"\x01" and plain.startswith("{") and len(raw) < len(plain.encode()) / 4
        # As states were stored before: zlib without the dictionary (0019_state_compressed), and
        # plain JSON (bytea of its text on PostgreSQL, TEXT on SQLite).
        postgres = db.engine.dialect.name == "postgresql"
        for before in (zlib.compress(plain.encode(), 1), plain.encode() if postgres else plain):
            db.session.execute(
                text("UPDATE process_instance SET state = :s WHERE id = :i"), {"s": before, "i": instance_id}
            )
            db.session.commit()
            assert db.session.get(ProcessInstance, instance_id).state == plain
            db.session.expire_all()
        instances.complete(_user("inspector_lj"), _task(pid, "first_visit").id, FIRST_VISIT)
        assert _task(pid, "first_visit") is None  # the completion read the plain state and moved on
        after = stored(instance_id)
        assert after[:1] == b"\x01" and unpack_json(after) != plain  # written anew, deflated


def test_a_step_writes_the_audit_rows_of_its_history_itself(app):
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from webapp.persistence.security import AuditEvent
    from webapp.services.lifecycle import instances
    from webapp.services.security import audit

    event.remove(Session, "before_flush", audit._audit_domain_rows)  # nothing but the step itself
    try:
        with app.app_context():
            from webapp.persistence.models import db

            pid = instances.register_project(_user("owner1"), registration_data()).id
            task_id = _task(pid, "first_visit").id
            instances.complete(_user("inspector_lj"), task_id, FIRST_VISIT)
            rows = db.session.execute(
                select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.details_json).where(
                    AuditEvent.object_type == "project", AuditEvent.object_id == str(pid)
                )
            ).all()
    finally:
        audit.register_listeners()
    assert [(action, actor) for action, actor, _ in rows] == [("task_completed", "inspector_lj")]
    assert task_id in rows[0][2]


@BOTH_BACKENDS
def test_a_step_deletes_drafts_and_reads_external_rows_only_where_its_read_found_some(app):
    """The step's read says whether anyone drafted its tasks and whether it has external-task
    rows: the draft of a completed task goes, and a step with neither runs no statement for them."""
    from sqlalchemy import event

    from webapp.persistence.models import TaskDraft, db
    from webapp.services.inbox import drafts
    from webapp.services.lifecycle import instances

    with app.app_context():
        drafted, plain = (instances.register_project(_user("owner1"), registration_data()).id for _ in range(2))
        drafts.save(_user("inspector_lj"), _task(drafted, "first_visit").id, {"site_status": "PAUSED"})
        statements: dict[int, list[str]] = {drafted: [], plain: []}
        for pid in (plain, drafted):  # the plain one while the other's draft exists

            def seen(conn, cursor, statement, params, context, many, pid=pid):
                statements[pid].append(statement)

            event.listen(db.engine, "before_cursor_execute", seen)
            try:
                instances.complete(_user("inspector_lj"), _task(pid, "first_visit").id, FIRST_VISIT)
            finally:
                event.remove(db.engine, "before_cursor_execute", seen)
        assert db.session.scalar(select(func.count()).select_from(TaskDraft)) == 0
    assert sum("DELETE FROM task_draft" in s for s in statements[drafted]) == 1
    assert not [s for s in statements[plain] if "DELETE FROM task_draft" in s or s.startswith("SELECT external_task")]
