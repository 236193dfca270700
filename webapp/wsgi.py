"""WSGI entry point for gunicorn: `gunicorn webapp.wsgi:app`.

serve-prod runs gunicorn with --preload: the app is built once, before the port opens, with the
process versions in use parsed, and each forked worker starts with those parsed bundles but no
database connection of its parent's (nor its sandbox processes: sandbox_pool starts its own per
process).
"""

import os

from sqlalchemy.exc import DBAPIError

from . import create_app
from .persistence.models import db

app = create_app()


def _warm() -> None:
    """In the parent, before the fork: every worker starts with the running versions parsed."""
    from .services.designer.versions import warm_bundles

    with app.app_context():
        try:
            warm_bundles()
        except DBAPIError:  # no schema yet, or no database: the first requests parse instead
            pass
        db.session.remove()
        db.engine.dispose()


_warm()


def _forget_parent_connections() -> None:
    with app.app_context():
        db.engine.dispose(close=False)  # close=False: the parent's connections stay the parent's


os.register_at_fork(after_in_child=_forget_parent_connections)
