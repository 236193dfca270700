"""KPI definitions as SQL conditions on Project, shared by the dashboard and the ledger filters.

A dashboard figure counts the projects matching some of these conditions; its link opens the
ledger with the same filters, which applies the same conditions. One definition, so a figure
always equals the number of ledger rows behind it.

Filters (all strings, as they arrive in a URL):
- overdue=1 [assignee=<user id>|none]: a ready task of the project is past due (claimed by that
  user / by nobody);
- created_from / created_to: registered on or after / before a date (Beijing time, YYYY-MM-DD);
- registered=1: the registration form has been filled in (owner, proxy or on site);
- found=1: registered, or found on site and waiting for on-site registration;
- late=1: registered late or after the start, marked 补登记 (P-07);
- patrol=covered|due: open registered projects under patrol, visited (or registered) within their
  district's patrol interval for their risk level plus one day, or not;
- event=<figure or element id> with since/until: the step happened in that period (history);
- notice=<kind> with since/until: a notice of that kind was issued in that period;
- writeoff=on_time|late with since/until: written off in the period, by the planned end (as the
  write-off notice was issued with it) plus the district's completion reminder period (P-18a), or later;
- hazard=MAJOR|GENERAL|overdue: a hazard of that severity is not yet closed (销号) / one still
  waits for the owner's rectification past its deadline.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Integer, Interval, and_, case, exists, false, func, literal, not_, or_, select, type_coerce

from ...domain import figures
from ...domain import hazards as hazard_records
from ...domain.catalog import Bundle
from ...domain.durations import parse_duration
from ...persistence.models import HistoryEvent, InboxTask, OrgUnit, Project, User, UTCDateTime, db, sqlite_micros
from ...persistence.oversight import Hazard, Notice
from ..designer import versions
from ..district_rules import rulebook
from ..errors import ValidationFailed
from ..security import policy

CST = timezone(timedelta(hours=8))
FILTERS = (
    "overdue",
    "assignee",
    "created_from",
    "created_to",
    "registered",
    "found",
    "late",
    "patrol",
    "event",
    "notice",
    "writeoff",
    "since",
    "until",
    "hazard",
)
HAZARD_FIGURES = ("MAJOR", "GENERAL", "overdue")
# Site visits are the steps the diagram marks kpi="site_visit" (domain.figures).
SITE_VISIT = "site_visit"
PATROLLED_STAGES = ("patrol", "enforcement", "writeoff")
PATROL_GRACE = timedelta(days=1)  # the patrol task itself is due one day after its timer
RISK_INTERVALS = {"HIGH": "patrol_interval_high", "MEDIUM": "patrol_interval_medium", "LOW": "patrol_interval_low"}


def now() -> datetime:
    return datetime.now(timezone.utc)


def visit_columns(events, bundle: Bundle) -> dict:
    """The ledger columns these steps change, written with the step: the last site visit (for the
    patrol-coverage figure), if they include one."""
    visits = bundle.tagged(figures.KPI).get(SITE_VISIT, ())
    if any(event.name in visits for event in events):
        return {"last_visit_at": now()}
    return {}


# Dates a period or filter may name: year 1 or 9999 would overflow the time-zone arithmetic.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def checked_day(value: str | date) -> date:
    """The date, if within FIRST_DAY…LAST_DAY (ValidationFailed: 422); ValueError if malformed."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationFailed(
            {"date": f"日期应在 {FIRST_DAY} 至 {LAST_DAY} 之间 (dates run from {FIRST_DAY} to {LAST_DAY}): {day}"}
        )
    return day


def elements(figure: str) -> tuple[str, ...]:
    """The elements whose history rows a figure counts, as the diagram marks them (kpi=<figure>)."""
    return tuple(sorted(versions.tagged(figures.KPI).get(figure, ())))


def day_start(value: str | date) -> datetime:
    """00:00 Beijing time of a date, in UTC; ValueError for a malformed date."""
    return datetime.combine(checked_day(value), time(0), CST).astimezone(timezone.utc)


