"""A district's organisation, maintained by its administrators: streets, communities and grids;
users and their roles; patrol teams; special areas with their liaison; property companies and
their estates.

Every change is validated, then made; district administrators change their own district only,
the city reads every district. What feeds the process: `patrol_staff` (who shares a street's
patrols, used by the what-if preview) and `registration_context` (the special area or property
company of a registered site, added to the project's facts).
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...domain.roles import ROLES
from ...persistence.models import OrgUnit, User, db, utcnow
from ...persistence.organisation import Estate, PatrolTeam, PropertyCompany, SpecialArea
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed, messages_in
from ..security import audit, policy
from ..security.auth import hash_password

CHILD_KIND = {"district": "street", "street": "community", "community": "grid"}
AREA_KINDS = ("INDUSTRIAL_PARK", "SCHOOL", "HOSPITAL")  # the registration form's place types
_PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")
_USERNAME = re.compile(r"^[a-z][a-z0-9_]{2,31}$")
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")

MESSAGES = {
    "required": ("此项为必填项", "Required"),
    "too_long": ("内容过长", "Too long"),
    "phone": ("电话号码格式不正确", "Not a phone number"),
    "username": (
        "用户名为 3～32 位小写字母、数字或下划线，以字母开头",
        "3 to 32 lower-case letters, digits or underscores, starting with a letter",
    ),
    "taken": ("已被使用", "Already taken"),
    "not_here": ("不在本区范围内", "Not in this district"),
    "role": ("不能授予此角色", "This role cannot be given here"),
    "company": (
        "物业服务企业账号须选择本区的物业服务企业",
        "A property company's account names one of the district's companies",
    ),
    "unit_for_role": (
        "镇街角色须属于街道、社区或网格；区级角色须属于本区",
        "Street roles belong to a street, community or grid; district roles to the district",
    ),
    "code": ("编码须以上级编码开头，后接 2～6 位数字", "The code starts with the parent's code, then 2 to 6 digits"),
    "kind": ("不在可选范围内", "Not one of the allowed values"),
    "date": ("日期格式应为 YYYY-MM-DD", "Must be a date in YYYY-MM-DD format"),
    "period": ("结束日期不能早于开始日期", "The end must not be before the start"),
    "member": ("只能选择本街道的巡查员", "Only inspectors of this street"),
    "self": ("不能停用自己的账号或取消自己的管理员角色", "You cannot deactivate yourself or drop your own admin role"),
    "credit_code": ("统一社会信用代码应为 18 位", "The unified social credit code has 18 characters"),
}


_msg = messages_in(MESSAGES)


# -- access --------------------------------------------------------------------------------------
def district(code: str) -> OrgUnit:
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code, OrgUnit.kind == "district"))
    if unit is None:
        raise NotFound("no such district")
    return unit


def require_read(user: User, code: str) -> OrgUnit:
    unit = district(code)
    if not policy.can_read_organisation(user, code):
        raise Forbidden("this district's organisation is outside your jurisdiction")
    return unit


def require_manage(user: User, code: str) -> OrgUnit:
    unit = district(code)
    if not policy.can_manage_organisation(user, code):
        raise Forbidden("only this district's administrators change its organisation")
    return unit


# -- streets, communities, grids -------------------------------------------------------------------
def units(user: User, code: str) -> list[OrgUnit]:
    """The district's streets, communities and grids, each after its parent (codes nest)."""
    require_read(user, code)
    return list(
        db.session.scalars(
            select(OrgUnit).where(OrgUnit.district_code == code, OrgUnit.kind != "district").order_by(OrgUnit.code)
        )
    )


def save_unit(user: User, code: str, data: dict, lang: str = "zh", unit_code: str | None = None) -> OrgUnit:
    """Add a street, community or grid under a parent of this district, or rename one."""
    require_manage(user, code)
    errors = {}
    name = _text(data, "name", 100, errors, lang, required=True)
    hotline = _phone(data, "hotline", errors, lang, required=False)
    if unit_code is not None:
        unit = _unit_in(code, unit_code)
        if errors:
            raise ValidationFailed(errors)
        unit.name, unit.hotline = name, hotline
        return _commit(unit, user, code)
    parent = _unit_in(
        code, (data.get("parent") or "").strip(), kinds=tuple(CHILD_KIND), errors=errors, field="parent", lang=lang
    )
    new_code = (data.get("code") or "").strip()
    if parent is not None and not re.fullmatch(re.escape(parent.code) + r"\d{2,6}", new_code):
        errors["code"] = _msg("code", lang)
    elif db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == new_code)) is not None:
        errors["code"] = _msg("taken", lang)
    if errors:
        raise ValidationFailed(errors)
    kind = CHILD_KIND[parent.kind]
    unit = OrgUnit(
        code=new_code,
        name=name,
        kind=kind,
        parent_id=parent.id,
        district_code=code,
        street_code=new_code if kind == "street" else parent.street_code,
        hotline=hotline,
    )
    db.session.add(unit)
    return _commit(unit, user, code)


