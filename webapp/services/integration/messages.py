"""Messages from other systems: `POST /api/v1/messages` {name, correlation_key, data}.

A message goes to the one catch event of a running project waiting for it (the correlation key is
the project's registration number, which the external task gave the other system), or starts a
project at the message start event that catches it (the key then names the sender's own record,
e.g. the 12345 ticket, and a second message with the same key is refused). The form the catching
element names (`formKey`) checks the data. Never a silent drop: an unknown name is a 404, a project
not waiting for it (or a key nobody knows) a 404 or 409, two catches waiting for it a 409; each
message, delivered or refused, is kept (`inbound_message`), in the project's history when it has
one, and in the audit trail.
"""

from __future__ import annotations

import json
from typing import NoReturn

from sqlalchemy import distinct, select

from ...domain.engine import ProcessRunner, caught_messages, properties, start_messages
from ...persistence.integration import InboundMessage
from ...persistence.models import OrgUnit, ProcessInstance, ProcessVersion, Project, User, db
from ..casefile import history_rows
from ..designer import task_forms
from ..designer.versions import bundle_for, latest_version, version_for_district
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..lifecycle import instances
from ..security import audit, policy


def receive(
    user: User,
    scopes: frozenset[str],
    name: str,
    correlation_key: str | None,
    data: dict,
    *,
    lang: str = "zh",
    ip: str | None = None,
) -> tuple[str, Project]:
    """('correlated' | 'started', the project); refusals raise (and are recorded first)."""
    if not policy.is_integration(user):
        raise Forbidden("消息只供系统对接账号发送：messages are for integration clients")
    key = (correlation_key or "").strip() or None
    refuse = _refuser(user, name, key, data, ip)
    if name not in _known_messages():
        refuse(NotFound(f"未知消息「{name}」：no process waits for or starts with the message {name}"))
    if name not in scopes:
        refuse(Forbidden(f"令牌无权发送消息「{name}」：the message is outside this token's scopes"))
    project = db.session.scalar(select(Project).where(Project.reg_no == key)) if key else None
    if project is not None and not _in_reach(user, project.district_code):
        project = None  # a district's client knows nothing of other districts' projects
    if project is not None and project.closed_at is None:
        runner, version = _runner_of(project)
        waiting = runner.waiting_messages().count(name)
        if waiting > 1:
            refuse(
                Conflict(f"项目 {key} 有 {waiting} 处在等待消息「{name}」，无法确定投递到哪一处：ambiguous"), project
            )
        if waiting == 1:
            catch = runner.waiting_message_specs(name)[0]
            clean = _checked(properties(catch).get("formKey"), version, data, lang, refuse, project)
            moved = instances.deliver_message(
                project,
                name,
                clean,
                actor=user,
                ip=ip,
                history={
                    "kind": "message_received",
                    "element_id": catch.bpmn_id,
                    "title": catch.bpmn_name or f"收到消息 {name}",
                    "data": {"name": name, "correlation_key": key, "data": clean},
                },
            )
            _log(user, name, key, clean, "correlated", moved)
            return "correlated", moved
    if project is None and any(name in start_messages(bundle_for(v)) for v in _current_versions()):
        return "started", _start(user, name, key, data, lang, ip, refuse)
    if project is not None:
        state = "已办结" if project.closed_at is not None else "当前不在等待此消息"
        refuse(Conflict(f"项目 {key} {state}：the project is not waiting for the message {name}"), project)
    refuse(NotFound(f"没有项目以「{key}」等待消息「{name}」：no running project waits for it with this key"))
    raise AssertionError("unreachable: refuse raises")


