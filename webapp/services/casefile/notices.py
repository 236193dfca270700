"""Notices as documents: issued when a step marked with the BPMN property `notice` completes.

Which step issues which document is part of the diagram, not of this module: an element carries
`notice` (kinds separated by spaces) and optionally `noticeIf` (a condition on the step's data,
e.g. `approved == 'yes'`) or `noticeIf:<kind>` (a condition for that kind alone). Each notice is numbered per district, kind and year
(思明-整改-2026-0001), keeps the data it was made from and the template version it was issued
with, and is never changed. Its document is rendered from those on demand (`document`): whatever a
later deploy changes in the forms' labels or the site's address, the data carries the labels and
the QR code's address as issued, so a re-render gives the bytes first served.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from flask import current_app
from sqlalchemy import select

from ...domain.durations import parse_duration
from ...domain.engine import properties
from ...domain.errors import ScriptFailed
from ...domain.sandbox import ScriptRefused, make_script_engine
from ...persistence.models import OrgUnit, Project, User, db
from ...persistence.oversight import Notice
from ...persistence.step_store import ProjectLike
from ..designer import task_forms
from ..errors import NotFound
from ..lifecycle.numbering import next_sequence
from ..security import policy
from . import history_rows, site_link

CST = timezone(timedelta(hours=8))
# The template new notices are issued with (templates/notices/body_v<N>.html). A template file never
# changes once notices use it: a new wording is a new file and a new number.
TEMPLATE_VERSION = 1
# The fields whose option labels a notice prints, resolved when it is issued.
LABELLED = ("category", "risk_flags", "violation")

# kind → (Chinese title, short label in the number, English title)
KINDS = {
    "receipt": ("小散工程和零星作业登记回执", "登记", "Registration receipt"),
    "risk_notice": ("安全风险告知书", "告知", "Risk notice"),
    "commitment": ("安全生产承诺书", "承诺", "Safety commitment"),
    "rectification": ("责令限期整改通知书", "整改", "Rectification order"),
    "stop_work": ("责令停工（暂停施工）通知书", "停工", "Stop-work order"),
    "handover": ("案件移送函", "移交", "Hand-over letter"),
    "writeoff": ("完工核销单", "核销", "Write-off slip"),
    "writeoff_rejected": ("不予完工核销告知书", "退回", "Write-off refused"),
    "permit_required": ("办理施工许可告知书", "许可", "Notice to obtain a construction permit"),
    "temp_referral": ("临时建设转办告知书", "转办", "Temporary construction referral"),
    "cooperation": ("特殊区域安全监管配合通知", "配合", "Special-area cooperation notice"),
    "completion_reminder": ("完工申报提醒", "提醒", "Completion declaration reminder"),
}
# Instance data copied into a notice (what the document shows); never ID numbers.
SNAPSHOT_KEYS = (
    "category",
    "object_type",
    "address",
    "planned_start",
    "planned_end",
    "contractor_name",
    "owner_name",
    "site_manager_name",
    "risk_level",
    "risk_flags",
    "hazard_severity",
    "hazard_description",
    "rectify_within",
    "reason",
    "scope",
    "scope_detail",
    "facts",
    "opinion",
    "actual_end",
    "insurance_policy_no",
    "has_safety_insurance",
    "violation",
    "case_unit",
    "rectify_deadline",
    "late_registration",
    "site_checks",
    "scaffold_removed",
    "temp_power_removed",
    "debris_cleared",
    "photos",
    "note",
    "writeoff_inspector",
    "writeoff_approver",
    "writeoff_auto_done",
    "work_started",
    "handling_note",
    "special_areas",
    "investment_wan",
    "floor_area_m2",
    "route",
)
# The legal basis each kind of order cites, and whether it states the remedies: district rules (P-20).
LEGAL_BASIS = {
    "rectification": "legal_basis_rectification",
    "stop_work": "legal_basis_stop_work",
    "handover": "legal_basis_handover",
}
ORDERS = ("rectification", "stop_work")
SERVICE_METHODS = {
    "IN_PERSON": "直接送达（当场签收）",
    "POSTED": "留置送达（张贴于现场并拍照）",
    "ELECTRONIC": "电子送达",
    "REFUSED": "拒收（已注明并有见证人）",
}


def issue_for_steps(project: ProjectLike, bundle, events, data: dict, hazards=None) -> list[Notice]:
    """Called by services.lifecycle.instances inside the transaction that records the steps; `hazards`
    are the project's open hazards as the step leaves them (a rectification order lists them)."""
    issued = []
    # The units and form labels a step's notices print, read once for all of them.
    memo: dict = {}
    for event in events:
        spec = bundle.task_spec(event.name) if event.name else None
        props = properties(spec) if spec is not None else {}
        kinds = (props.get("notice") or "").split()
        facts = {**data, **(event.data or {})}
        if not kinds or not _condition_holds(event.name, props.get("noticeIf"), facts):
            continue
        for kind in kinds:
            if kind in KINDS and _condition_holds(event.name, props.get(f"noticeIf:{kind}"), facts):
                issued.append(_issue(project, kind, event.name, facts, hazards, memo))
    return issued


