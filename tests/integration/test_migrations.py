"""The Alembic revisions in migrations/ own the schema: they must describe exactly the models."""

from __future__ import annotations

import json

from sqlalchemy import bindparam, select, text

from tests.conftest import BOTH_BACKENDS

HOW_TO = (
    "models and migrations disagree; add a revision: "
    ".venv/bin/flask --app webapp db migrate -m 'what changed' (see README, 'Schema changes')"
)


@BOTH_BACKENDS
def test_models_and_migration_head_agree(app):
    from webapp.persistence.schema import model_drift

    with app.app_context():
        drift = model_drift()
    assert drift == [], f"{HOW_TO}\n{drift}"


def test_database_made_before_migrations_is_stamped_then_upgraded(app):
    """A database that create_all made at the first revision's schema ends at head, data kept."""
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    from webapp.persistence.models import db
    from webapp.persistence.schema import BASELINE, MIGRATIONS_DIR, model_drift, upgrade_to_head

    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(text(f'DROP TABLE "{table.name}"'))
        db.session.execute(text("DROP TABLE alembic_version"))
        db.session.commit()
        upgrade(MIGRATIONS_DIR, revision=BASELINE)
        db.session.execute(text("DROP TABLE alembic_version"))  # as create_all left it: no version table
        db.session.execute(text("INSERT INTO counter (key, value) VALUES ('kept', 7)"))
        db.session.commit()

        upgrade_to_head()
        upgrade_to_head()  # and again: an up-to-date database is left alone
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == ScriptDirectory(MIGRATIONS_DIR).get_current_head()
        assert db.session.execute(text("SELECT value FROM counter WHERE key = 'kept'")).scalar() == 7
        assert model_drift() == [], HOW_TO


@BOTH_BACKENDS
def test_deflated_json_turns_back_into_text_on_downgrade_and_reads_after_upgrade(app):
    """0021_json_deflated: history and notice data written deflated are plain JSON text again after a
    downgrade (PostgreSQL: a text column again), and read alike after upgrading once more."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import registration_data
    from webapp.persistence.models import HistoryEvent, User, db
    from webapp.persistence.oversight import Notice
    from webapp.persistence.schema import MIGRATIONS_DIR
    from webapp.services.lifecycle import instances

    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "owner1"))
        pid = instances.register_project(owner, registration_data()).id
        history = list(
            db.session.execute(
                select(HistoryEvent.id, HistoryEvent.data_json).where(
                    HistoryEvent.project_id == pid, HistoryEvent.data_json.is_not(None)
                )
            )
        )
        notices = list(db.session.execute(select(Notice.id, Notice.data_json).where(Notice.project_id == pid)))
        assert history and notices
        db.session.remove()
        downgrade(MIGRATIONS_DIR, revision="0020_history_indexes")
        plain = dict(
            db.session.execute(text(f"SELECT id, data_json FROM history_event WHERE project_id = {pid}")).all()
        )
        plain_notices = dict(
            db.session.execute(text(f"SELECT id, data_json FROM notice WHERE project_id = {pid}")).all()
        )
        db.session.remove()
        upgrade(MIGRATIONS_DIR)
        again = list(
            db.session.execute(
                select(HistoryEvent.id, HistoryEvent.data_json).where(
                    HistoryEvent.project_id == pid, HistoryEvent.data_json.is_not(None)
                )
            )
        )
    assert {i: plain[i] for i, _ in history} == dict(history) == dict(again)
    assert plain_notices == dict(notices)
    assert all(json.loads(value) for value in plain.values() if value is not None)


@BOTH_BACKENDS
def test_outbound_messages_get_their_text_back_on_downgrade(app):
    """0022_outbox_reference: messages written without a copy of their notification's text, and
    task notifications without their link, have both again after a downgrade."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import registration_data
    from webapp.persistence.models import User, db
    from webapp.persistence.schema import MIGRATIONS_DIR
    from webapp.services.lifecycle import instances

    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "owner1"))
        pid = instances.register_project(owner, registration_data()).id
        db.session.remove()
        downgrade(MIGRATIONS_DIR, revision="0021_json_deflated")
        messages = db.session.execute(
            text(
                "SELECT n.kind, n.title, n.link, n.task_id, o.subject, o.body FROM outbox_message o "
                f"JOIN notification n ON n.id = o.notification_id WHERE n.project_id = {pid}"
            )
        ).all()
        db.session.remove()
        upgrade(MIGRATIONS_DIR)
    assert messages and all(subject and subject.endswith(title) and body for _, title, _, _, subject, body in messages)
    tasks = [(link, task_id) for kind, _, link, task_id, _, _ in messages if kind == "new_task"]
    assert tasks and all(link == f"/tasks/{task_id}" for link, task_id in tasks)


