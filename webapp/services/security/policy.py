"""The one authorization policy: role × jurisdiction × ownership, as query filters and checks.

Every query for projects, tasks, history or files goes through `projects_visible_to` or
`tasks_for`; every single-object access goes through `can_see_project` / `can_do_task`.
"""
from __future__ import annotations

from sqlalchemy import and_, false, or_, select, true

from ...domain.roles import ROLES
from ...persistence.models import InboxTask, OrgUnit, Project, User, db
from ...persistence.organisation import Estate, PropertyCompany
from ..people import standins


def scope_of(user: User) -> str:
    role = ROLES.get(user.role)
    return role.scope if role else "none"


def _unit_codes(user: User) -> tuple[str | None, str | None]:
    unit = user.org_unit
    return unit.district_code, unit.street_code


def project_filter(user: User):
    """A SQL condition on Project selecting exactly the projects this user may read."""
    scope = scope_of(user)
    district, street = _unit_codes(user)
    if scope == "own":
        return Project.owner_user_id == user.id
    # A property company sees the projects in the estates it manages now and the leads its accounts
    # reported; entrusted supervisors also follow the leads they raised.
    if scope == "estates":
        return or_(Project.estate_id.in_(company_estates(user)),
                   and_(Project.channel == "lead", Project.property_company_id.in_(active_company(user))))
    if scope == "entrusted":
        return or_(Project.entrusted_supervisor_id == user.id, Project.reporter_user_id == user.id)
    if scope == "street":
        return Project.street_code == street if street else false()
    if scope == "district":
        return Project.district_code == district if district else false()
    if scope == "city":
        return true()
    return false()


def task_jurisdiction(user: User):
    """For street, district and city users: the SQL condition on InboxTask selecting the tasks of
    the projects project_filter selects, by the task row's own copy of its project's street and
    district (written with the project in every step), so counting tasks needs no join."""
    scope = scope_of(user)
    district, street = _unit_codes(user)
    if scope == "street":
        return InboxTask.street_code == street if street else false()
    if scope == "district":
        return InboxTask.district_code == district if district else false()
    return true() if scope == "city" else false()


def can_see_project(user: User, project: Project) -> bool:
    scope = scope_of(user)
    district, street = _unit_codes(user)
    if scope == "own":
        return project.owner_user_id == user.id
    if scope == "estates":
        return is_company_estate(user, project.estate_id) or (
            project.channel == "lead" and project.property_company_id is not None
            and project.property_company_id == company_id(user))
    if scope == "entrusted":
        return project.entrusted_supervisor_id == user.id or project.reporter_user_id == user.id
    if scope == "street":
        return street is not None and project.street_code == street
    if scope == "district":
        return district is not None and project.district_code == district
    return scope == "city"


def active_company(user: User):
    """The id of a property company's account's company while the company is active (a subquery)."""
    return select(PropertyCompany.id).where(PropertyCompany.id == user.property_company_id, PropertyCompany.active)


def company_estates(user: User):
    """The ids of the active estates a property company's account manages (a subquery)."""
    return select(Estate.id).where(Estate.company_id.in_(active_company(user)), Estate.active)


def company_id(user: User) -> int | None:
    """The account's company if it is a property company's account and the company is active."""
    if user.role != "property" or not user.property_company_id:
        return None
    company = db.session.get(PropertyCompany, user.property_company_id)
    return company.id if company is not None and company.active else None


def is_company_estate(user: User, estate_id: int | None) -> bool:
    if estate_id is None or company_id(user) is None:
        return False
    estate = db.session.get(Estate, estate_id)
    return estate is not None and estate.active and estate.company_id == user.property_company_id


def task_filter(user: User):
    """A SQL condition on InboxTask: tasks for the user's role, in the user's jurisdiction, and
    the tasks held by colleagues this user stands in for (services.people.standins).

    `InboxTask.role` is who works on the task (see instances.worker_role): one indexed equality, so
    the inbox query stays an index range scan however many tasks a street has.
    """
    group = _group_tasks(user)
    covered = standins.acting_for(user)
    return or_(group, InboxTask.claimed_by_id.in_(covered)) if covered else group