def _condition_holds(element_id: str, expression: str | None, data: dict) -> bool:
    if not expression:
        return True
    try:
        return bool(make_script_engine().environment.evaluate(expression, dict(data)))
    except ScriptRefused as refused:
        # Refused code or a limit passed: the step fails with the reason (a 422, or an incident
        # for a timer) rather than going on without the notice the diagram promises.
        raise ScriptFailed(f"{element_id}（noticeIf）: {refused}") from refused
    except Exception:
        # A broken condition must not block the step itself; no notice is issued instead.
        current_app.logger.warning("noticeIf %r could not be evaluated", expression)
        return False


def _issue(project: Project, kind: str, element_id: str, data: dict, hazards, memo: dict) -> Notice:
    now = datetime.now(timezone.utc)
    year = now.astimezone(CST).year
    district, street = _unit(project.district_code, memo), _unit(project.street_code, memo)
    short = (district.name if district else project.district_code).removesuffix("区")
    seq = next_sequence(f"notice-{project.district_code}-{kind}-{year}")
    number = f"{short}-{KINDS[kind][1]}-{year}-{seq:04d}"
    snapshot = {k: data.get(k) for k in SNAPSHOT_KEYS if data.get(k) not in (None, "", [])}
    snapshot.update(
        claim_code=project.claim_code if project.owner_user_id is None else None,
        reg_no=project.reg_no,
        title=project.title,
        address=project.address or data.get("address"),
        district=district.name if district else project.district_code,
        street=street.name if street else project.street_code,
        hotline=street.hotline if street and street.hotline else None,
        # Printed as issued by the office's legal name (organisation tree), not a place name.
        issuer=(street.legal_name if street and street.legal_name else None)
        or f"{district.name if district else ''}{street.name if street else ''}",
    )
    if kind in LEGAL_BASIS or kind in ORDERS:
        from ...domain import rules as rule_catalogue
        from ..district_rules.rulebook import RuleReader

        reader = RuleReader(project.district_code)
        if kind in LEGAL_BASIS:
            snapshot["legal_basis"] = reader.rule(LEGAL_BASIS[kind], getattr(rule_catalogue, LEGAL_BASIS[kind].upper()))
        if kind in ORDERS:
            snapshot["remedies"] = reader.rule("legal_remedies", rule_catalogue.LEGAL_REMEDIES)
    if kind == "rectification" and hazards:
        snapshot["hazards"] = [
            {
                "ref": h["ref"],
                "item_code": h["item_code"],
                "item_text": h["item_text"],
                "severity": h["severity"],
                "description": h["description"].rstrip("。"),
            }
            for h in hazards
        ]
    if kind == "handover":
        snapshot["receiver"] = receiving_unit(snapshot["district"], data.get("case_unit"))
    if kind == "rectification" and data.get("rectify_due_at"):
        snapshot["deadline"] = datetime.fromisoformat(data["rectify_due_at"]).astimezone(CST).strftime("%Y-%m-%d %H:%M")
    elif kind == "rectification" and data.get("rectify_within"):
        try:
            snapshot["deadline"] = (
                (now + parse_duration(data["rectify_within"])).astimezone(CST).strftime("%Y-%m-%d %H:%M")
            )
        except ValueError:
            pass
    if "labels" not in memo:
        memo["labels"] = _option_labels()
    snapshot["labels"] = {key: option_label(key, snapshot[key], memo["labels"]) for key in LABELLED if key in snapshot}
    if kind == "receipt":
        snapshot["site_url"] = site_link.site_url(project.reg_no)
    notice = Notice(
        project_id=project.id,
        kind=kind,
        number=number,
        district_code=project.district_code,
        street_code=project.street_code,
        element_id=element_id,
        issued_at=now,
        # Only a write-off slip is counted by it (on time or late, kpi.writeoff_in_time); on other
        # notices it would cost bytes in three indexes for nothing.
        planned_end=project.planned_end if kind == "writeoff" else None,
        data_json=json.dumps(snapshot, ensure_ascii=False, default=str),
        template_version=TEMPLATE_VERSION,
    )
    db.session.add(notice)
    return notice


def document(notice: Notice) -> str:
    """The notice's HTML: as stored for a notice issued before template versions, otherwise rendered
    from its data with the template version it was issued with."""
    if notice.template_version is None:
        return notice.html or ""
    return _rendered(notice.kind, notice.number, notice.issued_at, notice.data_json, notice.template_version)


@lru_cache(maxsize=256)
def _rendered(kind: str, number: str, issued_at: datetime, data_json: str, version: int) -> str:
    # Notices never change, so a rendered one can be kept (a receipt's QR code takes a few ms to draw).
    data = json.loads(data_json)
    qr = site_link.qr_svg(data["site_url"]) if data.get("site_url") else None
    return render(kind, number, issued_at, data, qr_svg=qr, version=version)


