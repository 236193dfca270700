"""ISO 8601 durations as used by BPMN timers and district rules (P3D, PT30S, P1DT2H, P2W)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition


def parse_duration(value: str, start: datetime | None = None) -> timedelta:
    """The timedelta SpiffWorkflow's own timers would wait for `value`; ValueError if invalid."""
    if not isinstance(value, str) or not value.startswith("P"):
        raise ValueError(f"not an ISO 8601 duration: {value!r}")
    try:
        parsed = TimerEventDefinition.parse_iso_duration(value)
    except Exception as exc:
        raise ValueError(f"not an ISO 8601 duration: {value!r}") from exc
    start = start or datetime.now(timezone.utc)
    return TimerEventDefinition.get_timedelta_from_start(parsed, start)


def is_duration(value) -> bool:
    try:
        parse_duration(value)
        return True
    except ValueError:
        return False
