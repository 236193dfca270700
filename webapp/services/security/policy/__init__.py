"""The one authorization policy: role × jurisdiction × ownership, as query filters and predicates.

Every query for projects, tasks, history or files is narrowed by `project_filter` or
`task_filter`; every single-object access is decided by a predicate here (`can_see_project`,
`can_do_task`, `may_entrust`, …). Services call these predicates before they act; the route
checks in `policy.routes`, named by the access table (`policy.route_table`: who may call which
route), run them for the object a URL names before any view does (webapp/access.py runs the table).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, false, or_, select, true

from ....domain.roles import ROLES
from ....persistence.daily import Comment, Notification, SavedFilter, StandIn, stand_in_in_force
from ....persistence.models import Attachment, InboxTask, OrgUnit, Project, TaskDraft, User, db, utcnow
from ....persistence.organisation import Estate, PropertyCompany
from ....persistence.oversight import Notice
from ....persistence.step_store import InboxLike, ProjectLike


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
        return or_(
            Project.estate_id.in_(company_estates(user)),
            and_(Project.channel == "lead", Project.property_company_id.in_(active_company(user))),
        )
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
    return _by_own_codes(user, InboxTask)


def notice_jurisdiction(user: User):
    """For street, district and city users: the SQL condition on Notice selecting the notices of
    the projects project_filter selects, by the notice's own copy of its project's street and
    district (copied when issued; a project never changes street), so counting notices needs no join."""
    return _by_own_codes(user, Notice)


def _by_own_codes(user: User, model):
    scope = scope_of(user)
    district, street = _unit_codes(user)
    if scope == "street":
        return model.street_code == street if street else false()
    if scope == "district":
        return model.district_code == district if district else false()
    return true() if scope == "city" else false()


def can_see_project(user: User, project: ProjectLike) -> bool:
    scope = scope_of(user)
    district, street = _unit_codes(user)
    if scope == "own":
        return project.owner_user_id == user.id
    if scope == "estates":
        return is_company_estate(user, project.estate_id) or (
            project.channel == "lead"
            and project.property_company_id is not None
            and project.property_company_id == company_id(user)
        )
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
    the tasks held by colleagues this user stands in for (`acting_for`).

    `InboxTask.role` is who works on the task (see instances.worker_role): one indexed equality, so
    the inbox query stays an index range scan however many tasks a street has.
    """
    group = _group_tasks(user)
    covered = acting_for(user)
    return or_(group, InboxTask.claimed_by_id.in_(covered)) if covered else group


def _group_tasks(user: User):
    scope = scope_of(user)
    district, street = _unit_codes(user)
    if scope == "own":
        return and_(InboxTask.role == "owner", InboxTask.owner_user_id == user.id)
    if scope == "street":
        mine = and_(
            InboxTask.role == user.role,
            InboxTask.street_code == street,
            or_(InboxTask.barred_user_id.is_(None), InboxTask.barred_user_id != user.id),
        )
        if user.role == "supervisor":  # checks the inspector who made the entry may not do
            return or_(
                mine,
                and_(
                    InboxTask.role == "inspector", InboxTask.street_code == street, InboxTask.barred_user_id.isnot(None)
                ),
            )
        return mine
    if scope == "district":
        return and_(InboxTask.role == user.role, InboxTask.district_code == district)
    return false()


def can_do_task(user: User, task: InboxLike, ignore_claim: bool = False) -> bool:
    """`ignore_claim`: whether the user belongs to the group the task is for, whoever holds it now."""
    scope = scope_of(user)
    district, street = _unit_codes(user)
    if not ignore_claim and task.claimed_by_id is not None and task.claimed_by_id != user.id:
        # A colleague's task is the stand-in's while the colleague is on leave (never one barred to them).
        return task.claimed_by_id in acting_for(user) and task.barred_user_id != user.id
    if task.barred_user_id is not None and task.barred_user_id == user.id:
        return False  # nobody checks an entry they made themselves
    if scope == "own":
        return task.role == "owner" and task.owner_user_id == user.id
    if scope == "street":
        if task.street_code != street:
            return False
        # An unclaimed owner's step: inspectors record the signed paper declaration (forms:
        # staffRequired); a check barred to the inspector who made the entry: the supervisor.
        return (
            task.role == user.role
            or (user.role == "inspector" and task.role == "owner" and task.owner_user_id is None)
            or (user.role == "supervisor" and task.role == "inspector" and task.barred_user_id is not None)
        )
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


