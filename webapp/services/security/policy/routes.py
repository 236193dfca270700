"""The object-level checks the access table (policy.route_table) names: the request pipeline runs a
route's check before its view, on the object the URL names (`project_id`, `task_id`, …).

A check refuses an object outside the caller's reach with NotFound (404, the very answer the
route gives for an object that does not exist: nothing is revealed) and an object the caller sees
but may not act on with Forbidden (403). An object that does not exist is let through: what became
of it (a completed task, a cancelled one) is the route's to say. Reading (GET, HEAD) and acting
(any other method) may differ: a task is read by whoever sees its project, done only by its group.

A check marked `per_object=False` looks at the caller alone; navigation runs it too, so the menu
shows no entry its page would refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ....persistence import step_store
from ....persistence.daily import Notification, SavedFilter
from ....persistence.models import Attachment, InboxTask, OrgUnit, Project, User, db
from ....persistence.oversight import Notice
from ....persistence.step_store import Step
from ...errors import Forbidden, NotFound
from . import (
    PersonalRow,
    by_district,
    can_design,
    can_do_task,
    can_edit_rules,
    can_manage_organisation,
    can_read_organisation,
    can_read_rules,
    can_report_lead,
    can_see_attachment,
    can_see_project,
    is_street_staff,
    may_advise,
    may_claim,
    may_entrust,
    may_release,
    owns,
    sees_task,
    supervises_task,
)

READING = frozenset({"GET", "HEAD"})
Args = Mapping[str, Any]


@dataclass(frozen=True)
class Check:
    name: str
    # (caller, the URL's values, HTTP method): raises NotFound / Forbidden; may return what it read
    run: Callable[[User, Args, str], object]
    per_object: bool = True

    def __call__(self, user: User, args: Args, method: str = "GET") -> object:
        """What the check read of the object, for the view (the task check: the task's step), or None."""
        return self.run(user, args, method)

    def admits(self, user: User) -> bool:
        """Whether a check of the caller alone lets this user in (always True for an object check:
        it depends on the object)."""
        if self.per_object:
            return True
        try:
            self.run(user, {}, "GET")
        except (Forbidden, NotFound):
            return False
        return True


# -- projects -------------------------------------------------------------------------------------
def _project(user: User, args: Args) -> Project | None:
    project = db.session.get(Project, args["project_id"])
    if project is not None and not can_see_project(user, project):
        raise NotFound("no such project")
    return project


def _see_project(user: User, args: Args, method: str) -> None:
    _project(user, args)


def _entrust(user: User, args: Args, method: str) -> None:
    project = _project(user, args)
    if project is not None and not may_entrust(user, project):
        raise Forbidden("only the owner or the estate's property company names the entrusted supervisor")


def _advise(user: User, args: Args, method: str) -> None:
    project = _project(user, args)
    if project is not None and not may_advise(user, project):
        raise Forbidden("only the project's entrusted supervisor records advisory logs")


def _street_staff(user: User, args: Args, method: str) -> None:
    project = _project(user, args)
    if project is not None and not is_street_staff(user, project):
        raise Forbidden("only the street's inspectors and supervisor ask for ad-hoc inspections")


# -- tasks ----------------------------------------------------------------------------------------
def _task(user: User, args: Args) -> InboxTask | None:
    task = db.session.get(InboxTask, args["task_id"])
    if task is not None and not sees_task(user, task):
        raise NotFound("no such task")
    return task


def _do_task(user: User, args: Args, method: str) -> Step | None:
    """Read or do a task. The task is read with its whole step (step_store), which the check
    returns: the view that shows or completes the task starts from the same rows rather than
    reading them again."""
    step = step_store.read_for_task(args["task_id"])
    task = step.task(args["task_id"]) if step is not None else None
    if task is None:
        return None
    if not sees_task(user, task, step.project):
        raise NotFound("no such task")
    if method not in READING and not can_do_task(user, task):
        raise Forbidden("this task belongs to another role or person")
    return step


def _claim(user: User, args: Args, method: str) -> None:
    task = _task(user, args)
    if task is not None and not may_claim(user, task):
        raise Forbidden("this task belongs to another role")


def _release(user: User, args: Args, method: str) -> None:
    task = _task(user, args)
    if task is not None and not may_release(user, task):
        raise Forbidden("only the holder or the street's supervisor may release a task")


def _assign(user: User, args: Args, method: str) -> None:
    task = _task(user, args)
    if task is not None and not supervises_task(user, task):
        raise Forbidden("only the street's supervisor may assign inspectors' tasks")


# -- documents ------------------------------------------------------------------------------------
def _notice(user: User, args: Args, method: str) -> None:
    notice = db.session.get(Notice, args["notice_id"])
    project = db.session.get(Project, notice.project_id) if notice is not None else None
    if project is None:
        return
    if not can_see_project(user, project):
        raise NotFound("no such notice")
    if method not in READING and not is_street_staff(user, project):
        raise Forbidden("only the street's inspectors and supervisor serve notices")


def _file(user: User, args: Args, method: str) -> None:
    row = db.session.get(Attachment, args["attachment_id"])
    if row is not None and not can_see_attachment(user, row):
        raise NotFound("no such file")


# -- a user's own rows -----------------------------------------------------------------------------
def _own(table: type[PersonalRow], key: str, what: str) -> Callable[[User, Args, str], None]:
    """The check of a route naming a personal row (`key` in the URL): another user's is not found."""

    def run(user: User, args: Args, method: str) -> None:
        row = db.session.get(table, args[key])
        if row is not None and not owns(user, row):
            raise NotFound(f"no such {what}")

    return run


# -- districts ------------------------------------------------------------------------------------
def _district_exists(code: str) -> bool:
    return db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == code, OrgUnit.kind == "district")) is not None


