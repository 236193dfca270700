"""Property management companies (物业服务企业, P-26): the estates a registration lies in, what a
company's accounts may reach, and the yearly figures and star rating the district housing bureau
rates companies with (weights and star thresholds in the district's rules)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass

from sqlalchemy import func, select

from ...domain.rules import STAR_LEVELS
from ...persistence.models import HistoryEvent, OrgUnit, Project, User, db
from ...persistence.organisation import Estate, PropertyCompany
from ...persistence.oversight import Notice
from ..district_rules import rulebook
from ..errors import Forbidden, ValidationFailed, messages_in
from ..oversight import kpi
from ..security import policy
from ..security.policy import by_district

ESTATE_PREFIX = "E"
# The lead-check outcome that makes a lead worth its points: an unregistered site was found (a site
# already registered was known, so a company cannot score by reporting the sites it registered).
CONFIRMED_OUTCOMES = ("unregistered",)


# -- estates on registration ---------------------------------------------------------------------
def estate_code(estate: Estate) -> str:
    """An estate as a form option value (org-unit codes are digits, so the prefix cannot clash)."""
    return f"{ESTATE_PREFIX}{estate.id}"


def estates_for(user: User | None, street_codes: list[str]) -> list[Estate]:
    """The active estates a registration by this user may name inside these streets: a property
    company's account names its own company's estates only (no user: every estate there)."""
    query = (
        select(Estate)
        .join(PropertyCompany)
        .where(
            Estate.active,
            PropertyCompany.active,
            Estate.street_code.in_(street_codes),
            policy.registrable_estates(user),
        )
    )
    return list(db.session.scalars(query.order_by(Estate.street_code, Estate.name)))


def estate_for_registration(
    user: User, code: str | None, street: OrgUnit, community: str | None, lang: str = "zh"
) -> Estate | None:
    """The estate a registration names, checked against its street and community; a property
    company registers only inside its own estates and only where the district allows it (P-26a)."""
    if policy.is_company_account(user) and not by_district.registers_on_behalf(user, street.district_code):
        raise Forbidden("property companies may not register on behalf of owners in this district")
    if not code:
        if policy.is_company_account(user):
            raise ValidationFailed({"estate": _msg("estate_required", lang)})
        return None
    estate_id = _estate_id(code)
    estate = db.session.get(Estate, estate_id) if estate_id is not None else None
    if (
        estate is None
        or estate not in estates_for(user, [street.code])
        or (community and estate.community_code and estate.community_code != community)
    ):
        raise ValidationFailed({"estate": _msg("estate_elsewhere", lang)})
    return estate


def estate_places(codes) -> dict[str, dict[str, str]]:
    """Option value → the estate's street and community, so a form can hide estates elsewhere."""
    ids = [i for i in map(_estate_id, codes) if i is not None]
    if not ids:
        return {}
    return {
        f"{ESTATE_PREFIX}{i}": {"street": street, **({"community": community} if community else {})}
        for i, street, community in db.session.execute(
            select(Estate.id, Estate.street_code, Estate.community_code).where(Estate.id.in_(ids))
        )
    }


def estate_columns(project, code) -> dict:
    """The ledger columns a registration's `estate` choice sets (the form has checked it against
    the street's estates); the first estate's company is the one the project counts for."""
    estate_id = _estate_id(code)
    if estate_id == project.estate_id:
        return {}
    columns = {"estate_id": estate_id}
    if estate_id is not None and project.property_company_id is None:
        columns["property_company_id"] = db.session.scalar(select(Estate.company_id).where(Estate.id == estate_id))
    return columns


def _estate_id(code) -> int | None:
    """The estate id of an option value "E<id>"; None for anything else."""
    if isinstance(code, str) and code[:1] == ESTATE_PREFIX and code[1:].isascii() and code[1:].isdigit():
        return int(code[1:])
    return None


def company_of(user: User) -> PropertyCompany | None:
    return db.session.get(PropertyCompany, user.property_company_id) if user.property_company_id else None


# -- yearly report and star rating ---------------------------------------------------------------
COLUMNS = (
    "物业服务企业",
    "管理小区数",
    "协助登记",
    "小区内登记工程",
    "报告线索",
    "线索查实",
    "线索核查用时中位数（小时）",
    "责令整改",
    "责令停工",
    "按期整改",
    "整改用时中位数（天）",
    "评分",
    "星级",
)
COLUMNS_EN = (
    "Property company",
    "Estates",
    "Registrations assisted",
    "Registrations in its estates",
    "Leads reported",
    "Leads confirmed",
    "Median hours to check a lead",
    "Rectification orders",
    "Stop-work orders",
    "Rectified on time",
    "Median days to rectify",
    "Score",
    "Stars",
)


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
        return (
            self.company.name,
            self.estates,
            self.assisted,
            self.registered,
            self.leads,
            self.confirmed,
            self.lead_hours,
            self.rectifications,
            self.stop_works,
            self.rectified,
            self.rectify_days,
            self.score,
            self.stars,
        )


