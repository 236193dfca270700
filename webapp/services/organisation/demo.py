"""The demo organisation and users loaded by `make run` (idempotent)."""

from __future__ import annotations

from sqlalchemy import select

from ...persistence.models import OrgUnit, User, db
from ...persistence.organisation import Estate, PropertyCompany
from ..designer import diagram_names
from ..security.auth import hash_password

DEMO_PASSWORD = "demo12345"

# (code, name, kind, parent code, hotline)
ORG_TREE = [
    ("3502", "厦门市", "city", None, "12345"),
    ("350203", "思明区", "district", "3502", None),
    ("350203001", "鹭江街道", "street", "350203", "0592-2021234"),
    ("350203001001", "大同社区", "community", "350203001", None),
    ("350203001002", "镇海社区", "community", "350203001", None),
    ("350203002", "中华街道", "street", "350203", "0592-2031234"),
    ("350203002001", "中华社区", "community", "350203002", None),
    ("350206", "湖里区", "district", "3502", None),
    ("350206001", "湖里街道", "street", "350206", "0592-6021234"),
    ("350206001001", "塘边社区", "community", "350206001", None),
    ("350206002", "殿前街道", "street", "350206", "0592-6031234"),
    ("350206002001", "殿前社区", "community", "350206002", None),
]

# The issuing offices' legal names printed on notices (the organisation pages edit them).
LEGAL_NAMES = {
    "350203": "厦门市思明区人民政府",
    "350203001": "厦门市思明区人民政府鹭江街道办事处",
    "350203002": "厦门市思明区人民政府中华街道办事处",
    "350206": "厦门市湖里区人民政府",
    "350206001": "厦门市湖里区人民政府湖里街道办事处",
    "350206002": "厦门市湖里区人民政府殿前街道办事处",
}

# (username, display name, role, org unit code)
DEMO_USERS = [
    ("owner1", "业主张先生", "owner", "3502"),
    ("owner2", "业主李女士", "owner", "3502"),
    ("grid_lj", "鹭江网格员陈", "grid", "350203001"),
    ("inspector_lj", "鹭江巡查员王", "inspector", "350203001"),
    ("inspector_zh", "中华巡查员林", "inspector", "350203002"),
    ("supervisor_lj", "鹭江街道负责人黄", "supervisor", "350203001"),
    ("enforcer_sm", "思明区综合执法局吴", "enforcer", "350203"),
    ("housing_sm", "思明区住建局郑", "housing", "350203"),
    ("fire_sm", "思明区消防救援大队何", "fire", "350203"),
    ("gas_sm", "思明区燃气管理科许", "gas", "350203"),
    ("inspector_hl", "湖里巡查员周", "inspector", "350206001"),
    ("admin_sm", "思明区管理员", "district_admin", "350203"),
    ("admin_hl", "湖里区管理员", "district_admin", "350206"),
    ("designer", "流程设计员", "designer", "3502"),
    # A district's own process designer: deploys 思明区's variant of the process (city: `designer`).
    ("designer_sm", "思明区流程设计员", "designer", "350203"),
    ("ops", "平台运维", "admin", "3502"),
    ("city", "市住建局（只读）", "city", "3502"),
    ("auditor", "市审计员", "auditor", "3502"),
    ("property_lj", "鹭江物业周经理", "property", "350203"),
    ("entrusted_sm", "思明建设监理刘工", "entrusted", "350203"),
    ("hotline", "12345 热线平台对接", "integration", "3502"),
    ("permit_system", "施工许可监管系统对接", "integration", "3502"),
    ("case_system", "执法办案系统对接", "integration", "3502"),
]

# What each demo machine client may do (role integration): its topics and the messages it sends.
DEMO_SCOPES = {
    "hotline": diagram_names.HOTLINE_REPORT,
    "permit_system": "permit-referral permit_decision",
    "case_system": "enforcement-case",
}

# (district, company, contact, phone, [(street, community, estate)]); property_lj works for the first.
DEMO_COMPANIES = [
    (
        "350203",
        "厦门鹭江物业服务有限公司",
        "周经理",
        "0592-2029999",
        [("350203001", "350203001001", "鹭江花园"), ("350203001", "350203001002", "镇海苑")],
    ),
]


def load_demo() -> int:
    """Create whatever of the demo data is missing; returns how many rows were added."""
    added = 0
    units = {u.code: u for u in db.session.scalars(select(OrgUnit))}
    for code, name, kind, parent, hotline in ORG_TREE:
        if code in units:
            continue
        parent_unit = units.get(parent) if parent else None
        district = code if kind == "district" else (parent_unit.district_code if parent_unit else None)
        street = code if kind == "street" else (parent_unit.street_code if parent_unit else None)
        unit = OrgUnit(
            code=code,
            name=name,
            kind=kind,
            parent_id=parent_unit.id if parent_unit else None,
            district_code=district,
            street_code=street,
            hotline=hotline,
        )
        db.session.add(unit)
        db.session.flush()
        units[code] = unit
        added += 1
    for code, legal_name in LEGAL_NAMES.items():
        if code in units and not units[code].legal_name:
            units[code].legal_name = legal_name
    companies = {c.name: c for c in db.session.scalars(select(PropertyCompany))}
    for district, name, contact, phone, estates in DEMO_COMPANIES:
        if name in companies:
            continue
        company = companies[name] = PropertyCompany(
            district_code=district, name=name, contact_name=contact, contact_phone=phone
        )
        company.estates = [
            Estate(district_code=district, street_code=street, community_code=community, name=estate)
            for street, community, estate in estates
        ]
        db.session.add(company)
        db.session.flush()
        added += 1
    existing = set(db.session.scalars(select(User.username)))
    password_hash = None
    for username, display, role, unit_code in DEMO_USERS:
        if username in existing:
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        company = companies[DEMO_COMPANIES[0][1]].id if role == "property" else None
        db.session.add(
            User(
                username=username,
                display_name=display,
                role=role,
                property_company_id=company,
                org_unit_id=units[unit_code].id,
                password_hash=password_hash,
                scopes=DEMO_SCOPES.get(username),
            )
        )
        added += 1
    db.session.commit()
    return added
