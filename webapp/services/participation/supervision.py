"""Entrusted supervision (委托监理, P-27): the owner or the estate's property company names the
supervisor it hired; the supervisor records inspection logs on the project. Logs are advisory: a
finding the supervisor wants checked raises a lead for the street's inspectors, who confirm it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import select

from ...domain.errors import ScriptFailed
from ...domain.workdays import XIAMEN
from ...persistence.models import OrgUnit, Project, User, db
from ...persistence.oversight import AdvisoryLog
from ..casefile import history_rows
from ..district_rules import rulebook
from ..errors import Conflict, Forbidden, ValidationFailed, messages_in
from ..ledger import queries
from ..lifecycle import instances
from ..security import policy

CONCERNS = ("NONE", "GENERAL", "MAJOR")
FINDINGS_MAX = 2000


@dataclass(frozen=True)
class LogInput:
    visited_on: str
    findings: str
    concern: str
    raise_lead: bool


def supervisors_for(project: Project) -> list[User]:
    """Entrusted supervisors working in the project's district (their accounts belong to it)."""
    return list(
        db.session.scalars(
            select(User)
            .join(OrgUnit, User.org_unit_id == OrgUnit.id)
            .where(User.role == "entrusted", User.active, OrgUnit.district_code == project.district_code)
            .order_by(User.display_name)
        )
    )


def entrust(user: User, project_id: int, supervisor_id: int | None, lang: str = "zh", ip: str | None = None) -> Project:
    """Name (or, with None, withdraw) the project's entrusted supervisor."""
    project = queries.visible_project(user, project_id)
    if not policy.may_entrust(user, project):
        raise Forbidden("only the owner or the estate's property company names the entrusted supervisor")
    _require_open(project)
    supervisor = None
    if supervisor_id is not None:
        supervisor = next((s for s in supervisors_for(project) if s.id == supervisor_id), None)
        if supervisor is None:
            raise ValidationFailed({"supervisor": _msg("unknown_supervisor", lang)})
    project.entrusted_supervisor_id = supervisor.id if supervisor else None
    history_rows.add(
        project.id,
        user,
        "entrusted",
        None,
        "委托监理" if supervisor else "撤销委托监理",
        {"supervisor": supervisor.display_name if supervisor else None},
        ip,
    )
    db.session.commit()
    return project


def validate_log(data: dict, lang: str = "zh") -> LogInput:
    errors: dict[str, str] = {}
    raw_day = str(data.get("visited_on") or "").strip()
    today = datetime.now(timezone.utc).astimezone(XIAMEN).date()
    try:
        day = date.fromisoformat(raw_day)
        if day > today:
            errors["visited_on"] = _msg("future", lang)
    except ValueError:
        errors["visited_on"] = _msg("date", lang)
    findings = str(data.get("findings") or "").strip()
    if not findings:
        errors["findings"] = _msg("required", lang)
    elif len(findings) > FINDINGS_MAX:
        errors["findings"] = _msg("too_long", lang, n=FINDINGS_MAX)
    concern = str(data.get("concern") or "NONE")
    if concern not in CONCERNS:
        errors["concern"] = _msg("choice", lang)
    raise_lead = data.get("raise_lead") in (True, "on", "true", "1", 1)
    if raise_lead and concern == "NONE":
        errors["raise_lead"] = _msg("lead_needs_concern", lang)
    if errors:
        raise ValidationFailed(errors)
    return LogInput(raw_day, findings, concern, raise_lead)


def record_log(user: User, project_id: int, data: dict, lang: str = "zh", ip: str | None = None) -> AdvisoryLog:
    """The project's entrusted supervisor records a log; asked to, its finding becomes a lead in
    the street's inspectors' inbox (the lead's project id is kept on the log)."""
    project = queries.visible_project(user, project_id)
    if not policy.may_advise(user, project):
        raise Forbidden("only the project's entrusted supervisor records advisory logs")
    rules = _require_open(project)
    entry = validate_log(data, lang)
    if entry.raise_lead and not rules["entrusted_may_raise_leads"]:
        raise ValidationFailed({"raise_lead": _msg("leads_off", lang)})
    log = AdvisoryLog(
        project_id=project.id,
        author_id=user.id,
        visited_on=entry.visited_on,
        findings=entry.findings,
        concern=entry.concern,
    )
    db.session.add(log)
    history_rows.add(
        project.id,
        user,
        "advisory_log",
        None,
        "委托监理巡查记录",
        {
            "visited_on": entry.visited_on,
            "findings": entry.findings,
            "concern": entry.concern,
            "raise_lead": entry.raise_lead,
        },
        ip,
    )
    # The log is kept whatever becomes of its lead: the supervisor's findings are never lost.
    db.session.commit()
    if entry.raise_lead:
        raise_lead(user, log, ip, lang)
    return log