# -- users -----------------------------------------------------------------------------------------
def users(user: User, code: str) -> list[User]:
    require_read(user, code)
    return list(
        db.session.scalars(
            select(User)
            .join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(OrgUnit.district_code == code)
            .order_by(User.role, User.username)
        )
    )


def save_user(user: User, code: str, data: dict, lang: str = "zh", user_id: int | None = None) -> User:
    """Create a user of this district, or change one's name, role, unit, phone, active flag, password."""
    require_manage(user, code)
    errors = {}
    target = None
    if user_id is not None:
        target = db.session.get(User, user_id)
        if target is None or target.org_unit.district_code != code:
            raise NotFound("no such user in this district")
    else:
        username = (data.get("username") or "").strip().lower()
        if not _USERNAME.fullmatch(username):
            errors["username"] = _msg("username", lang)
        elif db.session.scalar(select(User.id).where(User.username == username)) is not None:
            errors["username"] = _msg("taken", lang)
    display = _text(data, "display_name", 100, errors, lang, required=True)
    phone = _phone(data, "phone", errors, lang, required=False)
    role = (data.get("role") or "").strip()
    if role not in policy.GRANTABLE_ROLES:
        errors["role"] = _msg("role", lang)
    company = None
    if role == "property":
        raw = str(data.get("property_company") or "").strip()
        company = db.session.get(PropertyCompany, int(raw)) if raw.isascii() and raw.isdigit() else None
        if company is None or company.district_code != code:
            errors["property_company"] = _msg("company", lang)
    unit = _unit_in(
        code,
        (data.get("org_unit") or "").strip(),
        errors=errors,
        field="org_unit",
        lang=lang,
        kinds=("district", "street", "community", "grid"),
    )
    if (
        unit is not None
        and role
        and "role" not in errors
        and ((role in policy.STREET_ROLES) == (unit.kind == "district"))
    ):
        errors["org_unit"] = _msg("unit_for_role", lang)
    active = _flag(data.get("active", True))
    if target is not None and target.id == user.id and not policy.keeps_administration(role, active):
        errors["active"] = _msg("self", lang)
    password = data.get("password") or ""
    if password or target is None:
        try:
            password_hash = hash_password(password)
        except ValueError as exc:
            errors["password"] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    if target is None:
        target = User(username=username, password_hash=password_hash)
        db.session.add(target)
    elif password:
        target.password_hash = password_hash
    target.display_name, target.role, target.org_unit_id, target.phone, target.active = (
        display,
        role,
        unit.id,
        phone,
        active,
    )
    target.property_company_id = company.id if company else None
    return _commit(target, user, code)


def assignable_roles(lang: str = "zh") -> list[tuple[str, str]]:
    return [(code, ROLES[code].en if lang == "en" else ROLES[code].zh) for code in policy.GRANTABLE_ROLES]


# -- patrol teams ----------------------------------------------------------------------------------
def teams(user: User, code: str) -> list[PatrolTeam]:
    return _listed(user, code, PatrolTeam, PatrolTeam.street_code, PatrolTeam.name)


def save_team(user: User, code: str, data: dict, lang: str = "zh", team_id: int | None = None) -> PatrolTeam:
    require_manage(user, code)
    team = _row(PatrolTeam, team_id, code)
    errors = {}
    name = _text(data, "name", 100, errors, lang, required=True)
    vendor = _text(data, "vendor", 200, errors, lang, required=False)
    street = _unit_in(
        code, (data.get("street") or "").strip(), kinds=("street",), errors=errors, field="street", lang=lang
    )
    start, end = _date(data, "contract_start", errors, lang), _date(data, "contract_end", errors, lang)
    if start and end and end < start:
        errors["contract_end"] = _msg("period", lang)
    members = []
    usernames = data.get("members") or []
    if street is not None:
        members = list(
            db.session.scalars(
                select(User)
                .join(OrgUnit, OrgUnit.id == User.org_unit_id)
                .where(User.username.in_(usernames), User.role == "inspector", OrgUnit.street_code == street.code)
            )
        )
        if len(members) != len(set(usernames)):
            errors["members"] = _msg("member", lang)
    if errors:
        raise ValidationFailed(errors)
    team.name, team.vendor, team.street_code, team.contract_start, team.contract_end = (
        name,
        vendor,
        street.code,
        start,
        end,
    )
    team.members, team.active, team.updated_at = members, _flag(data.get("active", True)), utcnow()
    db.session.add(team)
    return _commit(team, user, code)


