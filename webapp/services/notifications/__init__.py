"""Notifications: the in-app centre, the outbox written in the step's own transaction, the
outbound channels behind one interface, and the timed reminders (due soon, overdue, 督办).

`work(worker_id)` is what the timer worker runs beside the timers: make the due reminders, then
send the pending outbox.
"""
from __future__ import annotations

from . import outbox, reminders


def work(worker_id: str) -> int:
    """One round of the worker's notification duties; returns how many things it did."""
    return reminders.scan() + outbox.send_pending(worker_id)
