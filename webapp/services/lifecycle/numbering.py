"""Counters behind registration and notice numbers (per district, kind and day or year), and the
owner's claim codes printed on receipts."""

from __future__ import annotations

import secrets

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ...persistence.models import Counter, db
from ..errors import Conflict


def next_sequence(key: str) -> int:
    """The next number of a counter (registration numbers, notice numbers), safe under concurrency."""
    for _ in range(3):
        value = db.session.scalar(
            update(Counter).where(Counter.key == key).values(value=Counter.value + 1).returning(Counter.value)
        )
        if value is not None:
            return value
        try:
            with db.session.begin_nested():
                db.session.add(Counter(key=key, value=1))
            return 1
        except IntegrityError:
            continue
    raise Conflict("could not allocate a registration number; try again")


CLAIM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a printed receipt
CLAIM_LENGTH = 8


def new_claim_code() -> str:
    """A receipt's claim code (services.lifecycle.ownership): random, not a counter."""
    return "".join(secrets.choice(CLAIM_ALPHABET) for _ in range(CLAIM_LENGTH))
