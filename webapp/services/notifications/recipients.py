"""Who a task's notifications go to: its holder if someone claimed it, else its group (the
owner, or the role's members in the task's street or district); anyone on leave is replaced by
their stand-in. Escalations (督办) go to whoever oversees the group."""

from __future__ import annotations

from sqlalchemy import select

from ...domain.roles import ROLES
from ...persistence.models import OrgUnit, User, db
from ..people import standins


def holders(task) -> list[int]:
    """`task`: an inbox row (ORM object, plain row or dict-like with the inbox columns)."""
    get = task.get if isinstance(task, dict) else lambda name: getattr(task, name)
    if get("claimed_by_id"):
        people = [get("claimed_by_id")]
    elif get("role") == "owner":
        # Nobody stands in for an owner (policy.may_set_standin: inspectors only): no lookup.
        return [get("owner_user_id")] if get("owner_user_id") else []
    else:
        people = members(get("role"), get("street_code"), get("district_code"))
    swap = standins.replacements(people)
    return sorted({swap.get(uid, uid) for uid in people if uid})


def members(role: str | None, street: str | None, district: str | None) -> list[int]:
    definition = ROLES.get(role or "")
    if definition is None or definition.scope not in ("street", "district"):
        return []
    where = OrgUnit.street_code == street if definition.scope == "street" else OrgUnit.district_code == district
    return list(
        db.session.scalars(
            select(User.id)
            .join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(User.role == role, User.active.is_(True), where)
        )
    )


def overseers(task) -> list[int]:
    """Whom a late task is escalated to: the street's supervisors for street work, the district's
    administrators for the district's work and for the supervisors' own. Owners' lateness is the
    process's business (orders, stop-work), not an escalation."""
    get = task.get if isinstance(task, dict) else lambda name: getattr(task, name)
    definition = ROLES.get(get("role") or "")
    if definition is None or definition.scope not in ("street", "district"):
        return []
    if definition.scope == "street" and get("role") != "supervisor":
        return members("supervisor", get("street_code"), get("district_code"))
    return members("district_admin", get("street_code"), get("district_code"))
