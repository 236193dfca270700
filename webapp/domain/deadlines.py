"""Deadlines as people read them: a calendar date in Xiamen, and the moment it ends.

DMN cells and BPMN scripts call these (services.instances binds them with `rule`): a decision
proposes a rectification deadline as a date the inspector sees on the form before submitting, and
the order's timer then waits for the moment the chosen date ends — or, when the inspector kept
the proposal, for exactly the proposed duration (so a drill's `PT30S` still fires in 30 seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timezone

from . import workdays
from .durations import parse_duration
from .workdays import XIAMEN


def _now() -> datetime:
    return datetime.now(timezone.utc)


def date_after(duration: str, now: datetime | None = None) -> str:
    """The Xiamen calendar date (YYYY-MM-DD) on which `duration` from now ends."""
    now = now or _now()
    return (now + parse_duration(duration, start=now)).astimezone(XIAMEN).date().isoformat()


def deadline_at(chosen, proposed_duration: str | None = None, now: datetime | None = None) -> str:
    """The moment (ISO 8601, UTC) a deadline chosen as a date ends: the proposal's own moment
    when the date is the proposal's date, else the end of that day in Xiamen."""
    day = chosen if isinstance(chosen, date) else date.fromisoformat(str(chosen)[:10])
    if proposed_duration:
        now = now or _now()
        proposed = now + parse_duration(proposed_duration, start=now)
        if proposed.astimezone(XIAMEN).date() == day:
            return proposed.isoformat()
    end = datetime.combine(day, time(23, 59, 59), tzinfo=XIAMEN)
    return end.astimezone(timezone.utc).isoformat()


def script_helpers(now: Callable[[], datetime] = _now) -> dict:
    """The date functions BPMN scripts and DMN cells may call besides `rule`, all reading the
    clock `now` (the wall clock; a scenario test passes its own)."""
    return {
        "date_after": lambda duration: date_after(duration, now=now()),
        "deadline_at": lambda chosen, proposed=None: deadline_at(chosen, proposed, now=now()),
        "registered_late": lambda start, lead: workdays.registered_late(start, lead, now=now()),
        "time_after": lambda day, offset, passed_before=None: workdays.time_after(
            day, offset, now=now(), passed_before=passed_before
        ),
        "moment_now": lambda: workdays.moment_now(now()),
        "day_start": workdays.day_start,
        "before_day": lambda day: workdays.before_day(day, now=now()),
    }
