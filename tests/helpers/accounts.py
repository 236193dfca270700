"""The demo accounts in tests."""

from __future__ import annotations

DEMO_PASSWORD = "demo12345"


def cheap_password_hashes(app) -> None:
    """The demo password hashed with the least argon2 work: tests sign in hundreds of times, and
    verifying takes the work factors stored in the hash (production hashes keep the defaults)."""
    from argon2 import PasswordHasher

    from webapp.persistence.models import User, db

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(DEMO_PASSWORD)
    with app.app_context():
        db.session.query(User).update({User.password_hash: cheap})
        db.session.commit()
