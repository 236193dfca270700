"""Jinja filters and globals shared by the pages: times in Beijing time, names for codes."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..domain.roles import ROLES
from ..persistence.models import OrgUnit, db
from ..persistence.organisation import Estate
from ..services.participation.property_companies import ESTATE_PREFIX, estate_places
from ..services.security import policy
from .common import form_title
from .i18n import lang, process_text

CST = timezone(timedelta(hours=8))  # China has one time zone and no daylight saving time

STAGES = {
    "registration": _l("Registration"),
    "patrol": _l("Daily patrol"),
    "enforcement": _l("Enforcement"),
    "writeoff": _l("Completion write-off"),
}
PRIORITIES = {"high": _l("High"), "normal": _l("Normal"), "low": _l("Low")}
RISKS = {"HIGH": _l("High risk"), "MEDIUM": _l("Medium risk"), "LOW": _l("Low risk")}
CHANNELS = {"owner": _l("Owner registration"), "lead": _l("Grid lead")}


def local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CST)


def fmt_dt(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def fmt_date(value) -> str:
    text = fmt_dt(value)
    return text[:10]


def org_names() -> dict[str, str]:
    """Code → name of every org unit and managed estate (a form's place choices), read once per request."""
    names = getattr(g, "_org_names", None)
    if names is None:
        names = dict(db.session.execute(select(OrgUnit.code, OrgUnit.name)).all())
        names.update({f"{ESTATE_PREFIX}{i}": name for i, name in db.session.execute(select(Estate.id, Estate.name))})
        g._org_names = names
    return names


def place_of(codes) -> dict[str, dict[str, str]]:
    """Place option → where it lies: a street its district, a community its street, an estate its
    street and community."""
    codes = [c for c in codes if c]
    if not codes:
        return {}
    rows = db.session.execute(
        select(OrgUnit.code, OrgUnit.kind, OrgUnit.district_code, OrgUnit.street_code).where(
            OrgUnit.code.in_(codes), OrgUnit.kind.in_(("street", "community"))
        )
    ).all()
    out = {
        code: {"district": district} if kind == "street" else {"street": street}
        for code, kind, district, street in rows
        if (district if kind == "street" else street)
    }
    return {**out, **estate_places(codes)}


def org_name(code: str | None) -> str:
    if not code:
        return ""
    return org_names().get(code, code)


def role_name(code: str | None) -> str:
    role = ROLES.get(code or "")
    if role is None:
        return code or ""
    return role.en if lang() == "en" else role.zh


def due_in(value: datetime | None, now: datetime | None = None) -> str:
    """'3 天后到期' / 'overdue 2 days' style text for a due time."""
    if value is None:
        return ""
    from flask_babel import gettext as _

    now = now or datetime.now(timezone.utc)
    seconds = (value - now).total_seconds()
    # Time left rounds up (47 h left is 2 days, not 1: the day is not over); lateness rounds down.
    if seconds >= 0:
        hours = math.ceil(seconds / 3600)
        if hours < 24:
            return _("due in %(n)s h", n=max(hours, 1))
        return _("due in %(n)s d", n=math.ceil(seconds / 86400))
    hours = int(-seconds // 3600)
    if hours < 24:
        return _("overdue %(n)s h", n=max(hours, 1))
    return _("overdue %(n)s d", n=hours // 24)


def sentence(text) -> str:
    """Text to be followed by 。: without a full stop of its own (no 。。)."""
    return str(text or "").rstrip().rstrip("。.！!；;")


def init_app(app) -> None:
    app.jinja_env.filters.update(
        dt=fmt_dt,
        sentence=sentence,
        date=fmt_date,
        org=org_name,
        role=role_name,
        due_in=due_in,
        stage=lambda code: STAGES.get(code or "", code or ""),
        priority=lambda code: PRIORITIES.get(code or "", code or ""),
        risk=lambda code: RISKS.get(code or "", code or ""),
        channel=lambda code: CHANNELS.get(code or "", code or ""),
        task_title=lambda title, form_key: form_title(form_key, title),
        status=process_text,
    )
    # Templates ask the policy's named predicates what to offer; they never compare roles.
    app.jinja_env.globals.update(current_lang=lang, STAGES=STAGES, RISKS=RISKS, policy=policy)

    @app.context_processor
    def _now():
        return {"now": datetime.now(timezone.utc)}