# -- who may act on what (predicates the services and the route checks share) --------------------
def can_view_dashboards(user: User) -> bool:
    """Dashboards, reports and the diagram heatmap: users with a jurisdiction over projects."""
    return scope_of(user) in ("street", "district", "city")


def holds_meetings(user: User) -> bool:
    """Joint meetings and the property-company ratings are the district's (and the city's)."""
    return scope_of(user) in ("district", "city")


def can_decide_meetings(user: User) -> bool:
    """The district's administrators record the meeting's decisions."""
    return user.role == "district_admin"


def can_design(user: User) -> bool:
    """Deploy and migrate: process designers, and a district's administrators for its variant (their
    account belongs to the district: `line_of`)."""
    return user.role == "designer" or (user.role == "district_admin" and user.org_unit is not None)


def can_read_versions(user: User) -> bool:
    return can_design(user) or user.role == "admin"


def records_scenarios(user: User) -> bool:
    """Scenarios recorded from a project's history: process designers only."""
    return user.role == "designer"


def can_read_organisation(user: User, district_code: str) -> bool:
    """A district's organisation: its own administrators and the city-wide roles read it."""
    return can_manage_organisation(user, district_code) or scope_of(user) == "city"


def can_manage_organisation(user: User, district_code: str) -> bool:
    return user.role == "district_admin" and user.org_unit.district_code == district_code


def claims_projects(user: User) -> bool:
    """An owner account takes over a project registered for it (the receipt's claim code)."""
    return user.role == "owner"


def is_street_staff(user: User, project: Project) -> bool:
    """The inspectors and supervisor of the project's street: they serve its notices and ask for
    ad-hoc inspections."""
    return is_patrol_staff(user) and can_see_project(user, project)


def may_entrust(user: User, project: Project) -> bool:
    """The project's owner, or the property company of the estate it lies in, names the supervisor."""
    if user.role == "owner":
        return project.owner_user_id == user.id
    return user.role == "property" and is_company_estate(user, project.estate_id)


def may_advise(user: User, project: Project) -> bool:
    """Only the project's entrusted supervisor records advisory logs on it."""
    return is_entrusted_supervisor(user) and project.entrusted_supervisor_id == user.id


def can_see_attachment(user: User, row: Attachment) -> bool:
    """A photo attached to a project is read by whoever sees the project; before that, by its uploader."""
    if row.project_id is None:
        return row.uploader_id == user.id
    project = db.session.get(Project, row.project_id)
    return project is not None and can_see_project(user, project)


def sees_task(user: User, task: InboxLike, project: ProjectLike | None = None) -> bool:
    """A task is read by whoever sees its project (`project`: the task's, if the caller has it),
    and by whoever may do it."""
    return can_see_project(user, project if project is not None else task.project) or can_do_task(user, task)


def supervises_task(user: User, task: InboxTask) -> bool:
    """The street's supervisor manages its inspectors' tasks (assigns and takes them back)."""
    return user.role == "supervisor" and task.role == "inspector" and task.street_code == user.org_unit.street_code


def may_claim(user: User, task: InboxTask) -> bool:
    """A member of the task's group (whoever holds it now: a claimed task answers 409 to them)."""
    return task.claimed_by_id == user.id or can_do_task(user, task, ignore_claim=True)


def may_release(user: User, task: InboxTask) -> bool:
    """The holder, the street's supervisor, or a member of the group when nobody holds it (nothing
    to give back)."""
    return (
        task.claimed_by_id == user.id
        or supervises_task(user, task)
        or (task.claimed_by_id is None and can_do_task(user, task))
    )


# -- the owner's side ------------------------------------------------------------------------------
def is_owner_side(user: User) -> bool:
    """An owner's account: it sees its own projects and, of their comments, those meant for the
    owner; what it writes is meant for the owner; it acts for nobody else, so it may tick the
    owner's own commitment, becomes the owner of what it registers, and no check is barred to it
    for an entry it made (`notBy`). Its day starts on its projects, not in an inbox."""
    return scope_of(user) == "own"


def comment_filter(user: User):
    """A SQL condition on Comment: the comments of a project this user sees that it may read (the
    owner's side: those meant for the owner)."""
    return Comment.visibility == "owner" if is_owner_side(user) else true()


