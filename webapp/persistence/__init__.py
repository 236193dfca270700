"""Persistence: SQLAlchemy models and the database session (Flask-SQLAlchemy)."""
from .models import db  # noqa: F401
from . import oversight  # noqa: F401,E402  (registers the oversight tables in the same metadata)
from . import security  # noqa: F401,E402  (audit trail, failed sign-ins)
from . import organisation  # noqa: F401,E402  (patrol teams, special areas, property companies)
from . import daily  # noqa: F401,E402  (notifications, comments, stand-ins, saved filters)
