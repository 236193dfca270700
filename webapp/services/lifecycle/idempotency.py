"""Idempotent submissions (the IETF httpapi draft "The Idempotency-Key HTTP Header Field"): the
first outcome of a request sent with a key is kept, and a replay with the same key gets that
outcome again without acting twice. A phone that lost its signal mid-submission, or the offline
patrol queue (static/js/offline.js) sending again once the signal returns, relies on it.

A key belongs to its user and names one target (`scope`, e.g. the task being completed): reused
for another target it is refused. The page and the API share keys, so a patrol sent by the page
and replayed through `POST /api/v1/tasks/{id}/complete` answers with the first outcome.

A key is reserved (committed) before the request acts, so a concurrent duplicate is told to wait
(409) instead of racing; a request that fails (validation, refusal) releases its key, so the
corrected submission may use it again.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from ...persistence.daily import IdempotentRequest
from ...persistence.models import User, db, utcnow
from ..errors import Conflict, ValidationFailed

IN_PROGRESS = 0
# A reservation older than this belongs to a request that died before it could record its outcome.
ABANDONED_AFTER = timedelta(minutes=2)
MAX_KEY = 100


class Replayed(dict):
    """The stored outcome of the first request with this key (a dict, marked as a replay)."""


def once(user: User, key: str | None, scope: str, act, lang: str = "zh"):
    """`act()` once per (user, key): its outcome (JSON-serialisable) is stored and returned; a
    replay returns the stored outcome as `Replayed`. No key: just `act()`."""
    if not key:
        return act()
    key = key.strip()
    if len(key) > MAX_KEY or not key.isprintable():
        raise ValidationFailed(
            {
                "Idempotency-Key": "幂等键不能超过 100 个可见字符"
                if lang != "en"
                else "The Idempotency-Key must be at most 100 printable characters"
            }
        )
    existing = db.session.get(IdempotentRequest, (user.id, key))
    if existing is not None:
        if existing.fingerprint != scope:
            raise ValidationFailed(
                {
                    "Idempotency-Key": "该幂等键已用于另一项提交"
                    if lang != "en"
                    else "This Idempotency-Key was used for another request"
                }
            )
        if existing.status != IN_PROGRESS:
            return Replayed(json.loads(existing.body))
        if existing.created_at > utcnow() - ABANDONED_AFTER:
            raise Conflict("a request with this Idempotency-Key is still being processed; try again shortly")
        db.session.delete(existing)
        db.session.commit()
    try:
        db.session.add(
            IdempotentRequest(
                user_id=user.id, key=key, fingerprint=scope, status=IN_PROGRESS, body="{}", created_at=utcnow()
            )
        )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("a request with this Idempotency-Key is still being processed; try again shortly") from exc
    try:
        outcome = act()
    except Exception:
        db.session.rollback()
        _release(user.id, key)
        raise
    row = db.session.get(IdempotentRequest, (user.id, key))
    row.status, row.body = 200, json.dumps(outcome, ensure_ascii=False, default=str)
    db.session.commit()
    return outcome


def replay(user: User, key: str | None, scope: str):
    """The stored outcome for this key and target, or None (no key, unknown, or still running)."""
    if not key:
        return None
    row = db.session.get(IdempotentRequest, (user.id, key.strip()[:MAX_KEY]))
    if row is None or row.fingerprint != scope or row.status == IN_PROGRESS:
        return None
    return Replayed(json.loads(row.body))


def completion_outcome(project, tasks) -> dict:
    """What a task completion answers (page and API alike): the project's new stage and status and
    its next tasks, as JSON values."""
    keep = (
        "id",
        "element_id",
        "title",
        "form_key",
        "role",
        "priority",
        "due_at",
        "overdue",
        "created_at",
        "project_id",
        "reg_no",
        "project_title",
        "address",
        "stage",
        "status",
        "street_code",
    )
    return json.loads(
        json.dumps(
            {
                "project_id": project.id,
                "stage": project.stage,
                "status": project.status,
                "next_tasks": [{k: _iso(t.get(k)) for k in keep} for t in tasks],
            },
            ensure_ascii=False,
        )
    )


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _release(user_id: int, key: str) -> None:
    row = db.session.get(IdempotentRequest, (user_id, key))
    if row is not None and row.status == IN_PROGRESS:
        db.session.delete(row)
        db.session.commit()
