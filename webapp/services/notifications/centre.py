"""The notification centre: notifications written in the caller's transaction with their outbound
messages, a user's list and unread count, marking read, and preferences (channels, quiet hours,
muted kinds).

A notification is keyed by the event it announces and its user: writing the same event twice (a
second worker, a replay) adds nothing, and no outbound message either.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import bindparam, func, select, text, update

from ...domain.workdays import XIAMEN
from ...persistence.daily import Notification, NotificationPreference, OutboxMessage
from ...persistence.direct import Direct
from ...persistence.models import User, db, utcnow
from ..errors import NotFound, ValidationFailed, in_lang
from ..security import policy
from . import channels as channel_module

KINDS = {
    "new_task": ("新待办", "New task"),
    "handover": ("移交待接收", "Hand-over awaiting acknowledgement"),
    "due_soon": ("即将到期", "Due soon"),
    "overdue": ("已逾期", "Overdue"),
    "escalation": ("督办", "Escalation"),
    "notice": ("文书送达", "Notice issued"),
    "mention": ("有人提到你", "You were mentioned"),
    "comment": ("新留言", "New comment"),
}
OUTBOUND = ("email", "sms", "wecom", "dingtalk", "console")


@dataclass(frozen=True)
class Event:
    kind: str
    key: str  # the event, without the user: "due_soon:<task id>"
    title: str
    body: str = ""
    link: str | None = None
    project_id: int | None = None
    task_id: str | None = None


def insert_ignoring_duplicates(table):
    """INSERT … ON CONFLICT DO NOTHING on either database: the unique key decides who wrote first."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


# Every step that adds a task notifies its holders: the statements are built once (building one
# and its cache key cost more than running it) and read plain columns, not ORM objects.
_user, _pref = User.__table__, NotificationPreference.__table__
_PEOPLE = (
    select(
        _user.c.id,
        _user.c.username,
        _user.c.phone,
        _pref.c.user_id.label("pref_user_id"),
        _pref.c.channels,
        _pref.c.email,
        _pref.c.quiet_start,
        _pref.c.quiet_end,
        _pref.c.muted,
    )
    .outerjoin(_pref, _pref.c.user_id == _user.c.id)
    .where(_user.c.id.in_(bindparam("ids", expanding=True)), _user.c.active.is_(True))
)
_OUTBOX_INSERT = Direct(OutboxMessage.__table__.insert())
_NOTIFIED = [c for c in Notification.__table__.c if c.name not in ("id", "read_at")]
_NOTIFICATION_INSERT: dict[tuple[str, int], Direct] = {}
# Users per notification INSERT: one statement (and one cached text) per count up to this.
_NOTIFICATION_BATCH = 50


def _notification_insert(count: int) -> Direct:
    """The INSERT of `count` notifications (duplicates ignored, the new ids and their users
    returned) on this database, built once per count. SQLAlchemy's dialect INSERT … ON CONFLICT
    cannot be cached, so it was compiled anew for every step that notified anyone (most of
    `notify`'s time); both databases read this text as it is."""
    name = db.engine.dialect.name
    statement = _NOTIFICATION_INSERT.get((name, count))
    if statement is None:
        quote = db.engine.dialect.identifier_preparer.quote
        rows = ", ".join("(" + ", ".join(f":{c.name}_{i}" for c in _NOTIFIED) + ")" for i in range(count))
        statement = Direct(
            text(
                f"INSERT INTO {Notification.__tablename__} ({', '.join(quote(c.name) for c in _NOTIFIED)}) "
                f"VALUES {rows} ON CONFLICT DO NOTHING RETURNING id, user_id"
            ).bindparams(*(bindparam(f"{c.name}_{i}", type_=c.type) for i in range(count) for c in _NOTIFIED))
        )
        _NOTIFICATION_INSERT[(name, count)] = statement
    return statement


