"""WSGI entry point for gunicorn: `gunicorn webapp.wsgi:app`.

serve-prod runs gunicorn with --preload: the app is built once, before the port opens, and each
forked worker starts with no database connection of its parent's (nor its sandbox processes:
sandbox_pool starts its own per process).
"""

import os

from . import create_app
from .persistence.models import db

app = create_app()


def _forget_parent_connections() -> None:
    with app.app_context():
        db.engine.dispose(close=False)  # close=False: the parent's connections stay the parent's


os.register_at_fork(after_in_child=_forget_parent_connections)
