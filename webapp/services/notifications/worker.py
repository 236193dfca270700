"""The timer worker's notification duties: make the due reminders, then send the pending outbox."""

from __future__ import annotations

from .outbox import send_pending
from .reminders import scan


def work(worker_id: str) -> int:
    """One round; returns how many things it did."""
    return scan() + send_pending(worker_id)