def _insert_notifications(rows: list[dict]) -> list[tuple[int, int]]:
    """(new id, user id) of each row written; a row whose key exists already is skipped."""
    written: list[tuple[int, int]] = []
    for start in range(0, len(rows), _NOTIFICATION_BATCH):
        batch = rows[start : start + _NOTIFICATION_BATCH]
        params = {f"{name}_{i}": value for i, row in enumerate(batch) for name, value in row.items()}
        written += [(new_id, uid) for new_id, uid in _notification_insert(len(batch)).rows(params)]
    return written


def notify(user_ids, event: Event, now: datetime | None = None) -> list[int]:
    """Write the event's notification for each user, and its outbound messages, in the current
    transaction; returns the ids of the notifications that are new."""
    now = now or utcnow()
    ids = sorted({uid for uid in user_ids if uid})
    if not ids:
        return []
    # One lookup and one INSERT for all of them: a step notifies a whole street's inspectors.
    people = {row.id: row for row in db.session.connection().execute(_PEOPLE, {"ids": ids})}
    if not people:
        return []
    link = None if event.task_id and event.link == f"/tasks/{event.task_id}" else event.link  # see link_of
    rows = [
        {
            "user_id": uid,
            "key": stored_key(event.key, uid),
            "kind": event.kind,
            "title": event.title[:200],
            "body": event.body[:1000],
            "link": link,
            "project_id": event.project_id,
            "task_id": event.task_id,
            "created_at": now,
        }
        for uid in sorted(people)
    ]
    written = _insert_notifications(rows)
    offered = channel_module.configured(current_app.config)
    outbox = []
    for new_id, uid in written:
        person = people[uid]
        pref = person if person.pref_user_id is not None else None
        if pref is not None and event.kind in pref.muted.split():
            continue
        for name in channels_of(pref):
            recipient = _address(name, person, pref)
            if name in offered and recipient:
                # Subject and body: the notification's (message_text), not a copy.
                outbox.append(
                    {
                        "notification_id": new_id,
                        "user_id": uid,
                        "channel": name,
                        "recipient": recipient,
                        "subject": None,
                        "body": None,
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                        "not_before": after_quiet_hours(pref, now),
                    }
                )
    if outbox:
        _OUTBOX_INSERT.send(outbox)
    return sorted(new_id for new_id, _ in written)


def stored_key(event_key: str, user_id: int) -> str:
    """A notification's unique key: a digest of the event's key and its user (128 bits, URL-safe
    base64). The key is only ever compared, never read back: its 22 characters stand where
    "new_task:<task id>:<user id>" took 45, in the row and again in its unique index."""
    digest = hashlib.blake2b(f"{event_key}:{user_id}"[:160].encode(), digest_size=16).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def message_text(message: OutboxMessage, notification: Notification | None) -> tuple[str, str]:
    """An outbound message's subject and body: its notification's kind and title, and its body
    (the title when it has none); a message written before kept its own copy."""
    if message.subject is not None or notification is None:
        return message.subject or "", message.body or ""
    subject = f"【{KINDS.get(notification.kind, (notification.kind,))[0]}】{notification.title}"[:200]
    return subject, (notification.body or notification.title)[:1000]


def link_of(notification: Notification) -> str | None:
    """Where a notification leads: its link, or its task's page (stored empty, it is most of them)."""
    if notification.link is None and notification.task_id:
        return f"/tasks/{notification.task_id}"
    return notification.link


def channels_of(pref: NotificationPreference | None) -> list[str]:
    if pref is None:
        return current_app.config["NOTIFY_DEFAULT_CHANNELS"].split()
    return pref.channels.split()


def _address(channel: str, user: User, pref: NotificationPreference | None) -> str | None:
    if channel == "email":
        return pref.email if pref is not None else None
    if channel in ("sms", "wecom", "dingtalk"):
        return user.phone
    return user.username


def after_quiet_hours(pref: NotificationPreference | None, now: datetime) -> datetime:
    """When a message may go out: now, or the end of the user's quiet hours (Xiamen time)."""
    if pref is None or not pref.quiet_start or not pref.quiet_end:
        return now
    start, end = time.fromisoformat(pref.quiet_start), time.fromisoformat(pref.quiet_end)
    local = now.astimezone(XIAMEN)
    clock = local.time().replace(tzinfo=None)
    quiet = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not quiet:
        return now
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(timezone.utc)


