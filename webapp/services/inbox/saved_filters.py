"""A user's named inbox filters (and sort order), kept as the inbox's own query string."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...persistence.daily import SavedFilter
from ...persistence.models import User, db
from ..errors import NotFound, ValidationFailed
from ..security import policy

# The inbox parameters a saved filter keeps; anything else in the query string is dropped.
KEYS = ("form_key", "stage", "street", "overdue", "text", "claimed", "sort", "view")
MAX_PER_USER = 20


def listing(user: User) -> list[dict]:
    rows = db.session.scalars(select(SavedFilter).where(policy.own_rows(user, SavedFilter)).order_by(SavedFilter.name))
    return [{"id": f.id, "name": f.name, "query": f.query, "params": dict(parse_qsl(f.query))} for f in rows]


def save(user: User, name: str, params: dict, lang: str = "zh") -> dict:
    """Save (or replace, by name) a filter of the inbox parameters given."""
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed(
            {"name": "请填写名称（最多 60 字）" if lang != "en" else "Give a name (at most 60 characters)"}
        )
    query = urlencode([(k, str(params[k])) for k in KEYS if params.get(k) not in (None, "", False)])[:500]
    existing = db.session.scalar(
        select(SavedFilter).where(policy.own_rows(user, SavedFilter), SavedFilter.name == name)
    )
    if existing is None:
        count = len(listing(user))
        if count >= MAX_PER_USER:
            raise ValidationFailed({"name": "最多保存 20 个筛选" if lang != "en" else "At most 20 saved filters"})
        existing = SavedFilter(user_id=user.id, name=name, query=query)
        db.session.add(existing)
    existing.query = query
    try:
        db.session.commit()
    except IntegrityError as exc:  # the same name saved at the same moment
        db.session.rollback()
        raise ValidationFailed({"name": "该名称已存在" if lang != "en" else "This name exists"}) from exc
    return next(f for f in listing(user) if f["id"] == existing.id)


def delete(user: User, filter_id: int) -> None:
    """Delete one of the user's own filters; NotFound for one that is gone or another user's."""
    row = db.session.get(SavedFilter, filter_id)
    if row is None or not policy.owns(user, row):
        raise NotFound("no such saved filter")
    db.session.delete(row)
    db.session.commit()