def conditions(user: User, filters: dict, at: datetime | None = None) -> list:
    """The SQL conditions on Project for the KPI filters present in `filters` (unknown ones ignored).
    A malformed value (a date or a user id that is none) matches no project rather than all of them."""
    try:
        return _conditions(user, filters, at or now())
    except ValueError:
        return [false()]


def _conditions(user: User, filters: dict, at: datetime) -> list:
    f = {k: v for k, v in filters.items() if k in FILTERS and v not in (None, "")}
    out = []
    if f.get("overdue"):
        out.append(overdue(at, f.get("assignee")))
    if f.get("created_from"):
        out.append(Project.created_at >= day_start(f["created_from"]))
    if f.get("created_to"):
        out.append(Project.created_at < day_start(f["created_to"]))
    if f.get("registered"):
        out.append(registered())
    if f.get("found"):
        out.append(found())
    if f.get("late"):
        out.append(Project.late_registration.is_(True))
    if f.get("patrol") in ("covered", "due"):
        out.append(patrol(user, f["patrol"] == "covered", at))
    since, until = f.get("since"), f.get("until")
    if f.get("event"):
        out.append(event(f["event"], since, until))
    if f.get("notice"):
        out.append(notice(f["notice"], since, until))
    if f.get("writeoff") in ("on_time", "late"):
        out.append(writeoff(user, f["writeoff"] == "on_time", since, until))
    if f.get("hazard") in HAZARD_FIGURES:
        out.append(hazard(f["hazard"], at))
    return out


def hazard(kind: str, at: datetime):
    """The project has a hazard not closed of that severity, or (`overdue`) one the owner has not
    answered by its deadline (evidence submitted waits for the inspector, not the owner)."""
    return exists().where(Hazard.project_id == Project.id, hazard_row(kind, at))


def hazard_row(kind: str, at: datetime):
    """The condition on one hazard row that makes its project count under hazard=kind."""
    if kind == "overdue":
        return and_(Hazard.status == hazard_records.OPEN, Hazard.deadline_at < at)
    return and_(Hazard.status.in_(hazard_records.LIVE), Hazard.severity == kind)


def overdue(at: datetime, assignee: str | None = None):
    cond = [InboxTask.project_id == Project.id, InboxTask.due_at < at]
    if assignee == "none":
        cond.append(InboxTask.claimed_by_id.is_(None))
    elif assignee:
        cond.append(InboxTask.claimed_by_id == int(assignee))
    return exists().where(*cond)


def registered():
    # The registration form requires a category; a lead has none until registered on site.
    return Project.category.is_not(None)


def is_registered(category: str | None) -> bool:
    """registered(), of a project whose category is read."""
    return category is not None


def awaiting_registration():
    return exists().where(InboxTask.project_id == Project.id, InboxTask.form_key == "registration")


def found():
    return or_(registered(), awaiting_registration())


def under_patrol():
    return and_(Project.closed_at.is_(None), registered(), Project.stage.in_(PATROLLED_STAGES))


def patrol_cutoffs(user: User, at: datetime) -> dict[tuple[str, str], datetime]:
    """(district, risk level) → the time a visit must be after, from each district's rules in force."""
    out = {}
    for district in _districts(user):
        values = rulebook.in_force(district, at).values
        for risk, name in RISK_INTERVALS.items():
            out[(district, risk)] = at - parse_duration(values.get(name) or "P14D") - PATROL_GRACE
    return out


def patrolled_recently(user: User, at: datetime):
    """Registered or last visited (Project.last_visit_at, kept by services.oversight) after the cutoff of
    the project's district and risk level; a project without a risk level yet is held to the medium
    interval. A CASE on the district holding a CASE on the risk level: each row compares its district
    and its risk level once (the dashboard evaluates this on every open project)."""
    per_district: dict[str, dict] = {}
    for (district, risk), cutoff in patrol_cutoffs(user, at).items():
        per_district.setdefault(district, {})[risk] = literal(cutoff, UTCDateTime())
    if not per_district:
        return false()
    risk = func.coalesce(Project.risk_level, "MEDIUM")
    cutoff = case(
        {district: case(cutoffs, value=risk) for district, cutoffs in per_district.items()}, value=Project.district_code
    )
    # Never visited: counted from the registration.
    return func.coalesce(Project.last_visit_at, Project.created_at) >= cutoff


