"""The public side: the site page behind the QR code on the registration receipt, and reports from
anyone (no login) that become leads for the site's street, like a grid worker's.

Nothing personal is ever shown: no owner, no ID number, no phone; a contractor is named only when
it is an enterprise (an individual craftsman is a person). A report carries a honeypot field and a
signed, single-use form token with the time it was served (a form sent back within seconds is a
bot's). Every attempt counts against its address, refused ones too; the report is validated before
anything is stored; photos are held to a pixel limit below the staff's and to a disk budget per
address and per day; photos of reports that never became a lead are removed by the timer worker.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ...domain.errors import DomainError
from ...persistence.models import OrgUnit, Project, User, db
from ...persistence.oversight import Notice, PublicReport
from ..casefile import attachments, notices
from ..designer import task_forms
from ..errors import NotFound, ValidationFailed, messages_in
from ..ledger import queries
from ..lifecycle import instances
from ..security import auth

PUBLIC_USERNAME = "public"  # the account public reports and their photos are recorded under
MIN_FILL_SECONDS = 4
MAX_FORM_AGE = timedelta(hours=3)
LIMITS = ((timedelta(hours=1), 3), (timedelta(days=1), 10))  # (window, accepted reports per address)
ATTEMPT_LIMITS = ((timedelta(hours=1), 10), (timedelta(days=1), 30))  # (window, attempts per address)
HONEYPOT = "website"
MAX_PHOTOS = 3
MAX_PIXELS = 12_000_000  # a phone photo; staff uploads allow more (attachments.MAX_PIXELS)
BYTES_PER_ADDRESS_DAY = 20 * 1024 * 1024  # stored photo bytes one address may cost a day
BYTES_PER_DAY = 2 * 1024 * 1024 * 1024  # and everyone together
ORPHAN_AGE = timedelta(hours=1)  # photos of the public account not in a lead by then are removed
log = logging.getLogger(__name__)

MESSAGES = {
    "too_fast": ("提交过快，请稍候再提交", "Submitted too quickly; please wait a moment and submit again"),
    "expired": ("页面已过期，请刷新后重新填写", "The page has expired; reload it and fill it in again"),
    "rate": ("提交次数过多，请稍后再试或拨打街道监督电话", "Too many reports; try later or call the street's hotline"),
    "sent": ("此表单已提交过，请刷新页面后重新填写", "This form was already sent; reload the page to send another"),
    "disk": (
        "今日照片已达上限，请不附照片提交或明天再试",
        "Today's share of photos is used up; send without photos or try tomorrow",
    ),
}


class TooManyReports(DomainError):
    """429: this address has sent its share of reports for now."""


message = messages_in(MESSAGES)


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
        "title": project.title,
        "address": project.address,
        "public_status": public_status(project),
        "closed": project.closed_at is not None,
        "street_code": project.street_code,
        "street_name": street.name if street else project.street_code,
        "hotline": (street.hotline if street else None) or "12345",
    }


def public_status(project: Project) -> str:
    """The status as the public may read it: what the site is doing, never the internal step."""
    if project.closed_at is not None:
        return "已完工核销" if project.stage == "writeoff" else "已办结"
    if project.stage == "enforcement":
        return "停工整改中" if "停工" in (project.status or "") else "隐患整改中"
    if project.stage == "writeoff":
        return "完工核销中"
    return "施工中（街道日常巡查）" if project.stage == "patrol" else "已登记"


def _has_receipt(project: Project) -> bool:
    return (
        db.session.scalar(select(Notice.id).where(Notice.project_id == project.id, Notice.kind == "receipt").limit(1))
        is not None
    )


def streets() -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).where(OrgUnit.kind == "street").order_by(OrgUnit.code)))


# -- reports ----------------------------------------------------------------------------------
def form_token() -> str:
    """Signed time the report form was served (for the minimum fill time) and a nonce (sent once)."""
    return _serializer().dumps({"t": datetime.now(timezone.utc).timestamp(), "n": secrets.token_hex(16)})


def public_user() -> User:
    """The inactive account public reports are recorded under (it cannot sign in)."""
    user = db.session.scalar(select(User).where(User.username == PUBLIC_USERNAME))
    if user is None:
        city = db.session.scalar(select(OrgUnit).where(OrgUnit.kind == "city").order_by(OrgUnit.id))
        user = User(
            username=PUBLIC_USERNAME,
            display_name="社会公众",
            role="public",
            org_unit_id=city.id,
            active=False,
            password_hash=auth.hash_password(secrets.token_hex(32)),
        )
        db.session.add(user)
        db.session.commit()
    return user


def submit(data: dict, fields, photos, *, ip: str | None, site_reg_no: str | None = None, lang: str = "zh") -> Project:
    """A report from the public, as the one path pages take: refuse floods and bots, record the
    attempt (it counts against the address whatever comes next, and uses up its form), validate,
    and only then store photos and start the lead. `fields` is the posted form (token, honeypot)."""
    key = _ip_hash(ip)
    _check_limits(key, lang)
    nonce, problem = _check_form(fields, lang)
    attempt = PublicReport(ip_hash=key, site_reg_no=site_reg_no, form_nonce=nonce)
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        db.session.add(PublicReport(ip_hash=key, site_reg_no=site_reg_no))  # still an attempt
        db.session.commit()
        raise ValidationFailed({"__all__": message("sent", lang)}) from None
    if problem:
        raise ValidationFailed({"__all__": problem})
    data, clean = _validated(data, site_reg_no, lang)
    photos = [f for f in photos if f.filename][:MAX_PHOTOS]
    if photos and _stored_today(key) >= BYTES_PER_ADDRESS_DAY or photos and _stored_today() >= BYTES_PER_DAY:
        raise TooManyReports(message("disk", lang))
    stored = [attachments.store(public_user(), f.stream, f.filename, lang, max_pixels=MAX_PIXELS) for f in photos]
    if stored:
        data["photos"] = [a.id for a in stored]
        data, clean = _validated(data, site_reg_no, lang)
    site_project = db.session.scalar(select(Project).where(Project.reg_no == site_reg_no)) if site_reg_no else None
    if site_project is not None and site_project.closed_at is None:
        # A report about a registered, open site is an inspection request on it, not a new project.
        project = instances.request_inspection(
            site_project,
            {
                "source": "PUBLIC_APP",
                "reason": clean.get("description"),
                "photos": clean.get("photos") or [],
                "urgency": clean.get("urgency", "NORMAL"),
            },
            actor=public_user(),
            ip=ip,
        )
    else:
        project = instances.start_lead(clean, reporter=public_user(), ip=ip, source="PUBLIC_APP")
    attempt = db.session.get(PublicReport, attempt.id)
    attempt.project_id, attempt.stored_bytes = project.id, sum(a.size for a in stored)
    db.session.commit()
    attachments.link([a.id for a in stored], project.id)
    return project


def _check_limits(key: str, lang: str) -> None:
    now = datetime.now(timezone.utc)
    for limits, accepted_only in ((ATTEMPT_LIMITS, False), (LIMITS, True)):
        for window, limit in limits:
            query = (
                select(func.count())
                .select_from(PublicReport)
                .where(PublicReport.ip_hash == key, PublicReport.at >= now - window)
            )
            if accepted_only:
                query = query.where(PublicReport.project_id.is_not(None))
            if db.session.scalar(query) >= limit:
                raise TooManyReports(message("rate", lang))


def _check_form(fields, lang: str) -> tuple[str | None, str | None]:
    """The form's nonce (None if the token is not ours) and what is wrong with the form, if anything:
    honeypot filled, token forged or too old, sent back too fast."""
    try:
        served = _serializer().loads(fields.get("form_token") or "", max_age=int(MAX_FORM_AGE.total_seconds()))
    except BadSignature:
        return None, message("expired", lang)
    nonce = str(served.get("n") or "")[:32] or None
    if (fields.get(HONEYPOT) or "").strip():
        # Pretending nothing is wrong would teach bots nothing either; a plain refusal is honest.
        return nonce, message("too_fast", lang)
    if nonce is None:
        return None, message("expired", lang)
    if datetime.now(timezone.utc).timestamp() - float(served.get("t", 0)) < MIN_FILL_SECONDS:
        return nonce, message("too_fast", lang)
    return nonce, None


def _validated(data: dict, site_reg_no: str | None, lang: str) -> tuple[dict, dict]:
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
    return data, clean


def _stored_today(key: str | None = None) -> int:
    query = select(func.coalesce(func.sum(PublicReport.stored_bytes), 0)).where(
        PublicReport.at >= datetime.now(timezone.utc) - timedelta(days=1)
    )
    if key is not None:
        query = query.where(PublicReport.ip_hash == key)
    return int(db.session.scalar(query))


def remove_orphaned_photos(now: datetime | None = None) -> int:
    """Photos of the public account that no lead took within ORPHAN_AGE (a report that failed
    after storing them): files and rows go. For the timer worker; returns how many."""
    user = db.session.scalar(select(User.id).where(User.username == PUBLIC_USERNAME))
    if user is None:
        return 0
    removed = attachments.remove_unlinked(user, (now or datetime.now(timezone.utc)) - ORPHAN_AGE)
    if removed:
        log.info("removed %s orphaned public photo(s)", removed)
    return removed


def _ip_hash(ip: str | None) -> str:
    # Only a keyed hash of the address is kept: enough to count, not to identify.
    return hashlib.sha256(f"{current_app.config['SECRET_KEY']}|{ip or '-'}".encode()).hexdigest()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="public-report")