def yearly(user: User, year: int) -> list[CompanyYear]:
    """Each company in the user's reach: a property company's account sees its own company; district
    users their district's companies; city-wide users all. Figures count the calendar year (Beijing)
    for the projects that count for each company (Project.property_company_id, fixed when a project
    starts), rated under the district's rules in force at the year's end (or now, for this year)."""
    if not 2000 <= year <= 2100:
        raise ValidationFailed({"year": "2000–2100"})
    companies = _companies_in_reach(user)
    if not companies:
        return []
    start, end = kpi.day_start(f"{year}-01-01"), kpi.day_start(f"{year + 1}-01-01")
    ids = [c.id for c in companies]
    counted = Project.property_company_id.in_(ids)
    in_year = (Project.created_at >= start, Project.created_at < end)
    registered = _grouped(
        select(Project.property_company_id, func.count(), func.count(Project.reporter_user_id)).where(
            counted, Project.channel != "lead", *in_year
        )
    )
    leads = _lead_figures(counted, in_year)
    orders: dict[tuple[int, str], int] = {
        (cid, kind): n
        for cid, kind, n in db.session.execute(
            select(Project.property_company_id, Notice.kind, func.count())
            .join(Project, Project.id == Notice.project_id)
            .where(
                counted,
                Notice.kind.in_(("rectification", "stop_work")),
                Notice.issued_at >= start,
                Notice.issued_at < end,
            )
            .group_by(Project.property_company_id, Notice.kind)
        )
    }
    days = _rectification_days(counted, start, end)
    estates = dict(
        db.session.execute(
            select(Estate.company_id, func.count())
            .where(Estate.company_id.in_(ids), Estate.active)
            .group_by(Estate.company_id)
        ).all()
    )
    at = min(end, kpi.now())
    rules = {code: rulebook.in_force(code, at=at).values for code in {c.district_code for c in companies}}
    out = []
    for company in companies:
        total, assisted = registered.get(company.id, (0, 0))
        reported, confirmed, hours = leads.get(company.id, (0, 0, []))
        figures = dict(
            estates=estates.get(company.id, 0),
            assisted=assisted,
            registered=total,
            leads=reported,
            confirmed=confirmed,
            lead_hours=_median(hours),
            rectifications=orders.get((company.id, "rectification"), 0),
            stop_works=orders.get((company.id, "stop_work"), 0),
            rectified=len(days.get(company.id, [])),
            rectify_days=_median(days.get(company.id, [])),
        )
        score, stars = rate(rules[company.district_code], figures)
        out.append(CompanyYear(company=company, score=score, stars=stars, **figures))
    return out


def _companies_in_reach(user: User) -> list[PropertyCompany]:
    reach = policy.company_filter(user)
    if reach is None:
        raise Forbidden("property-company reports are for the company itself and district and city users")
    return list(
        db.session.scalars(
            select(PropertyCompany).where(reach).order_by(PropertyCompany.district_code, PropertyCompany.name)
        )
    )


def _grouped(query) -> dict[int, tuple]:
    """company id → the remaining columns of a query grouped by Project.property_company_id."""
    return {row[0]: tuple(row[1:]) for row in db.session.execute(query.group_by(Project.property_company_id))}


def _lead_figures(counted, in_year) -> dict[int, tuple[int, int, list[float]]]:
    """company id → (leads reported, leads that found an unregistered site, hours from report to check)."""
    out: dict[int, tuple[int, int, list[float]]] = {}
    rows = db.session.execute(
        select(Project.property_company_id, Project.created_at, HistoryEvent.at, HistoryEvent.data_json)
        .outerjoin(
            HistoryEvent,
            (HistoryEvent.project_id == Project.id)
            & HistoryEvent.element_id.in_(kpi.elements("lead_checked"))
            & (HistoryEvent.kind == "task_completed"),
        )
        .where(counted, Project.channel == "lead", *in_year)
    )
    for company_id, created, checked, data in rows:
        reported, confirmed, hours = out.get(company_id, (0, 0, []))
        if checked is not None:
            hours.append((checked - created).total_seconds() / 3600)
            confirmed += json.loads(data or "{}").get("outcome") in CONFIRMED_OUTCOMES
        out[company_id] = (reported + 1, confirmed, hours)
    return out


def rate(values: dict, figures: dict) -> tuple[float, int]:
    """(score, stars) under a district's rules: the base score plus points for registrations assisted
    and leads confirmed, minus points for rectification and stop-work orders, each per estate managed
    so a large company is not rated on its size; stars are the highest whose lowest score is reached."""
    per_estate = max(figures["estates"], 1)
    score = (
        values["star_base_score"]
        + (
            values["star_weight_assisted"] * figures["assisted"]
            + values["star_weight_lead_confirmed"] * figures["confirmed"]
            - values["star_weight_rectification"] * figures["rectifications"]
            - values["star_weight_stop_work"] * figures["stop_works"]
        )
        / per_estate
    )
    score = round(max(score, 0), 1)
    stars = max([n for n in STAR_LEVELS if score >= values[f"star_min_{n}"]], default=1)
    return score, stars


def _rectification_days(counted, start, end) -> dict[int, list[float]]:
    """company id → days from each rectification order to the evidence that answered it."""
    ordered_at, answered_at = kpi.elements("rectification_ordered"), kpi.elements("rectification_on_time")
    rows = db.session.execute(
        select(Project.property_company_id, HistoryEvent.project_id, HistoryEvent.element_id, HistoryEvent.at)
        .join(Project, Project.id == HistoryEvent.project_id)
        .where(
            counted,
            HistoryEvent.element_id.in_(ordered_at + answered_at),
            HistoryEvent.at >= start,
            HistoryEvent.at < end,
        )
        .order_by(HistoryEvent.project_id, HistoryEvent.id)
    )
    out: dict[int, list[float]] = {}
    ordered = {}
    for company_id, pid, element, at in rows:
        if element in ordered_at:
            ordered[pid] = at
        elif pid in ordered:
            out.setdefault(company_id, []).append((at - ordered.pop(pid)).total_seconds() / 86400)
    return out


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


MESSAGES = {
    "estate_required": ("请选择本公司管理的小区", "Choose one of your company's estates"),
    "estate_elsewhere": (
        "所选小区不在所选街道（社区）或不由本公司管理",
        "The estate is not in the chosen street (community) or not managed by your company",
    ),
}


_msg = messages_in(MESSAGES)
