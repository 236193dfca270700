"""Property management companies (物业服务企业, P-26): the estates a registration lies in, what a
company's accounts may reach, and the yearly figures and star rating the district housing bureau
rates companies with (weights and star thresholds in the district's rules)."""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass

from sqlalchemy import func, select

from ..persistence.models import HistoryEvent, OrgUnit, Project, User, db
from ..persistence.organisation import Estate, PropertyCompany
from ..persistence.oversight import Notice
from . import kpi, policy
from . import rules as rule_service
from .errors import Forbidden, ValidationFailed, messages_in

ESTATE_PREFIX = "E"
# Lead-check outcomes meaning the reported site was there (services.kpi counts found sites alike).
CONFIRMED_OUTCOMES = ("unregistered", "registered")


# -- estates on registration ---------------------------------------------------------------------
def estate_code(estate: Estate) -> str:
    """An estate as a form option value (org-unit codes are digits, so the prefix cannot clash)."""
    return f"{ESTATE_PREFIX}{estate.id}"


def estates_for(user: User | None, street_codes: list[str]) -> list[Estate]:
    """The active estates a registration by this user may name inside these streets: a property
    company's account names its own company's estates only (no user: every estate there)."""
    query = (select(Estate).join(PropertyCompany)
             .where(Estate.active, PropertyCompany.active, Estate.street_code.in_(street_codes)))
    if user is not None and user.role == "property":
        query = query.where(Estate.company_id == user.property_company_id)
    return list(db.session.scalars(query.order_by(Estate.street_code, Estate.name)))


def company_streets(user: User) -> list[str]:
    """The streets where a property company's account works: those of its active estates."""
    return list(db.session.scalars(select(Estate.street_code).distinct()
                                   .where(Estate.company_id == user.property_company_id, Estate.active)))


def estate_for_registration(user: User, code: str | None, street: OrgUnit, community: str | None,
                            lang: str = "zh") -> Estate | None:
    """The estate a registration names, checked against its street and community; a property
    company registers only inside its own estates and only where the district allows it (P-26a)."""
    if user.role == "property" and not rule_service.in_force(street.district_code).values["property_may_register"]:
        raise Forbidden("property companies may not register on behalf of owners in this district")
    if not code:
        if user.role == "property":
            raise ValidationFailed({"estate": _msg("estate_required", lang)})
        return None
    estate = None
    if code.startswith(ESTATE_PREFIX) and code[1:].isdigit():
        estate = db.session.get(Estate, int(code[1:]))
    if estate is None or estate not in estates_for(user, [street.code]) or (
            community and estate.community_code and estate.community_code != community):
        raise ValidationFailed({"estate": _msg("estate_elsewhere", lang)})
    return estate


def estate_streets(codes) -> dict[str, str]:
    """Option value → the estate's street, so a form can hide estates of other streets."""
    ids = [int(c[1:]) for c in codes if isinstance(c, str) and c.startswith(ESTATE_PREFIX) and c[1:].isdigit()]
    if not ids:
        return {}
    return {f"{ESTATE_PREFIX}{i}": street for i, street in db.session.execute(
        select(Estate.id, Estate.street_code).where(Estate.id.in_(ids)))}


def company_of(user: User) -> PropertyCompany | None:
    return db.session.get(PropertyCompany, user.property_company_id) if user.property_company_id else None


# -- yearly report and star rating ---------------------------------------------------------------
COLUMNS = ("物业服务企业", "管理小区数", "协助登记", "小区内登记工程", "报告线索", "线索查实", "线索核查用时中位数（小时）",
           "责令整改", "责令停工", "按期整改", "整改用时中位数（天）", "评分", "星级")
COLUMNS_EN = ("Property company", "Estates", "Registrations assisted", "Registrations in its estates", "Leads reported",
              "Leads confirmed", "Median hours to check a lead", "Rectification orders", "Stop-work orders",
              "Rectified on time", "Median days to rectify", "Score", "Stars")


@dataclass
class CompanyYear:
    company: PropertyCompany
    estates: int
    assisted: int
    registered: int
    leads: int
    confirmed: int
    lead_hours: float | None
    rectifications: int
    stop_works: int
    rectified: int
    rectify_days: float | None
    score: float
    stars: int

    def row(self) -> tuple:
        return (self.company.name, self.estates, self.assisted, self.registered, self.leads, self.confirmed,
                self.lead_hours, self.rectifications, self.stop_works, self.rectified, self.rectify_days, self.score,
                self.stars)


def yearly(user: User, year: int) -> list[CompanyYear]:
    """Each company in the user's reach: a property company's account sees its own company; district
    users their district's companies; city-wide users all. Figures count the calendar year (Beijing)."""
    companies = _companies_in_reach(user)
    start, end = kpi.day_start(f"{year}-01-01"), kpi.day_start(f"{year + 1}-01-01")
    return [_company_year(company, start, end) for company in companies]