def comment_visible_to(user: User, project: Project, visibility: str) -> bool:
    """Whether a comment of this visibility on the project reaches this user (a mention of a
    colleague who would not see it names nobody)."""
    return can_see_project(user, project) and (visibility == "owner" or not is_owner_side(user))


# -- a user's own rows: saved inbox filters, notifications, task drafts ---------------------------
PersonalRow = SavedFilter | Notification | TaskDraft


def owns(user: User, row: PersonalRow) -> bool:
    """A personal row is its user's alone: nobody else reads, changes or deletes it, whatever their
    role (the route checks answer another user's row as one that does not exist)."""
    return row.user_id == user.id


def own_rows(user: User, table: type[PersonalRow]):
    """A SQL condition on a table of personal rows: this user's."""
    return table.user_id == user.id


# -- uploads ---------------------------------------------------------------------------------------
def may_use_attachment(user: User, row: Attachment, project_id: int | None) -> bool:
    """A form or comment names an upload of its author's that belongs to no project yet, or one
    already the project's."""
    return (row.project_id is None and row.uploader_id == user.id) or (
        project_id is not None and row.project_id == project_id
    )


# -- the street's team: patrols, stand-ins, assignments -------------------------------------------
STAND_IN_ROLES = ("inspector", "supervisor")  # who may stand in for an inspector on leave
ASSIGNEE_ROLES = ("inspector",)  # whom a street supervisor hands its inspectors' tasks to


def is_patrol_staff(user: User) -> bool:
    """The street's inspectors and supervisor: they patrol its sites and serve its notices."""
    return user.role in STAND_IN_ROLES


def is_street_supervisor(user: User) -> bool:
    """A street supervisor: it sees its inspectors' tasks (the team view), assigns them and sets
    the inspectors' stand-ins."""
    return user.role == "supervisor"


def supervised_street(user: User) -> str | None:
    """The street whose inspectors a street supervisor manages; None for everyone else."""
    return user.org_unit.street_code if is_street_supervisor(user) else None


def may_set_standin(supervisor: User, inspector: User) -> bool:
    """A street supervisor names stand-ins for the inspectors of its own street."""
    street = supervised_street(supervisor)
    return bool(street) and inspector.role == "inspector" and inspector.org_unit.street_code == street


def acting_for(user: User, now: datetime | None = None) -> list[int]:
    """The users whose work this user does now as their stand-in (services.people.standins)."""
    return list(
        db.session.scalars(
            select(StandIn.user_id).where(StandIn.stand_in_id == user.id, *stand_in_in_force(now or utcnow()))
        )
    )


# -- a district's people: the roles its administrators give -------------------------------------
# Street roles work in a street (or a community or grid of it), district roles in the district's
# unit. Private parties registered by the district also belong to the district's unit: a property
# company's staff (the account names its company) and entrusted supervisors.
STREET_ROLES = ("grid", "inspector", "supervisor")
DISTRICT_ROLES = ("enforcer", "housing", "emergency", "district_admin")
PARTY_ROLES = ("property", "entrusted")
GRANTABLE_ROLES = STREET_ROLES + DISTRICT_ROLES + PARTY_ROLES


def keeps_administration(role: str, active: bool) -> bool:
    """Whether a district administrator changing their own account keeps administering the district
    (active, and still its administrator): nobody locks themselves out by a slip."""
    return active and role == "district_admin"


# -- registration and leads -----------------------------------------------------------------------
def is_company_account(user: User) -> bool:
    """A property company's account (whether or not its company is active): it registers only
    inside its company's estates, where its district lets it (policy.by_district)."""
    return user.role == "property"


def registrable_estates(user: User | None):
    """A SQL condition on Estate: the estates a registration by this user may name (a property
    company's account: its own company's; no user: any)."""
    if user is not None and is_company_account(user):
        return Estate.company_id == user.property_company_id
    return true()


def company_streets(user: User):
    """The streets where a property company's account works: those of its active estates (a subquery)."""
    return select(Estate.street_code).where(Estate.company_id == user.property_company_id, Estate.active)


def registration_street_filter(user: User):
    """A SQL condition on OrgUnit: the streets where this user registers projects and reports leads.
    Owners register anywhere; street staff only inside their own street; a property company in the
    streets of its estates."""
    is_street = OrgUnit.kind == "street"
    if scope_of(user) == "street":
        return and_(is_street, OrgUnit.code == user.org_unit.street_code)
    if is_company_account(user):
        return and_(is_street, OrgUnit.code.in_(company_streets(user)))
    return is_street