def receiving_unit(district: str, code: str | None) -> str:
    """The receiving department's name on a hand-over letter: the district's office of that kind."""
    from ...domain.rules import PARAMS

    units = {o.value: o.zh for o in next(p for p in PARAMS if p.name == "enforcement_routing").options}
    name = units.get(code or "DISTRICT_ENFORCEMENT", "区综合执法局")
    return f"{district}{name[1:]}" if name.startswith("区") else name


def record_service(
    user: User, notice_id: int, *, method: str, served_to: str, served_at=None, photos=(), note: str = ""
) -> Notice:
    """The service record (送达回证) of a notice, by the street's staff of its project; once."""
    from ..errors import Conflict, Forbidden, ValidationFailed

    notice, project = visible(user, notice_id)
    if not policy.is_street_staff(user, project):
        raise Forbidden("only the street's inspectors and supervisor serve notices")
    if notice.served_at is not None:
        raise Conflict("该文书已登记送达")
    errors = {}
    if method not in SERVICE_METHODS:
        errors["method"] = "请选择送达方式"
    if not (served_to or "").strip():
        errors["served_to"] = "请填写受送达人"
    if method in ("IN_PERSON", "POSTED", "REFUSED") and not photos:
        errors["photos"] = "请上传签收、张贴或拒收的现场照片"
    if errors:
        raise ValidationFailed(errors)
    notice.served_at = served_at or datetime.now(timezone.utc)
    notice.service_method = method
    notice.served_to = served_to.strip()[:100]
    notice.service_photos_json = json.dumps(list(photos))
    notice.service_note = (note or "").strip()[:500] or None
    notice.served_by_id = user.id
    history_rows.add(
        project.id,
        user,
        "notice_served",
        notice.element_id,
        f"送达 {notice.number}",
        {"notice": notice.number, "method": method, "served_to": notice.served_to},
        None,
    )
    db.session.commit()
    return notice


def service_record(notice: Notice) -> dict | None:
    if notice.served_at is None:
        return None
    return {
        "served_at": notice.served_at,
        "method": notice.service_method,
        "method_label": SERVICE_METHODS.get(notice.service_method, notice.service_method),
        "served_to": notice.served_to,
        "photos": json.loads(notice.service_photos_json or "[]"),
        "note": notice.service_note,
    }


def as_row(notice: Notice) -> dict:
    return {
        "id": notice.id,
        "kind": notice.kind,
        "number": notice.number,
        "issued_at": notice.issued_at,
        "html": document(notice),
        "data": json.loads(notice.data_json),
        "service": service_record(notice),
    }


def render(
    kind: str, number: str, issued_at: datetime, data: dict, qr_svg: str | None = None, version: int = TEMPLATE_VERSION
) -> str:
    """The document body (Chinese, as served), from templates/notices/body_v<version>.html; the
    labels the notice was issued with, else today's (a preview of data not yet issued)."""
    template = current_app.jinja_env.get_template(f"notices/body_v{version}.html")
    labels = data.get("labels") or {}

    def label(key: str, value) -> str:
        return labels[key] if key in labels else option_label(key, value)

    return template.render(
        kind=kind,
        title=KINDS[kind][0],
        number=number,
        issued_on=issued_at.astimezone(CST).strftime("%Y年%m月%d日"),
        d=data,
        label=label,
        qr_svg=qr_svg,
    )


def option_label(key: str, value, labels: dict | None = None) -> str:
    """Option labels of the registration and task forms for a stored code (`labels`: those
    _option_labels read, if the caller has them)."""
    if value is None:
        return ""
    values = value if isinstance(value, list) else [value]
    labels = labels if labels is not None else _option_labels()
    return "、".join(str(labels.get((key, v), v)) for v in values)


def _option_labels() -> dict:
    out = {}
    for form in task_forms.catalog():
        for field in form.fields:
            for option in field.options or ():
                out.setdefault((field.key, option.get("value")), option.get("label"))
    return out


def _unit(code: str, memo: dict) -> OrgUnit | None:
    units = memo.setdefault("units", {})
    if code not in units:
        units[code] = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    return units[code]


# -- reading -----------------------------------------------------------------------------------
def for_project(project: Project) -> list[Notice]:
    return list(db.session.scalars(select(Notice).where(Notice.project_id == project.id).order_by(Notice.id)))


def for_owner(user: User, limit: int = 200) -> list[tuple[Notice, Project]]:
    rows = db.session.execute(
        select(Notice, Project)
        .join(Project, Project.id == Notice.project_id)
        .where(policy.project_filter(user))
        .order_by(Notice.id.desc())
        .limit(limit)
    )
    return [tuple(r) for r in rows]


def visible(user: User, notice_id: int) -> tuple[Notice, Project]:
    notice = db.session.get(Notice, notice_id)
    project = db.session.get(Project, notice.project_id) if notice is not None else None
    if project is None or not policy.can_see_project(user, project):
        raise NotFound("no such notice")
    return notice, project


def title(kind: str, lang: str = "zh") -> str:
    zh, _short, en = KINDS.get(kind, (kind, kind, kind))
    return en if lang == "en" else zh
