"""Organisation master data a district maintains (P-21, P-25, P-26): patrol teams, special areas,
property companies and their estates. Streets, communities and grids are OrgUnit rows; users are
User rows (models.py)."""

from __future__ import annotations

from .models import User, UTCDateTime, db, utcnow

patrol_team_member = db.Table(
    "patrol_team_member",
    db.Column("team_id", db.Integer, db.ForeignKey("patrol_team.id"), primary_key=True),
    db.Column("user_id", db.Integer, db.ForeignKey("user_account.id"), primary_key=True),
)


class PatrolTeam(db.Model):
    """A street's patrol team (巡查队伍), usually a purchased service with a contract period."""

    __tablename__ = "patrol_team"
    id = db.Column(db.Integer, primary_key=True)
    district_code = db.Column(db.String(32), nullable=False, index=True)
    street_code = db.Column(db.String(32), nullable=False)
    name = db.Column(db.String(100), nullable=False)
    vendor = db.Column(db.String(200))
    contract_start = db.Column(db.Date)
    contract_end = db.Column(db.Date)
    active = db.Column(db.Boolean, nullable=False, default=True)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    members = db.relationship(User, secondary=patrol_team_member, lazy="selectin", order_by=User.username)


class SpecialArea(db.Model):
    """An industrial park, school or hospital: its manager cooperates and its liaison is told."""

    __tablename__ = "special_area"
    id = db.Column(db.Integer, primary_key=True)
    district_code = db.Column(db.String(32), nullable=False, index=True)
    street_code = db.Column(db.String(32), nullable=False)
    community_code = db.Column(db.String(32))
    kind = db.Column(db.String(24), nullable=False)  # INDUSTRIAL_PARK | SCHOOL | HOSPITAL (registration place types)
    name = db.Column(db.String(200), nullable=False)
    address = db.Column(db.String(200))
    liaison_name = db.Column(db.String(100), nullable=False)
    liaison_phone = db.Column(db.String(32), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class PropertyCompany(db.Model):
    """A property management company (物业服务企业) working in the district."""

    __tablename__ = "property_company"
    id = db.Column(db.Integer, primary_key=True)
    district_code = db.Column(db.String(32), nullable=False, index=True)
    name = db.Column(db.String(200), nullable=False)
    credit_code = db.Column(db.String(18))  # 统一社会信用代码
    contact_name = db.Column(db.String(100), nullable=False)
    contact_phone = db.Column(db.String(32), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    estates = db.relationship("Estate", back_populates="company", lazy="selectin", order_by="Estate.name")


class Estate(db.Model):
    """A residential estate (小区) managed by a property company."""

    __tablename__ = "estate"
    id = db.Column(db.Integer, primary_key=True)
    company_id = db.Column(db.Integer, db.ForeignKey("property_company.id"), nullable=False, index=True)
    district_code = db.Column(db.String(32), nullable=False)
    street_code = db.Column(db.String(32), nullable=False)
    community_code = db.Column(db.String(32), index=True)
    name = db.Column(db.String(200), nullable=False)
    address = db.Column(db.String(200))
    active = db.Column(db.Boolean, nullable=False, default=True)
    company = db.relationship(PropertyCompany, back_populates="estates")
