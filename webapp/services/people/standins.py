"""Stand-ins (代班): a street supervisor names a colleague who takes over an inspector's work
for a leave period.

During the period the stand-in may do the tasks the inspector holds (policy.can_do_task asks
policy.acting_for), finds them under 我的 in the inbox, and receives the inspector's notifications.
Nothing is moved: when the period ends the tasks are the inspector's again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select

from ...persistence.daily import StandIn, stand_in_in_force
from ...persistence.models import OrgUnit, User, db, utcnow
from ..errors import Forbidden, NotFound, ValidationFailed
from ..security import policy

# Asked by every step that notifies someone: built once, run as a plain statement.
_REPLACEMENTS = (
    select(StandIn.__table__.c.user_id, StandIn.__table__.c.stand_in_id)
    .where(
        StandIn.__table__.c.user_id.in_(bindparam("ids", expanding=True)),
        *stand_in_in_force(bindparam("now", type_=StandIn.__table__.c.starts.type)),
    )
    .order_by(StandIn.__table__.c.id)
)


def replacements(user_ids, now: datetime | None = None) -> dict[int, int]:
    """{user on leave now: their stand-in} among these users."""
    ids = [i for i in user_ids if i]
    if not ids:
        return {}
    rows = db.session.connection().execute(_REPLACEMENTS, {"ids": ids, "now": now or utcnow()})
    return {user_id: stand_in for user_id, stand_in in rows}


def street_colleagues(user: User, roles=policy.STAND_IN_ROLES) -> list[User]:
    """The active people in these roles of the supervisor's street (by default: who may stand in);
    nobody for anyone but a street supervisor."""
    street = policy.supervised_street(user)
    if not street:
        return []
    return list(
        db.session.scalars(
            select(User)
            .join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(User.role.in_(roles), User.active.is_(True), OrgUnit.street_code == street)
            .order_by(User.display_name)
        )
    )


def listing(user: User) -> list[dict]:
    """The stand-ins of the supervisor's street, current and future first."""
    people = {u.id: u for u in street_colleagues(user)}
    if not people:
        return []
    rows = db.session.scalars(
        select(StandIn)
        .where(StandIn.user_id.in_(list(people)), StandIn.cancelled_at.is_(None), StandIn.ends > utcnow())
        .order_by(StandIn.starts)
    )
    return [
        {
            "id": s.id,
            "user_id": s.user_id,
            "user": people[s.user_id].display_name,
            "stand_in_id": s.stand_in_id,
            "stand_in": people[s.stand_in_id].display_name if s.stand_in_id in people else "",
            "starts": s.starts,
            "ends": s.ends,
        }
        for s in rows
    ]


def set_stand_in(
    supervisor: User, user_id: int, stand_in_id: int, starts: datetime, ends: datetime, lang: str = "zh"
) -> StandIn:
    """Validate, then save: both people inspectors (or the supervisor) of the supervisor's street,
    not the same person, the period forward in time and not overlapping another of the user's."""
    people = {u.id: u for u in street_colleagues(supervisor)}
    if not people:
        raise Forbidden("only a street supervisor sets stand-ins")
    errors = {}
    if user_id not in people or not policy.may_set_standin(supervisor, people[user_id]):
        errors["user_id"] = "请选择本街道的巡查员" if lang != "en" else "Choose an inspector of your street"
    if stand_in_id not in people or stand_in_id == user_id:
        errors["stand_in_id"] = (
            "请选择本街道的另一名同事" if lang != "en" else "Choose another colleague of your street"
        )
    if starts.tzinfo is None or ends.tzinfo is None or ends <= starts or ends <= utcnow():
        errors["ends"] = "结束时间须晚于开始时间和当前时间" if lang != "en" else "The end must follow the start and now"
    if not errors:
        overlap = db.session.scalar(
            select(StandIn.id).where(
                StandIn.user_id == user_id, StandIn.cancelled_at.is_(None), StandIn.starts < ends, StandIn.ends > starts
            )
        )
        if overlap:
            errors["starts"] = "与已有的代班时段重叠" if lang != "en" else "Overlaps an existing stand-in period"
    if errors:
        raise ValidationFailed(errors)
    row = StandIn(user_id=user_id, stand_in_id=stand_in_id, starts=starts, ends=ends, set_by_id=supervisor.id)
    db.session.add(row)
    db.session.commit()
    return row


def cancel(supervisor: User, stand_in_id: int) -> None:
    row = db.session.get(StandIn, stand_in_id)
    if row is None or row.user_id not in {u.id for u in street_colleagues(supervisor)}:
        raise NotFound("no such stand-in")
    row.cancelled_at = utcnow()
    db.session.commit()