def _start(user: User, name: str, key: str | None, data, lang, ip, refuse) -> Project:
    """A new project at the start event catching the message, in the street the data name, on the
    version its district starts projects on (its variant, else the city's)."""
    if key and db.session.scalar(
        select(InboundMessage.id).where(
            InboundMessage.name == name, InboundMessage.correlation_key == key, InboundMessage.outcome == "started"
        )
    ):
        earlier = db.session.scalar(
            select(Project.reg_no)
            .join(InboundMessage, InboundMessage.project_id == Project.id)
            .where(InboundMessage.name == name, InboundMessage.correlation_key == key)
        )
        refuse(Conflict(f"消息「{name}」（{key}）已接收过，已建项目 {earlier}：already received"))
    street = _street(data.get("street") if isinstance(data, dict) else None)
    if street is None or not _in_reach(user, street.district_code):
        refuse(ValidationFailed({"street": "须为本账号辖区内的街道（镇）名称或代码：a street this account serves"}))
    version = version_for_district(street.district_code)
    spec = next(
        (
            s
            for s in bundle_for(version).spec.task_specs.values()
            if type(s).__name__ == "StartEvent" and getattr(getattr(s, "event_definition", None), "name", None) == name
        ),
        None,
    )
    if spec is None:
        refuse(Conflict(f"本区流程版本不接收消息「{name}」：the district's process does not start with it"))
    clean = dict(_checked(properties(spec).get("formKey"), version, data, lang, refuse), street=street.code)
    project = instances.start_by_message(
        street,
        (name, clean),
        title=f"{spec.bpmn_name or name}：{clean.get('address') or ''}",
        address=clean.get("address"),
        sender=user,
        ip=ip,
    )
    history_rows.add(
        project.id,
        user,
        "message_received",
        spec.bpmn_id,
        spec.bpmn_name or f"收到消息 {name}",
        {"name": name, "correlation_key": key, "data": clean},
        ip,
    )
    _log(user, name, key, clean, "started", project)
    return project


def _in_reach(user: User, district_code: str) -> bool:
    """A client account of a district (its org unit) reaches that district only; the city's, all."""
    district = user.org_unit.district_code
    return district is None or district == district_code


def _street(text) -> OrgUnit | None:
    if not text:
        return None
    text = str(text).strip()
    return db.session.scalar(
        select(OrgUnit)
        .where(OrgUnit.kind == "street")
        .where((OrgUnit.code == text) | (OrgUnit.name == text))
        .order_by(OrgUnit.code)
        .limit(1)
    )


def _checked(form_key: str | None, version: ProcessVersion, data, lang: str, refuse, project=None) -> dict:
    if not isinstance(data, dict):
        refuse(ValidationFailed({"data": "须为对象：must be an object"}), project)
    definition = instances.task_form(form_key, version)
    if definition is None:
        return dict(data)
    try:
        return task_forms.checked(definition, data, lang=lang)
    except ValidationFailed as exc:
        refuse(exc, project)
        raise


def _runner_of(project: Project) -> tuple[ProcessRunner, ProcessVersion]:
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.project_id == project.id))
    version = db.session.get(ProcessVersion, instance.version_id)
    return ProcessRunner.load(bundle_for(version), instance.state), version


def _current_versions() -> list[ProcessVersion]:
    """The versions new projects start on: the city's, and each district's variant."""
    districts = db.session.scalars(select(OrgUnit.code).where(OrgUnit.kind == "district").order_by(OrgUnit.code))
    versions = {v.id: v for v in [latest_version(), *(version_for_district(code) for code in districts)]}
    return list(versions.values())


def _known_messages() -> set[str]:
    """What the versions new projects start on start with or catch, and what the running ones catch."""
    ids = set(
        db.session.scalars(select(distinct(ProcessInstance.version_id)).where(ProcessInstance.completed.is_(False)))
    )
    known: set[str] = set()
    for version in [*_current_versions(), *(db.session.get(ProcessVersion, i) for i in sorted(ids))]:
        known |= caught_messages(bundle_for(version))
    return known


def _refuser(user: User, name: str, key: str | None, data, ip: str | None):
    """Record a refused message (the log, the audit trail, the project's history when there is
    one) in its own transaction, then raise the refusal."""

    def refuse(error: Exception, project: Project | None = None) -> NoReturn:
        db.session.rollback()
        reason = str(error)[:500]
        if project is not None:
            history_rows.add(
                project.id,
                user,
                "message_refused",
                None,
                f"拒收消息 {name}",
                {"name": name, "correlation_key": key, "reason": reason},
                ip,
            )
        _log(user, name, key, data, "refused", project, reason)
        audit.record(
            "message_refused",
            user=user,
            ip=ip,
            object_type="message",
            object_id=name,
            details={"correlation_key": key, "reason": reason},
            commit=False,
        )
        db.session.commit()
        raise error

    return refuse


def _log(
    user: User, name: str, key: str | None, data, outcome: str, project: Project | None, reason: str | None = None
) -> None:
    db.session.add(
        InboundMessage(
            name=name[:100],
            correlation_key=key[:100] if key else None,
            sender_id=user.id,
            project_id=project.id if project is not None else None,
            outcome=outcome,
            reason=reason,
            data_json=json.dumps(data, ensure_ascii=False, default=str)[:20000],
        )
    )
    if outcome != "refused":
        db.session.commit()
