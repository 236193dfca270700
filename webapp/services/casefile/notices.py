"""Notices as documents: issued when a step marked with the BPMN property `notice` completes.

Which step issues which document is part of the diagram, not of this module: an element carries
`notice` (kinds separated by spaces) and optionally `noticeIf` (a condition on the step's data,
e.g. `approved == 'yes'`). Each notice is numbered per district, kind and year
(思明-整改-2026-0001), keeps the data it was made from and its HTML as issued, and is never changed.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from ...domain.durations import parse_duration
from ...domain.engine import properties
from ...domain.errors import ScriptFailed
from ...domain.sandbox import ScriptRefused, make_script_engine
from ...persistence.models import OrgUnit, Project, User, db
from ...persistence.oversight import Notice
from ..designer import task_forms
from ..errors import NotFound
from ..lifecycle.numbering import next_sequence
from ..security import policy
from . import site_link

CST = timezone(timedelta(hours=8))

# kind → (Chinese title, short label in the number, English title)
KINDS = {
    "receipt": ("小散工程和零星作业登记回执", "登记", "Registration receipt"),
    "risk_notice": ("安全风险告知书", "告知", "Risk notice"),
    "commitment": ("安全生产承诺书", "承诺", "Safety commitment"),
    "rectification": ("责令限期整改通知书", "整改", "Rectification order"),
    "stop_work": ("责令停工（暂停施工）通知书", "停工", "Stop-work order"),
    "handover": ("案件移送函", "移交", "Hand-over letter"),
    "writeoff": ("完工核销单", "核销", "Write-off slip"),
}
# Instance data copied into a notice (what the document shows); never ID numbers.
SNAPSHOT_KEYS = (
    "category", "object_type", "address", "planned_start", "planned_end", "contractor_name", "owner_name",
    "site_manager_name", "risk_level", "risk_flags", "hazard_severity", "hazard_description", "rectify_within",
    "reason", "scope", "facts", "opinion", "actual_end", "insurance_policy_no", "has_safety_insurance",
)


def issue_for_steps(project: Project, bundle, events, data: dict) -> list[Notice]:
    """Called by services.lifecycle.instances inside the transaction that records the steps."""
    issued = []
    for event in events:
        spec = bundle.task_spec(event.name) if event.name else None
        props = properties(spec) if spec is not None else {}
        kinds = (props.get("notice") or "").split()
        if not kinds or not _condition_holds(event.name, props.get("noticeIf"), {**data, **(event.data or {})}):
            continue
        for kind in kinds:
            if kind in KINDS:
                issued.append(_issue(project, kind, event.name, {**data, **(event.data or {})}))
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


def _issue(project: Project, kind: str, element_id: str, data: dict) -> Notice:
    now = datetime.now(timezone.utc)
    year = now.astimezone(CST).year
    district, street = _unit(project.district_code), _unit(project.street_code)
    short = (district.name if district else project.district_code).removesuffix("区")
    seq = next_sequence(f"notice-{project.district_code}-{kind}-{year}")
    number = f"{short}-{KINDS[kind][1]}-{year}-{seq:04d}"
    snapshot = {k: data.get(k) for k in SNAPSHOT_KEYS if data.get(k) not in (None, "", [])}
    snapshot.update(
        reg_no=project.reg_no, title=project.title, address=project.address or data.get("address"),
        district=district.name if district else project.district_code,
        street=street.name if street else project.street_code,
        hotline=street.hotline if street and street.hotline else None,
    )
    if kind == "rectification" and data.get("rectify_within"):
        try:
            snapshot["deadline"] = (now + parse_duration(data["rectify_within"])).astimezone(CST).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            pass
    notice = Notice(project_id=project.id, kind=kind, number=number, district_code=project.district_code,
                    street_code=project.street_code, element_id=element_id, issued_at=now,
                    data_json=json.dumps(snapshot, ensure_ascii=False, default=str))
    qr = None
    if kind == "receipt":
        qr = site_link.qr_svg(site_link.site_url(project.reg_no))
    notice.html = render(kind, number, now, snapshot, qr_svg=qr)
    db.session.add(notice)
    return notice


def render(kind: str, number: str, issued_at: datetime, data: dict, qr_svg: str | None = None) -> str:
    """The document body (Chinese, as served), from templates/notices/_body.html."""
    template = current_app.jinja_env.get_template("notices/_body.html")
    return template.render(kind=kind, title=KINDS[kind][0], number=number,
                           issued_on=issued_at.astimezone(CST).strftime("%Y年%m月%d日"), d=data,
                           label=option_label, qr_svg=qr_svg)


def option_label(key: str, value) -> str:
    """Option labels of the registration and task forms for a stored code."""
    if value is None:
        return ""
    values = value if isinstance(value, list) else [value]
    labels = _option_labels()
    return "、".join(str(labels.get((key, v), v)) for v in values)


def _option_labels() -> dict:
    out = {}
    for form in task_forms.catalog():
        for field in form.fields:
            for option in field.options or ():
                out.setdefault((field.key, option.get("value")), option.get("label"))
    return out


def _unit(code: str) -> OrgUnit | None:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))


# -- reading -----------------------------------------------------------------------------------
def for_project(project: Project) -> list[Notice]:
    return list(db.session.scalars(select(Notice).where(Notice.project_id == project.id).order_by(Notice.id)))


def for_owner(user: User, limit: int = 200) -> list[tuple[Notice, Project]]:
    rows = db.session.execute(
        select(Notice, Project).join(Project, Project.id == Notice.project_id)
        .where(policy.project_filter(user)).order_by(Notice.id.desc()).limit(limit))
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