def _group_tasks(user: User):
    scope = scope_of(user)
    district, street = _unit_codes(user)
    if scope == "own":
        return and_(InboxTask.role == "owner", InboxTask.owner_user_id == user.id)
    if scope == "street":
        mine = and_(InboxTask.role == user.role, InboxTask.street_code == street,
                    or_(InboxTask.barred_user_id.is_(None), InboxTask.barred_user_id != user.id))
        if user.role == "supervisor":  # checks the inspector who made the entry may not do
            return or_(mine, and_(InboxTask.role == "inspector", InboxTask.street_code == street,
                                  InboxTask.barred_user_id.isnot(None)))
        return mine
    if scope == "district":
        return and_(InboxTask.role == user.role, InboxTask.district_code == district)
    return false()


def can_do_task(user: User, task: InboxTask, ignore_claim: bool = False) -> bool:
    """`ignore_claim`: whether the user belongs to the group the task is for, whoever holds it now."""
    scope = scope_of(user)
    district, street = _unit_codes(user)
    if not ignore_claim and task.claimed_by_id is not None and task.claimed_by_id != user.id:
        # A colleague's task is the stand-in's while the colleague is on leave (never one barred to them).
        return task.claimed_by_id in standins.acting_for(user) and task.barred_user_id != user.id
    if task.barred_user_id is not None and task.barred_user_id == user.id:
        return False  # nobody checks an entry they made themselves
    if scope == "own":
        return task.role == "owner" and task.owner_user_id == user.id
    if scope == "street":
        if task.street_code != street:
            return False
        # An unclaimed owner's step: inspectors record the signed paper declaration (forms:
        # staffRequired); a check barred to the inspector who made the entry: the supervisor.
        return task.role == user.role or (
            user.role == "inspector" and task.role == "owner" and task.owner_user_id is None) or (
            user.role == "supervisor" and task.role == "inspector" and task.barred_user_id is not None)
    if scope == "district":
        return task.role == user.role and task.district_code == district
    return False


def can_register(user: User) -> bool:
    """Owners, inspectors on site, and active property companies on behalf of owners in their estates."""
    return user.role in ("owner", "inspector") or company_id(user) is not None


def can_report_lead(user: User) -> bool:
    return user.role in ("grid", "inspector") or company_id(user) is not None


def can_operate(user: User) -> bool:
    """Platform operations (timer incidents, retries): role admin only, no project data beyond that."""
    return user.role == "admin"


def is_integration(user: User) -> bool:
    """A machine client of another system: it reaches service tasks and messages through the scopes
    of its token (services.integration), never the projects themselves."""
    return user.role == "integration"


def can_audit(user: User) -> bool:
    """The audit trail (who did what, from where) is read by auditors only; nobody writes to it."""
    return user.role == "auditor"


def sees_personal_data(user: User, project: Project) -> bool:
    """Identity numbers and phones in full (P-32): the project's owner, and the inspectors and
    supervisor of its street who handle the case; every other role sees them masked."""
    if scope_of(user) == "own":
        return project.owner_user_id == user.id
    return user.role in ("inspector", "supervisor") and user.org_unit.street_code == project.street_code


def can_read_rules(user: User, district_code: str) -> bool:
    """A district's implementation rules: read by everyone working under them (its district and street
    staff), city-wide by the city and the process designers and operators; never by owners."""
    if scope_of(user) == "city" or user.role in ("designer", "admin"):
        return True
    if scope_of(user) in ("district", "street"):
        return user.org_unit.district_code == district_code
    return False


def can_edit_rules(user: User, district_code: str) -> bool:
    """Only the district's own administrators change its rules."""
    return user.role == "district_admin" and user.org_unit.district_code == district_code


def team_task_filter(user: User):
    """A street supervisor oversees the inspectors' tasks of the street (to assign them)."""
    district, street = _unit_codes(user)
    if user.role != "supervisor" or not street:
        return false()
    return and_(InboxTask.role == "inspector", InboxTask.street_code == street)


def street_filter(user: User):
    """A SQL condition on OrgUnit: the streets inside this user's jurisdiction."""
    scope = scope_of(user)
    district, street = _unit_codes(user)
    is_street = OrgUnit.kind == "street"
    if scope == "street":
        return and_(is_street, OrgUnit.code == street) if street else false()
    if scope == "district":
        return and_(is_street, OrgUnit.district_code == district) if district else false()
    if scope == "city":
        return is_street
    return false()