def patrol(user: User, covered: bool, at: datetime):
    recent = patrolled_recently(user, at)
    return and_(under_patrol(), recent if covered else not_(recent))


def _period(column, since: str | None, until: str | None) -> list:
    cond = []
    if since:
        cond.append(column >= day_start(since))
    if until:
        cond.append(column < day_start(until))
    return cond


def event(name: str, since=None, until=None):
    """The step happened in the period: `name` is a figure (domain.figures) or an element id."""
    ids = elements(name) if name in figures.FIGURES else (name,)
    return exists().where(
        HistoryEvent.project_id == Project.id, HistoryEvent.element_id.in_(ids), *_period(HistoryEvent.at, since, until)
    )


def notice(kind: str, since=None, until=None):
    return exists().where(
        Notice.project_id == Project.id, Notice.kind == kind, *_period(Notice.issued_at, since, until)
    )


def writeoff(user: User, on_time: bool, since=None, until=None):
    in_time = writeoff_in_time(user)
    return exists().where(
        Notice.project_id == Project.id,
        Notice.kind == "writeoff",
        *_period(Notice.issued_at, since, until),
        in_time if on_time else not_(in_time),
    )


def writeoff_in_time(user: User):
    """On a write-off notice: issued by its project's planned end (as it stood when the notice was
    issued, kept on the notice) plus the district's completion reminder period (P-18a), compared as
    Beijing dates; NULL without a planned end. The date is computed once per notice, shifted by
    its district's period."""
    by_grace: dict[timedelta, list[str]] = {}
    for district in _districts(user):
        grace = parse_duration(rulebook.in_force(district).values.get("completion_reminder_after") or "P7D")
        by_grace.setdefault(grace, []).append(district)
    if not by_grace:
        return false()
    issued = case(
        *(
            (Notice.district_code.in_(districts), local_date(Notice.issued_at, -grace))
            for grace, districts in by_grace.items()
        )
    )
    return issued <= Notice.planned_end


def local_date(column, shift: timedelta = timedelta(0)):
    """'YYYY-MM-DD' of a UTC timestamp column in Beijing time, shifted (SQL, per dialect)."""
    hours = 8 + shift.total_seconds() / 3600
    if db.engine.dialect.name == "sqlite":  # microseconds since 1970 (persistence.models.UTCDateTime)
        return func.date(type_coerce(column, Integer) / 1_000_000, "unixepoch", f"{hours:+.0f} hours")
    return func.to_char(column + literal(timedelta(hours=hours), Interval()), "YYYY-MM-DD")


WEEK = timedelta(days=7)


def weeks_since(column, start: datetime):
    """Whole weeks from `start` to a UTC timestamp column at or after it (SQL, per dialect): integer
    arithmetic on the stored moment, cheaper than a date per row."""
    if db.engine.dialect.name == "sqlite":  # microseconds since 1970 (persistence.models.UTCDateTime)
        return (type_coerce(column, Integer) - sqlite_micros(start)) // (WEEK // timedelta(microseconds=1))
    # date_part, a double: extract() gives a numeric, slower than formatting a date per row.
    return func.floor(func.date_part("epoch", column - literal(start, UTCDateTime())) / WEEK.total_seconds())


def _districts(user: User) -> list[str]:
    """The districts whose rules apply inside this user's jurisdiction."""
    if policy.district_bound(user):
        return [user.org_unit.district_code] if user.org_unit.district_code else []
    # The city, and an owner, whose projects may lie in any district.
    return list(db.session.scalars(select(OrgUnit.code).where(OrgUnit.kind == "district").order_by(OrgUnit.code)))
