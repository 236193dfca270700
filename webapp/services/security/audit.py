"""The audit trail: who did what, when and from where; append-only, read by auditors.

Sign-ins, exports and downloads are recorded by the service or view that does them (`record`).
Task completions, migrations, rule changes and deployments are recorded from the rows those
services already write, in the same transaction: a step's plain history rows by the step itself
(`history_audit_rows`), rows added through the session by a flush hook that create_app registers
(`register_listeners`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from flask import has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ...persistence.models import DistrictRuleVersion, DistrictRuleWithdrawal, HistoryEvent, User, db
from ...persistence.security import AuditEvent
from ..errors import Forbidden
from ..ledger.queries import Page, page_of
from . import policy

CST = timezone(timedelta(hours=8))  # dates typed by people are Beijing dates
# action → (zh, en)
ACTIONS = {
    "login": ("登录", "Sign-in"),
    "login_failed": ("登录失败", "Failed sign-in"),
    "login_blocked": ("登录被限制", "Sign-in blocked (too many failures)"),
    "logout": ("退出", "Sign-out"),
    "token_issued": ("签发 API 令牌", "API token issued"),
    "token_revoked": ("吊销 API 令牌", "API token revoked"),
    "task_completed": ("办理任务", "Task completed"),
    "migration": ("迁移项目流程版本", "Project migrated"),
    "rules_changed": ("修改实施细则", "Rules changed"),
    "rules_withdrawn": ("撤回实施细则版本", "Rules version withdrawn"),
    "organisation_changed": ("修改组织机构", "Organisation changed"),
    "deployment": ("部署流程", "Process deployed"),
    "export": ("导出", "Export"),
    "document_view": ("查看/打印文书", "Notice opened or printed"),
    "external_task_locked": ("外部系统领取服务任务", "External task fetched and locked"),
    "external_task_completed": ("外部系统完成服务任务", "External task completed"),
    "external_task_failed": ("外部系统报告服务任务失败", "External task failed"),
    "incident_raised": ("服务任务转为故障", "Incident raised"),
    "incident_retried": ("故障重试", "Incident retried"),
    "message_received": ("接收外部消息", "Message received"),
    "message_refused": ("拒收外部消息", "Message refused"),
}
# HistoryEvent kinds that are audited, and the action each becomes.
_HISTORY_ACTIONS = {
    "task_completed": "task_completed",
    "migration": "migration",
    "deployment": "deployment",
    **{
        kind: kind
        for kind in (
            "external_task_locked",
            "external_task_completed",
            "external_task_failed",
            "incident_raised",
            "incident_retried",
            "message_received",
        )
    },
}


def action_label(action: str, lang: str = "zh") -> str:
    zh, en = ACTIONS.get(action, (action, action))
    return en if lang == "en" else zh


def client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def record(
    action: str,
    *,
    user: User | None = None,
    actor_name: str | None = None,
    ip: str | None = None,
    object_type: str | None = None,
    object_id=None,
    details: dict | None = None,
    commit: bool = True,
) -> None:
    """Add one event; `commit=False` leaves it to the caller's transaction."""
    db.session.add(
        _event(
            action,
            user=user,
            actor_name=actor_name,
            ip=ip or client_ip(),
            object_type=object_type,
            object_id=object_id,
            details=details,
        )
    )
    if commit:
        db.session.commit()


def _event(action, **fields) -> AuditEvent:
    return AuditEvent(**_event_values(action, **fields))


def _event_values(
    action,
    *,
    user=None,
    actor_id=None,
    actor_name=None,
    actor_role=None,
    ip=None,
    object_type=None,
    object_id=None,
    details=None,
) -> dict:
    return dict(
        action=action,
        actor_id=user.id if user else actor_id,
        actor_name=(user.username if user else actor_name) or "system",
        actor_role=user.role if user else actor_role,
        ip=ip,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        details_json=json.dumps(details, ensure_ascii=False, default=str) if details else None,
    )


def register_listeners() -> None:
    """Audit rule versions and history rows added through the session (called by create_app)."""
    if not event.contains(Session, "before_flush", _audit_domain_rows):
        event.listen(Session, "before_flush", _audit_domain_rows)


