"""WSGI entry point for gunicorn: `gunicorn webapp.wsgi:app` (each worker builds its own app and pool)."""
from . import create_app

app = create_app()