def patrol_staff(code: str, on: date | None = None) -> dict[str, list[str]]:
    """Street code → who patrols it: the members of its active teams under contract, else its inspectors."""
    on = on or utcnow().date()
    staff: dict[str, list[str]] = {}
    for team in db.session.scalars(select(PatrolTeam).where(PatrolTeam.district_code == code, PatrolTeam.active)):
        if (team.contract_start and team.contract_start > on) or (team.contract_end and team.contract_end < on):
            continue
        names = staff.setdefault(team.street_code, [])
        names.extend(_name(u) for u in team.members if u.active and _name(u) not in names)
    staffed = {street for street, names in staff.items() if names}
    inspectors = db.session.scalars(
        select(User)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(User.role == "inspector", User.active.is_(True), OrgUnit.district_code == code)
        .order_by(User.username)
    )
    for inspector in inspectors:
        if inspector.org_unit.street_code not in staffed:
            staff.setdefault(inspector.org_unit.street_code, []).append(_name(inspector))
    return {street: names for street, names in staff.items() if names}


def _name(user: User) -> str:
    return f"{user.display_name}（{user.username}）"


# -- special areas ---------------------------------------------------------------------------------
def areas(user: User, code: str) -> list[SpecialArea]:
    return _listed(user, code, SpecialArea, SpecialArea.kind, SpecialArea.name)


def save_area(user: User, code: str, data: dict, lang: str = "zh", area_id: int | None = None) -> SpecialArea:
    require_manage(user, code)
    area = _row(SpecialArea, area_id, code)
    errors = {}
    kind = (data.get("kind") or "").strip()
    if kind not in AREA_KINDS:
        errors["kind"] = _msg("kind", lang)
    name = _text(data, "name", 200, errors, lang, required=True)
    address = _text(data, "address", 200, errors, lang, required=False)
    street, community = _place(code, data, errors, lang)
    liaison = _text(data, "liaison_name", 100, errors, lang, required=True)
    phone = _phone(data, "liaison_phone", errors, lang, required=True)
    if errors:
        raise ValidationFailed(errors)
    area.kind, area.name, area.address, area.street_code, area.community_code = (
        kind,
        name,
        address,
        street.code,
        community.code if community else None,
    )
    area.liaison_name, area.liaison_phone, area.active, area.updated_at = (
        liaison,
        phone,
        _flag(data.get("active", True)),
        utcnow(),
    )
    db.session.add(area)
    return _commit(area, user, code)


# -- property companies and estates ------------------------------------------------------------------
def companies(user: User, code: str) -> list[PropertyCompany]:
    return _listed(user, code, PropertyCompany, PropertyCompany.name)


def save_company(user: User, code: str, data: dict, lang: str = "zh", company_id: int | None = None) -> PropertyCompany:
    require_manage(user, code)
    company = _row(PropertyCompany, company_id, code)
    errors = {}
    name = _text(data, "name", 200, errors, lang, required=True)
    credit = (data.get("credit_code") or "").strip().upper() or None
    if credit and not _CREDIT_CODE.fullmatch(credit):
        errors["credit_code"] = _msg("credit_code", lang)
    contact = _text(data, "contact_name", 100, errors, lang, required=True)
    phone = _phone(data, "contact_phone", errors, lang, required=True)
    if errors:
        raise ValidationFailed(errors)
    company.name, company.credit_code, company.contact_name, company.contact_phone = name, credit, contact, phone
    company.active, company.updated_at = _flag(data.get("active", True)), utcnow()
    db.session.add(company)
    return _commit(company, user, code)


def save_estate(
    user: User, code: str, company_id: int, data: dict, lang: str = "zh", estate_id: int | None = None
) -> Estate:
    require_manage(user, code)
    company = _own(PropertyCompany, company_id, code)
    estate = _row(Estate, estate_id, code)
    errors = {}
    name = _text(data, "name", 200, errors, lang, required=True)
    address = _text(data, "address", 200, errors, lang, required=False)
    street, community = _place(code, data, errors, lang)
    if errors:
        raise ValidationFailed(errors)
    estate.company_id, estate.name, estate.address = company.id, name, address
    estate.street_code, estate.community_code = street.code, community.code if community else None
    estate.active = _flag(data.get("active", True))
    db.session.add(estate)
    return _commit(estate, user, code)