def _read_rules(user: User, args: Args, method: str) -> None:
    if _district_exists(args["code"]) and not can_read_rules(user, args["code"]):
        raise Forbidden("this district's rules are outside your jurisdiction")


def _edit_rules(user: User, args: Args, method: str) -> None:
    if _district_exists(args["code"]) and not can_edit_rules(user, args["code"]):
        raise Forbidden("only this district's administrators may change its rules")


def _organisation(user: User, args: Args, method: str) -> None:
    """Read by the district's administrators and the city-wide roles, changed by the administrators."""
    code = args["code"]
    if not _district_exists(code):
        return
    if method in READING and not can_read_organisation(user, code):
        raise Forbidden("this district's organisation is outside your jurisdiction")
    if method not in READING and not can_manage_organisation(user, code):
        raise Forbidden("only this district's administrators change its organisation")


# -- the caller alone -----------------------------------------------------------------------------
def _registers(user: User, args: Args, method: str) -> None:
    """Owners and inspectors register; a property company on owners' behalf where its district lets
    it (P-26a)."""
    if not by_district.may_register(user):
        raise Forbidden("this role cannot register projects")


def _designs(user: User, args: Args, method: str) -> None:
    if not can_design(user):
        raise Forbidden("只有流程设计员（或区级管理员，部署本区变体）可以部署或迁移流程")


def _reports_leads(user: User, args: Args, method: str) -> None:
    if not can_report_lead(user):
        raise Forbidden("this role cannot report leads")


PROJECT = Check("project", _see_project)
ENTRUST = Check("entrust", _entrust)
ADVISE = Check("advise", _advise)
STREET_STAFF = Check("street_staff", _street_staff)
TASK = Check("task", _do_task)
CLAIM = Check("claim", _claim)
RELEASE = Check("release", _release)
ASSIGN = Check("assign", _assign)
NOTICE = Check("notice", _notice)
FILE = Check("file", _file)
SAVED_FILTER = Check("saved_filter", _own(SavedFilter, "filter_id", "saved filter"))
NOTIFICATION = Check("notification", _own(Notification, "notification_id", "notification"))
RULES = Check("rules", _read_rules)
RULES_EDIT = Check("rules_edit", _edit_rules)
ORGANISATION = Check("organisation", _organisation)
REGISTERS = Check("registers", _registers, per_object=False)
DESIGNS = Check("designs", _designs, per_object=False)
REPORTS_LEADS = Check("reports_leads", _reports_leads, per_object=False)
