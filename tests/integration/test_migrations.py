"""The Alembic revisions in migrations/ own the schema: they must describe exactly the models."""
from __future__ import annotations

from sqlalchemy import text

from tests.conftest import BOTH_BACKENDS

HOW_TO = ("models and migrations disagree; add a revision: "
          ".venv/bin/flask --app webapp db migrate -m 'what changed' (see README, 'Schema changes')")


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