# -- what the process gets -------------------------------------------------------------------------
def registration_context(
    street_code: str, community_code: str | None, place_type: str | None, estate: Estate | None = None
) -> dict:
    """Facts for a registered site: the special areas of its kind, or the managed estates, in its
    community (its street when no community is given), with their liaison or property company; the
    estate the registration names, when it names one."""
    out: dict = {}
    if estate is not None:
        out["property_companies"] = [_estate_fact(estate)]
    if place_type in AREA_KINDS:
        query = select(SpecialArea).where(
            SpecialArea.active, SpecialArea.kind == place_type, SpecialArea.street_code == street_code
        )
        if community_code:
            query = query.where(SpecialArea.community_code == community_code)
        out["special_areas"] = [
            {"name": a.name, "kind": a.kind, "liaison_name": a.liaison_name, "liaison_phone": a.liaison_phone}
            for a in db.session.scalars(query)
        ]
    if place_type == "RESIDENTIAL_MANAGED" and estate is None:
        query = (
            select(Estate)
            .join(PropertyCompany)
            .where(Estate.active, PropertyCompany.active, Estate.street_code == street_code)
        )
        if community_code:
            query = query.where(Estate.community_code == community_code)
        out["property_companies"] = [_estate_fact(e) for e in db.session.scalars(query)]
    return {k: v for k, v in out.items() if v}


def _estate_fact(estate: Estate) -> dict:
    return {
        "estate": estate.name,
        "company": estate.company.name,
        "contact_name": estate.company.contact_name,
        "contact_phone": estate.company.contact_phone,
    }


# -- helpers ---------------------------------------------------------------------------------------
def _unit_in(code: str, unit_code: str, kinds=("street", "community", "grid"), errors=None, field=None, lang="zh"):
    unit = db.session.scalar(
        select(OrgUnit).where(OrgUnit.code == unit_code, OrgUnit.district_code == code, OrgUnit.kind.in_(kinds))
    )
    if unit is None:
        if errors is None:
            raise NotFound("no such unit in this district")
        errors[field] = _msg("required" if not unit_code else "not_here", lang)
    return unit


def _place(code: str, data: dict, errors: dict, lang: str):
    street = _unit_in(
        code, (data.get("street") or "").strip(), kinds=("street",), errors=errors, field="street", lang=lang
    )
    community = None
    if street is not None and (data.get("community") or "").strip():
        community = _unit_in(
            code, data["community"].strip(), kinds=("community",), errors=errors, field="community", lang=lang
        )
        if community is not None and community.street_code != street.code:
            errors["community"], community = _msg("not_here", lang), None
    return street, community


def _listed(user: User, code: str, model, *order) -> list:
    require_read(user, code)
    return list(db.session.scalars(select(model).where(model.district_code == code).order_by(*order)))


def _row(model, row_id: int | None, code: str):
    """The district's row to change, or a new one when no id is given."""
    if row_id is None:
        return model(district_code=code)
    return _own(model, row_id, code)


def _own(model, row_id, code: str):
    row = db.session.get(model, row_id)
    if row is None or row.district_code != code:
        raise NotFound("no such item in this district")
    return row


def _text(data: dict, key: str, limit: int, errors: dict, lang: str, *, required: bool) -> str | None:
    value = (data.get(key) or "").strip()
    if required and not value:
        errors[key] = _msg("required", lang)
    elif len(value) > limit:
        errors[key] = _msg("too_long", lang)
    return value or None


def _phone(data: dict, key: str, errors: dict, lang: str, *, required: bool) -> str | None:
    value = (data.get(key) or "").strip()
    if not value:
        if required:
            errors[key] = _msg("required", lang)
        return None
    if not _PHONE.fullmatch(value):
        errors[key] = _msg("phone", lang)
    return value


def _date(data: dict, key: str, errors: dict, lang: str) -> date | None:
    value = data.get(key)
    if isinstance(value, date) or not value:
        return value or None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[key] = _msg("date", lang)
        return None


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "on", "1", "yes")


def _commit(row, user: User, code: str):
    """Save, with an audit event naming who changed which row of which district."""
    try:
        db.session.flush()
        audit.record(
            "organisation_changed",
            user=user,
            object_type=row.__tablename__,
            object_id=row.id,
            details={"district": code, "name": getattr(row, "name", None) or getattr(row, "username", None)},
            commit=False,
        )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("changed meanwhile; reload and try again") from exc
    return row
