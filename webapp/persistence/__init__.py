"""Persistence: SQLAlchemy models and the database session (Flask-SQLAlchemy)."""

from . import (
    daily,  # noqa: F401  (notifications, comments, stand-ins, saved filters)
    integration,  # noqa: F401  (external tasks, inbound messages)
    organisation,  # noqa: F401  (patrol teams, special areas, property companies)
    oversight,  # noqa: F401  (registers the oversight tables in the same metadata)
    security,  # noqa: F401  (audit trail, failed sign-ins)
)
from .models import db  # noqa: F401