@BOTH_BACKENDS
def test_a_notification_written_before_digested_keys_is_not_written_again(app):
    """0024_notification_key_digest: an existing key becomes the digest notify() computes, so the
    same event notified again (a replay, a second worker) still adds nothing."""
    from flask_migrate import downgrade, upgrade

    from webapp.persistence.daily import Notification
    from webapp.persistence.models import User, UTCDateTime, db, utcnow
    from webapp.persistence.schema import MIGRATIONS_DIR
    from webapp.services.notifications.centre import Event, notify, stored_key

    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == "inspector_lj"))
        db.session.remove()
        downgrade(MIGRATIONS_DIR, revision="0023_sqlite_micros")
        db.session.execute(
            text(
                "INSERT INTO notification (user_id, key, kind, title, created_at) "
                "VALUES (:uid, :key, 'new_task', '首次核实', :at)"
            ).bindparams(bindparam("at", type_=UTCDateTime())),
            {"uid": uid, "key": f"new_task:t-1:{uid}", "at": utcnow()},
        )
        db.session.commit()
        db.session.remove()
        upgrade(MIGRATIONS_DIR)
        assert db.session.scalar(select(Notification.key).where(Notification.title == "首次核实")) == stored_key(
            "new_task:t-1", uid
        )
        assert notify([uid], Event("new_task", "new_task:t-1", "首次核实")) == []
        assert notify([uid], Event("new_task", "new_task:t-2", "首次核实"))


@BOTH_BACKENDS
def test_write_off_notices_issued_before_0026_get_their_projects_planned_end(app):
    """0026_dashboard_from_own_rows: a write-off notice keeps its project's planned end as issued
    (the write-off figures read it from the notice); those issued before get it from their project.
    Other notices keep none (nothing counts them by it)."""
    from datetime import datetime, timezone

    from flask_migrate import downgrade, upgrade

    from tests.conftest import registration_data
    from webapp.persistence.models import User, db
    from webapp.persistence.oversight import Notice
    from webapp.persistence.schema import MIGRATIONS_DIR
    from webapp.services.lifecycle import instances

    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "owner1"))
        project = instances.register_project(owner, registration_data())
        pid, planned_end = project.id, project.planned_end
        issued = db.session.scalars(select(Notice.planned_end).where(Notice.project_id == pid)).all()
        assert planned_end and issued and set(issued) == {None}  # receipt, risk notice, commitment
        # A write-off slip as written before 0026 (no planned end of its own).
        db.session.add(
            Notice(
                project_id=pid,
                kind="writeoff",
                number="思明-核销-2026-9999",
                district_code=project.district_code,
                street_code=project.street_code,
                issued_at=datetime.now(timezone.utc),
                data_json="{}",
            )
        )
        db.session.commit()
        db.session.remove()
        downgrade(MIGRATIONS_DIR, revision="0025_hazard_history_deflated")
        db.session.remove()
        upgrade(MIGRATIONS_DIR)
        again = dict(db.session.execute(select(Notice.kind, Notice.planned_end).where(Notice.project_id == pid)).all())
    assert again.pop("writeoff") == planned_end and set(again.values()) == {None}