def _companies_in_reach(user: User) -> list[PropertyCompany]:
    query = select(PropertyCompany).order_by(PropertyCompany.district_code, PropertyCompany.name)
    scope = policy.scope_of(user)
    if user.role == "property" and user.property_company_id:
        query = query.where(PropertyCompany.id == user.property_company_id)
    elif scope == "district":
        query = query.where(PropertyCompany.district_code == user.org_unit.district_code)
    elif scope != "city":
        raise Forbidden("property-company reports are for the company itself and district and city users")
    return list(db.session.scalars(query))


def _company_year(company: PropertyCompany, start, end) -> CompanyYear:
    estate_ids = select(Estate.id).where(Estate.company_id == company.id)
    staff = select(User.id).where(User.property_company_id == company.id)
    in_estates = list(db.session.scalars(select(Project.id).where(Project.estate_id.in_(estate_ids),
                                                                  Project.created_at >= start, Project.created_at < end)))
    assisted = db.session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.project_id.in_(in_estates), HistoryEvent.kind == "project_created",
        HistoryEvent.actor_id.in_(staff))) if in_estates else 0
    leads = list(db.session.execute(select(Project.id, Project.created_at).where(
        Project.channel == "lead", Project.reporter_user_id.in_(staff), Project.created_at >= start,
        Project.created_at < end)))
    checks = {pid: (at, data) for pid, at, data in db.session.execute(
        select(HistoryEvent.project_id, HistoryEvent.at, HistoryEvent.data_json).where(
            HistoryEvent.project_id.in_([pid for pid, _ in leads]), HistoryEvent.element_id == "check_lead",
            HistoryEvent.kind == "task_completed"))} if leads else {}
    confirmed = sum(1 for _at, data in checks.values()
                    if json.loads(data or "{}").get("outcome") in CONFIRMED_OUTCOMES)
    lead_hours = [(checks[pid][0] - created).total_seconds() / 3600 for pid, created in leads if pid in checks]
    orders = dict(db.session.execute(
        select(Notice.kind, func.count()).where(Notice.project_id.in_(select(Project.id).where(
            Project.estate_id.in_(estate_ids))), Notice.kind.in_(("rectification", "stop_work")),
            Notice.issued_at >= start, Notice.issued_at < end).group_by(Notice.kind)).all())
    days = _rectification_days(select(Project.id).where(Project.estate_id.in_(estate_ids)), start, end)
    figures = dict(estates=len([e for e in company.estates if e.active]), assisted=assisted or 0,
                   registered=len(in_estates), leads=len(leads), confirmed=confirmed,
                   lead_hours=_median(lead_hours), rectifications=orders.get("rectification", 0),
                   stop_works=orders.get("stop_work", 0), rectified=len(days), rectify_days=_median(days))
    score, stars = rate(rule_service.in_force(company.district_code).values, figures)
    return CompanyYear(company=company, score=score, stars=stars, **figures)


def rate(values: dict, figures: dict) -> tuple[float, int]:
    """(score, stars) under a district's rules: the base score plus points for registrations assisted
    and leads confirmed, minus points for rectification and stop-work orders, each per estate managed
    so a large company is not rated on its size; stars are the highest whose lowest score is reached."""
    per_estate = max(figures["estates"], 1)
    score = (values["star_base_score"]
             + (values["star_weight_assisted"] * figures["assisted"]
                + values["star_weight_lead_confirmed"] * figures["confirmed"]
                - values["star_weight_rectification"] * figures["rectifications"]
                - values["star_weight_stop_work"] * figures["stop_works"]) / per_estate)
    score = round(max(score, 0), 1)
    stars = max([n for n in (2, 3, 4, 5) if score >= values[f"star_min_{n}"]], default=1)
    return score, stars


def _rectification_days(project_ids, start, end) -> list[float]:
    """Days from each rectification order (set_deadline) to the evidence that answered it."""
    rows = db.session.execute(
        select(HistoryEvent.project_id, HistoryEvent.element_id, HistoryEvent.at)
        .where(HistoryEvent.project_id.in_(project_ids), HistoryEvent.element_id.in_(("set_deadline", "submit_evidence")),
               HistoryEvent.at >= start, HistoryEvent.at < end).order_by(HistoryEvent.project_id, HistoryEvent.id))
    out, ordered = [], {}
    for pid, element, at in rows:
        if element == "set_deadline":
            ordered[pid] = at
        elif pid in ordered:
            out.append((at - ordered.pop(pid)).total_seconds() / 86400)
    return out


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


MESSAGES = {
    "estate_required": ("请选择本公司管理的小区", "Choose one of your company's estates"),
    "estate_elsewhere": ("所选小区不在所选街道（社区）或不由本公司管理", "The estate is not in the chosen street "
                         "(community) or not managed by your company"),
}


_msg = messages_in(MESSAGES)
