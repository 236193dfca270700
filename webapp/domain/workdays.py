"""Working days (P-23) and the `NWD` duration notation of district rules.

ISO 8601 has no working days, so a rule value may also be written `3WD` (three working days).
It is turned into an ordinary ISO duration at the moment of decision, counted in Xiamen local
time on the district's calendar: Monday to Friday, minus the listed holidays, plus the listed
adjusted working days (调休). N working days after a moment is the same clock time on the N-th
working day after its date, so a Friday 10:00 order with 1WD is due Monday 10:00.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

# China Standard Time has no daylight saving: a fixed offset needs no tz database.
XIAMEN = timezone(timedelta(hours=8), "Asia/Shanghai")
WORKING_DAYS = re.compile(r"^(\d{1,3})WD$")
_WEEKEND = (5, 6)


def working_day_count(value) -> int | None:
    """N for a value written `NWD`, else None."""
    match = WORKING_DAYS.match(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def is_working_day(day: date, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> bool:
    if day in set(workdays):
        return True
    if day in set(holidays):
        return False
    return day.weekday() not in _WEEKEND


def add_working_days(
    start: datetime, days: int, holidays: Iterable[date] = (), workdays: Iterable[date] = ()
) -> datetime:
    holidays, workdays = set(holidays), set(workdays)
    local = start.astimezone(XIAMEN)
    day, counted = local.date(), 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays, workdays):
            counted += 1
    return datetime.combine(day, local.timetz()).astimezone(timezone.utc)


def iso_duration(delta: timedelta) -> str:
    """`P4D`, `P2DT3H`, `PT30S`: the ISO 8601 form of a non-negative timedelta (whole seconds)."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    text = "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
    return text if text != "P" else "PT0S"


def resolve(value, now: datetime, holidays: Iterable[date] = (), workdays: Iterable[date] = ()):
    """A `NWD` value as the ISO duration from `now` to its due moment; any other value unchanged."""
    days = working_day_count(value)
    if days is None:
        return value
    return iso_duration(add_working_days(now, days, holidays, workdays) - now)


# -- date helpers the process's scripts call (services bind them beside `rule`) --------------------
FAR_AWAY = "P3650D"  # a timer that waits for a date the project does not have


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def registered_late(planned_start, lead: str, now: datetime | None = None) -> bool:
    """P-07: whether a registration made now, `lead` (an ISO duration, working days resolved) ahead
    of the planned start at the least, comes too late: the day the lead time ends is after the
    start day (a past start is always late)."""
    from .durations import parse_duration

    start = _day(planned_start)
    if start is None:
        return False
    now = now or datetime.now(timezone.utc)
    return (now + parse_duration(lead, start=now)).astimezone(XIAMEN).date() > start


def time_after(day, offset: str, now: datetime | None = None, passed_before: str | None = None) -> str:
    """P-18: the ISO duration from now until `offset` after the end of `day` (Xiamen time), at
    least one second (a moment already past fires at once); FAR_AWAY without a day.

    `passed_before` (an ISO moment: when the previous round of a loop stopped waiting) makes a
    reminder fire once: a moment that passed while that round waited was fired by it."""
    from .durations import parse_duration

    end_day = _day(day)
    if end_day is None:
        return FAR_AWAY
    now = now or datetime.now(timezone.utc)
    end = datetime.combine(end_day + timedelta(days=1), datetime.min.time(), XIAMEN)
    moment = end + parse_duration(offset, start=end)
    if passed_before and moment <= datetime.fromisoformat(str(passed_before)):
        return FAR_AWAY
    return iso_duration(max(moment - now, timedelta(seconds=1)))


def day_start(day) -> str | None:
    """The moment (ISO, UTC) the Xiamen calendar day `day` begins, for a timer that waits for a
    date (the planned start); None without a day."""
    start = _day(day)
    if start is None:
        return None
    return datetime.combine(start, datetime.min.time(), XIAMEN).astimezone(timezone.utc).isoformat()


def before_day(day, now: datetime | None = None) -> bool:
    """Whether the Xiamen calendar day `day` is still to come (False without a day)."""
    start = day_start(day)
    return start is not None and (now or datetime.now(timezone.utc)) < datetime.fromisoformat(start)


def moment_now(now: datetime | None = None) -> str:
    """Now as an ISO moment (UTC), for a script to remember when a round of a loop stopped waiting."""
    return (now or datetime.now(timezone.utc)).isoformat()