def _audit_domain_rows(session, _context, _instances) -> None:
    for row in list(session.new):
        if isinstance(row, HistoryEvent) and row.kind in _HISTORY_ACTIONS:
            session.add(_history_event(session, {name: getattr(row, name) for name in _HISTORY_FIELDS}))
        elif isinstance(row, (DistrictRuleVersion, DistrictRuleWithdrawal)):
            saved = isinstance(row, DistrictRuleVersion)
            change = {"effective_from": row.effective_from} if saved else {"replaced_by": row.replaced_by}
            session.add(
                _event(
                    "rules_changed" if saved else "rules_withdrawn",
                    user=_user(session, row.author_id),
                    actor_name=row.author,
                    ip=client_ip(),
                    object_type="district",
                    object_id=row.district_code,
                    details={"version": row.version, **change, "reason": row.reason},
                )
            )


def history_audit_rows(rows: list[dict]) -> list[dict]:
    """The audit rows of a step's history rows, which the step writes with them
    (persistence.step_store.add_history) into its own transaction."""
    session = db.session()
    return [_history_event_values(session, row) for row in rows if row.get("kind") in _HISTORY_ACTIONS]


_HISTORY_FIELDS = ("kind", "actor_id", "actor_name", "ip", "project_id", "task_id", "element_id", "title")


def _history_event(session, row: dict) -> AuditEvent:
    return AuditEvent(**_history_event_values(session, row))


def _history_event_values(session, row: dict) -> dict:
    kind = row["kind"]
    is_deployment = kind == "deployment"
    return _event_values(
        _HISTORY_ACTIONS[kind],
        user=_user(session, row.get("actor_id")),
        actor_name=row.get("actor_name"),
        ip=row.get("ip") or client_ip(),
        object_type="process" if is_deployment else "project",
        object_id=row.get("element_id") if is_deployment else row.get("project_id"),
        # The task's title is its history row's (titled() reads it back): only a reference here.
        details={"task_id": row.get("task_id"), "element_id": row.get("element_id")}
        if not is_deployment
        else {"title": row.get("title")},
    )


def _user(session, user_id) -> User | None:
    if not user_id:
        return None
    with session.no_autoflush:
        return session.get(User, user_id)


# -- reading (auditors) --------------------------------------------------------------------------
FILTERS = ("action", "actor", "object_type", "object_id", "since", "until")


def events(
    user: User,
    *,
    page: int = 1,
    per_page: int = 50,
    action=None,
    actor=None,
    object_type=None,
    object_id=None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page:
    """Newest first, filtered; auditors only."""
    if not policy.can_audit(user):
        raise Forbidden("only auditors read the audit trail")
    query = select(AuditEvent)
    equal = {
        AuditEvent.action: action,
        AuditEvent.actor_name: actor,
        AuditEvent.object_type: object_type,
        AuditEvent.object_id: object_id,
    }
    for column, value in equal.items():
        if value:
            query = query.where(column == str(value))
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    result = page_of(query.order_by(AuditEvent.id.desc()), page, per_page, row_of)
    titled(result.items)
    return result


def titled(rows: list[dict]) -> None:
    """Give the rows of a task's history (written with its id, not a copy of its title) the title
    of its history row, as a row written before carries it."""
    untitled = [
        r["details"]
        for r in rows
        if isinstance(r["details"], dict) and r["details"].get("task_id") and "title" not in r["details"]
    ]
    if not untitled:
        return
    titles = dict(
        db.session.execute(
            select(HistoryEvent.task_id, HistoryEvent.title).where(
                HistoryEvent.task_id.in_({d["task_id"] for d in untitled}), HistoryEvent.kind.in_(_HISTORY_ACTIONS)
            )
        ).all()
    )
    for details in untitled:
        details["title"] = titles.get(details["task_id"])


def row_of(e: AuditEvent) -> dict:
    return {
        "id": e.id,
        "at": e.at,
        "actor_id": e.actor_id,
        "actor": e.actor_name,
        "role": e.actor_role,
        "ip": e.ip,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "details": json.loads(e.details_json) if e.details_json else None,
    }
