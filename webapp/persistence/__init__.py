"""Persistence: SQLAlchemy models and the database session (Flask-SQLAlchemy)."""
from .models import db  # noqa: F401