# -- the user's side --------------------------------------------------------------------------------
def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(policy.own_rows(user, Notification), Notification.read_at.is_(None))
    )


def listing(user: User, *, unread_only: bool = False, limit: int = 50, before_id: int | None = None) -> list[dict]:
    query = select(Notification).where(policy.own_rows(user, Notification))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id:
        query = query.where(Notification.id < before_id)
    rows = db.session.scalars(query.order_by(Notification.id.desc()).limit(max(1, min(limit, 200))))
    return [row_of(n) for n in rows]


def row_of(n: Notification) -> dict:
    return {
        "id": n.id,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "link": link_of(n),
        "project_id": n.project_id,
        "task_id": n.task_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "read": n.read_at is not None,
    }


def mark_read(user: User, ids=None) -> int:
    """Mark these notifications (all when None) of this user read; returns how many changed.
    Others' notification ids change nothing."""
    statement = update(Notification).where(policy.own_rows(user, Notification), Notification.read_at.is_(None))
    if ids is not None:
        statement = statement.where(Notification.id.in_([int(i) for i in ids if 0 < int(i) < 2**31]))
    count = db.session.execute(statement.values(read_at=utcnow())).rowcount
    db.session.commit()
    return count


def open_one(user: User, notification_id: int) -> str | None:
    """Mark one of the user's notifications read; where it points (None: it is gone, or points
    nowhere). Another user's answers NotFound, as the route check does before the view."""
    row = db.session.get(Notification, notification_id)
    if row is None:
        return None
    if not policy.owns(user, row):
        raise NotFound("no such notification")
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.commit()
    return link_of(row)


def preferences(user: User) -> dict:
    pref = db.session.get(NotificationPreference, user.id)
    return {
        "channels": channels_of(pref),
        "email": pref.email if pref else None,
        "quiet_start": pref.quiet_start if pref else None,
        "quiet_end": pref.quiet_end if pref else None,
        "muted": pref.muted.split() if pref else [],
        "offered": [name for name in OUTBOUND if name in channel_module.configured(current_app.config)],
    }


def save_preferences(user: User, values: dict, lang: str = "zh") -> dict:
    """Validate, then save: channels the deployment offers, an e-mail address when e-mail is
    chosen, quiet hours as HH:MM (both or neither), known kinds to mute."""
    errors = {}
    offered = channel_module.configured(current_app.config)
    chosen = [c for c in (values.get("channels") or []) if c]
    if any(c not in offered for c in chosen):
        errors["channels"] = in_lang(lang, "本平台未开通该渠道", "This channel is not offered here")
    email = (values.get("email") or "").strip() or None
    if "email" in chosen and (not email or "@" not in email or len(email) > 200):
        errors["email"] = in_lang(lang, "请填写有效的电子邮箱", "Enter a valid e-mail address")
    quiet = [(values.get(k) or "").strip() or None for k in ("quiet_start", "quiet_end")]
    if any(quiet) and not all(quiet):
        errors["quiet_end"] = in_lang(lang, "免打扰时段需同时填写开始和结束", "Give both the start and the end")
    for name, value in zip(("quiet_start", "quiet_end"), quiet):
        if value and not _is_clock(value):
            errors[name] = in_lang(lang, "时间格式应为 HH:MM", "Use HH:MM")
    muted = [k for k in (values.get("muted") or []) if k]
    if any(k not in KINDS for k in muted):
        errors["muted"] = in_lang(lang, "未知的通知类型", "Unknown kind of notification")
    if errors:
        raise ValidationFailed(errors)
    pref = db.session.get(NotificationPreference, user.id) or NotificationPreference(user_id=user.id)
    pref.channels, pref.email, pref.muted = " ".join(chosen), email, " ".join(muted)
    pref.quiet_start, pref.quiet_end = quiet
    db.session.add(pref)
    db.session.commit()
    return preferences(user)


def _is_clock(value: str) -> bool:
    try:
        return len(value) == 5 and time.fromisoformat(value) is not None
    except ValueError:
        return False
