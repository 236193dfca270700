"""The public side: the site page behind the QR code on the registration receipt, and reports from
anyone (no login) that become leads for the site's street, like a grid worker's.

Nothing personal is ever shown: no owner, no ID number, no phone; a contractor is named only when
it is an enterprise (an individual craftsman is a person). Reports are limited per IP address in
the database, carry a honeypot field and a signed form time (a form sent back within seconds of
being served is a bot's).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from ...domain.errors import DomainError
from ...persistence.models import OrgUnit, Project, User, db
from ...persistence.oversight import Notice, PublicReport
from ..casefile import attachments, notices
from ..designer import task_forms
from ..errors import NotFound, ValidationFailed
from ..ledger import queries
from ..lifecycle import instances
from ..security import auth

PUBLIC_USERNAME = "public"  # the account public reports and their photos are recorded under
MIN_FILL_SECONDS = 4
MAX_FORM_AGE = timedelta(hours=3)
LIMITS = ((timedelta(hours=1), 3), (timedelta(days=1), 10))  # (window, reports per IP)
HONEYPOT = "website"
MAX_PHOTOS = 3

MESSAGES = {
    "too_fast": ("提交过快，请稍候再提交", "Submitted too quickly; please wait a moment and submit again"),
    "expired": ("页面已过期，请刷新后重新填写", "The page has expired; reload it and fill it in again"),
    "rate": ("提交次数过多，请稍后再试或拨打街道监督电话", "Too many reports; try later or call the street's hotline"),
}


class TooManyReports(DomainError):
    """429: this address has sent its share of reports for now."""


def message(code: str, lang: str) -> str:
    zh, en = MESSAGES[code]
    return en if lang == "en" else zh


# -- the site page ----------------------------------------------------------------------------
def site(reg_no: str) -> dict:
    """What the public may know about a registered site; NotFound for anything else (leads, typos)."""
    project = db.session.scalar(select(Project).where(Project.reg_no == reg_no))
    if project is None or not _has_receipt(project):
        raise NotFound("no such site")
    facts = queries.project_data(project)
    street = db.session.scalar(select(OrgUnit).where(OrgUnit.code == project.street_code))
    contractor_type = facts.get("contractor_type")
    return {
        "reg_no": project.reg_no,
        "category": project.category,
        "category_label": notices.option_label("category", project.category),
        "contractor_type_label": notices.option_label("contractor_type", contractor_type),
        "object_type": project.object_type,
        "planned_start": project.planned_start,
        "planned_end": project.planned_end,
        "contractor_type": contractor_type,
        # A company's name is public information; a craftsman's or the owner's is not.
        "contractor_name": facts.get("contractor_name") if contractor_type == "QUALIFIED_ENTERPRISE" else None,
        "stage": project.stage,
        "status": project.status,
        "closed": project.closed_at is not None,
        "street_code": project.street_code,
        "street_name": street.name if street else project.street_code,
        "hotline": (street.hotline if street else None) or "12345",
    }


def _has_receipt(project: Project) -> bool:
    return db.session.scalar(select(Notice.id).where(Notice.project_id == project.id, Notice.kind == "receipt")
                             .limit(1)) is not None


def streets() -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).where(OrgUnit.kind == "street").order_by(OrgUnit.code)))


# -- reports ----------------------------------------------------------------------------------
def form_token() -> str:
    """Signed time the report form was served (checked for the minimum fill time)."""
    return _serializer().dumps({"t": datetime.now(timezone.utc).timestamp()})


def public_user() -> User:
    """The inactive account public reports are recorded under (it cannot sign in)."""
    user = db.session.scalar(select(User).where(User.username == PUBLIC_USERNAME))
    if user is None:
        import secrets

        city = db.session.scalar(select(OrgUnit).where(OrgUnit.kind == "city").order_by(OrgUnit.id))
        user = User(username=PUBLIC_USERNAME, display_name="社会公众", role="public", org_unit_id=city.id,
                    active=False, password_hash=auth.hash_password(secrets.token_hex(32)))
        db.session.add(user)
        db.session.commit()
    return user


def check_form(fields, ip: str | None, lang: str = "zh") -> None:
    """Refuse bots and floods before anything is stored: honeypot, fill time, per-IP limits."""
    if (fields.get(HONEYPOT) or "").strip():
        # Pretend nothing is wrong would teach bots nothing either; a plain refusal is honest.
        raise ValidationFailed({"__all__": message("too_fast", lang)})
    try:
        served = _serializer().loads(fields.get("form_token") or "", max_age=int(MAX_FORM_AGE.total_seconds()))
    except BadSignature:
        raise ValidationFailed({"__all__": message("expired", lang)}) from None
    if datetime.now(timezone.utc).timestamp() - float(served.get("t", 0)) < MIN_FILL_SECONDS:
        raise ValidationFailed({"__all__": message("too_fast", lang)})
    now = datetime.now(timezone.utc)
    key = _ip_hash(ip)
    for window, limit in LIMITS:
        sent = db.session.scalar(select(func.count()).select_from(PublicReport)
                                 .where(PublicReport.ip_hash == key, PublicReport.at >= now - window))
        if sent >= limit:
            raise TooManyReports(message("rate", lang))


def report(data: dict, *, ip: str | None, site_reg_no: str | None = None, lang: str = "zh") -> Project:
    """A validated public report becomes a lead of the street (the site's street when it names one)."""
    streets = list(db.session.scalars(select(OrgUnit.code).where(OrgUnit.kind == "street")))
    data = dict(data)
    if site_reg_no:
        site(site_reg_no)  # only registered sites have a page to report from
        project = db.session.scalar(select(Project).where(Project.reg_no == site_reg_no))
        data["street"], data["community"] = project.street_code, project.community_code
        data["address"] = (data.get("address") or "").strip() or project.address
    data.setdefault("urgency", "NORMAL")
    communities = list(db.session.scalars(select(OrgUnit.code).where(OrgUnit.kind == "community")))
    clean = task_forms.validate("lead", data, lang=lang, options={"streets": streets, "communities": communities})
    if site_reg_no:
        clean["site_reg_no"] = site_reg_no
    project = instances.start_lead(clean, reporter=public_user(), ip=ip, source="PUBLIC_APP")
    db.session.add(PublicReport(ip_hash=_ip_hash(ip), site_reg_no=site_reg_no, project_id=project.id))
    db.session.commit()
    return project


def store_photos(files, lang: str = "zh") -> list[str]:
    """Photos sent with a report (at most MAX_PHOTOS), kept like any upload, under the public account."""
    user = public_user()
    return [attachments.store(user, f.stream, f.filename, lang).id for f in list(files)[:MAX_PHOTOS]]


def _ip_hash(ip: str | None) -> str:
    # Only a keyed hash of the address is kept: enough to count, not to identify.
    return hashlib.sha256(f"{current_app.config['SECRET_KEY']}|{ip or '-'}".encode()).hexdigest()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="public-report")