def raise_lead(user: User, log: AdvisoryLog, ip: str | None, lang: str = "zh") -> None:
    """Start the lead of a saved log (the lead's data names the log, so the two stay linked even if
    linking the log back fails); a failure leaves the log without a lead and says so (409)."""
    project = db.session.get(Project, log.project_id)
    lead = {
        "street": project.street_code,
        "community": project.community_code,
        "address": (project.address or project.title)[:200],
        "description": f"{project.reg_no}：{log.findings}"[:FINDINGS_MAX],
        "urgency": "IMMINENT" if log.concern == "MAJOR" else "NORMAL",
        "advisory_log_id": log.id,
    }
    try:
        lead_project = instances.start_lead(lead, reporter=user, ip=ip, source="SUPERVISOR")  # commits
    except (Conflict, ScriptFailed) as exc:
        db.session.rollback()
        raise Conflict(_msg("lead_failed", lang)) from exc
    log.lead_project_id = lead_project.id
    db.session.commit()


def _open(project: Project, rules: dict) -> bool:
    """Supervision is enabled in the project's district (P-27a) and the project still runs."""
    return bool(rules["entrusted_supervision_enabled"]) and project.closed_at is None


def _require_open(project: Project) -> dict:
    """The district's rules in force, once supervision is open on the project; else Forbidden."""
    rules = rulebook.in_force(project.district_code).values
    if not _open(project, rules):
        raise Forbidden("entrusted supervision is not enabled in this district, or the project is closed")
    return rules


def logs_of(project: Project) -> list[AdvisoryLog]:
    """A project's advisory logs (the caller has checked the project is visible)."""
    return list(
        db.session.scalars(
            select(AdvisoryLog)
            .where(AdvisoryLog.project_id == project.id)
            .order_by(AdvisoryLog.at.desc(), AdvisoryLog.id.desc())
        )
    )


def panel(user: User, project: Project) -> dict:
    """What the project page shows of entrusted supervision to this user."""
    supervisor = db.session.get(User, project.entrusted_supervisor_id) if project.entrusted_supervisor_id else None
    values = rulebook.in_force(project.district_code).values
    active = _open(project, values)
    can_entrust = active and policy.may_entrust(user, project)
    return {
        "enabled": bool(values["entrusted_supervision_enabled"]),
        "supervisor": supervisor,
        "may_entrust": can_entrust,
        "choices": supervisors_for(project) if can_entrust else [],
        "may_log": active and policy.may_advise(user, project),
        "may_raise_leads": bool(values["entrusted_may_raise_leads"]),
        "logs": logs_of(project),
    }


MESSAGES = {
    "unknown_supervisor": ("不是本区登记的委托监理", "Not an entrusted supervisor registered in this district"),
    "future": ("巡查日期不能晚于今天", "The visit cannot be after today"),
    "date": ("日期格式应为 YYYY-MM-DD", "Use the date format YYYY-MM-DD"),
    "required": ("必填", "Required"),
    "too_long": ("最多 {n} 个字", "At most {n} characters"),
    "choice": ("不在可选范围内", "Not one of the choices"),
    "lead_needs_concern": ("有问题时才能生成线索", "Only a finding with a concern can raise a lead"),
    "lead_failed": (
        "日志已保存，但线索未能生成，请稍后重试",
        "The log is saved but its lead could not be raised; try again",
    ),
    "leads_off": (
        "本区实施细则未允许委托监理记录生成线索",
        "This district's rules do not let supervisors' logs raise leads",
    ),
}


_msg = messages_in(MESSAGES)