def lists_own_leads(user: User) -> bool:
    """Grid workers and property companies follow the leads they reported on their own list;
    inspectors work them in the inbox."""
    return user.role in ("grid", "property")


def company_filter(user: User):
    """A SQL condition on PropertyCompany: the companies whose figures and ratings this user reads
    (a company's account: its own; district users: their district's; the city: all). None: no
    company is within reach."""
    if is_company_account(user) and user.property_company_id:
        return PropertyCompany.id == user.property_company_id
    scope = scope_of(user)
    if scope == "district":
        return PropertyCompany.district_code == user.org_unit.district_code
    return true() if scope == "city" else None


# -- jurisdiction as pages and figures see it -----------------------------------------------------
def sees_every_project(user: User) -> bool:
    """City-wide users: project_filter restricts nothing (a figure may skip it)."""
    return scope_of(user) == "city"


def spans_streets(user: User) -> bool:
    """District and city users: their work spans streets (the inbox filters by street)."""
    return scope_of(user) in ("district", "city")


def works_in_street(user: User) -> bool:
    """Street users: their tasks are their street's group's, taken by claiming."""
    return scope_of(user) == "street"


def is_district_staff(user: User) -> bool:
    """District users: their district's pages are theirs."""
    return scope_of(user) == "district"


def district_bound(user: User) -> bool:
    """Street and district users work under one district's rules, their unit's."""
    return scope_of(user) in ("street", "district")


def district_filter(user: User):
    """A SQL condition on OrgUnit: the districts inside this user's jurisdiction (the city: every
    one; anyone else: their own)."""
    is_district = OrgUnit.kind == "district"
    return is_district if sees_every_project(user) else and_(is_district, OrgUnit.code == user.org_unit.district_code)


def dashboard_scope(user: User) -> dict:
    """What a dashboard's figures cover: the user's jurisdiction and its unit."""
    unit = user.org_unit
    return {"kind": scope_of(user), "code": unit.code, "name": unit.name}


# -- process versions -----------------------------------------------------------------------------
def line_of(user: User) -> str | None:
    """The version line a user deploys to: a district's process designer or administrator deploys
    the district's variant, the city's designer the city's version (None)."""
    if user.role in ("designer", "district_admin") and user.org_unit is not None:
        return user.org_unit.district_code
    return None


def sees_line(user: User, district_code: str | None) -> bool:
    """Everyone who reads versions sees the city's line; a district's users see their own variant
    besides it, the city's designer and operations every district's."""
    if district_code is None:
        return True
    mine = line_of(user)
    return mine == district_code or (mine is None and user.role in ("designer", "admin"))


def deploys_line(user: User, district_code: str | None) -> bool:
    """Migrating projects onto a version is for the users who deploy its line."""
    return can_design(user) and line_of(user) == district_code


def reads_district_lines(user: User) -> bool:
    """Which district runs which version: city users, process designers and operations, and a
    district's administrators (for their own district)."""
    return user.role in ("designer", "admin", "district_admin") or scope_of(user) == "city"


# -- what a page offers (the templates ask these; the route checks still decide) ------------------
def is_entrusted_supervisor(user: User) -> bool:
    """An entrusted supervisor (委托监理): its projects are those it supervises."""
    return user.role == "entrusted"


def is_grid_worker(user: User) -> bool:
    """A grid worker: its inbox offers to report a lead (吹哨)."""
    return user.role == "grid"


def works_from_ledger(user: User) -> bool:
    """City users and district administrators have no inbox work of their own: an empty inbox
    points them to the project ledger."""
    return user.role in ("city", "district_admin")


def offers_case_file(user: User, project: ProjectLike) -> bool:
    """A task page links the project's full case file for staff, and for the project's own owner."""
    return not is_owner_side(user) or project.owner_user_id == user.id


def offers_claim(user: User, task: InboxLike) -> bool:
    """An unclaimed inspectors' task offers its inspectors to claim it so the group knows."""
    return not task.claimed_by_id and task.role == "inspector" and user.role == "inspector"


def reads_company_reports(user: User) -> bool:
    """The property companies' yearly figures: a company its own, district and city users theirs."""
    return company_filter(user) is not None
