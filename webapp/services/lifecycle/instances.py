"""Projects and their process instances: register, report a lead, complete a task, fire timers.

Each public function validates, then acts, then saves the instance state together with its
projections (ledger row, inbox rows, timer job) and history in one transaction. A stale write
(the instance changed since it was read) is refused with Conflict, never merged.
"""

from __future__ import annotations

import logging
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...domain import deadlines, figures
from ...domain.engine import ProcessRunner, Snapshot, StepEvent, prefill, properties
from ...domain.errors import ScriptFailed, TaskNotReady
from ...domain.forms import FormDefinition
from ...domain.roles import role_for_lane
from ...domain.workdays import XIAMEN
from ...persistence import external_rows, step_store
from ...persistence.models import (
    OrgUnit,
    ProcessInstance,
    Project,
    User,
    db,
    utcnow,
)
from ...persistence.step_store import InboxLike, InboxRow, ProjectLike, Step
from ..casefile import attachments, history_rows, notices
from ..designer import diagram_names, task_forms
from ..designer.versions import bundle_for, latest_version, version_for_district
from ..district_rules import rulebook
from ..errors import Conflict, Forbidden, NotFound, StaleRevision, ValidationFailed
from ..ledger import queries
from ..notifications import events as notification_events
from ..organisation import directory
from ..oversight import kpi
from ..participation import property_companies
from ..security import audit, policy
from . import hazards as hazard_service
from . import site_checkin
from .numbering import new_claim_code, next_sequence

log = logging.getLogger(__name__)
# Attempts at a write that lost a race to another change of the same instance.
WRITE_ATTEMPTS = 3

# Ledger columns refreshed from the instance's data after every step (a projection, not logic).
LEDGER_FIELDS = ("title", "object_type", "category", "address", "risk_level", "planned_start", "planned_end")
# Ledger flags projected as they are (P-07: registered late, 补登记).
LEDGER_FLAGS = ("late_registration",)


# The lead's source (domain.md B1) by the reporting role; inspectors report what they saw on patrol.
LEAD_SOURCES = {"grid": "GRID", "property": "PROPERTY"}


# -- entry points --------------------------------------------------------------------------------
def register_project(
    user: User, data: dict, lang: str = "zh", ip: str | None = None, refused_uploads: dict[str, str] | None = None
) -> Project:
    """Owner self-registration (or an inspector registering on site without a lead)."""
    if not policy.can_register(user):
        raise Forbidden("this role cannot register projects")
    streets = _allowed_streets(user)
    photos = _checked_photos(user, task_forms.for_new_projects().get("registration"), data, None, lang, refused_uploads)
    # The commitment is the owner's own: staff registering for an owner may not tick it.
    clean = task_forms.validate(
        "registration",
        data,
        lang=lang,
        options=_org_options(streets, user),
        version=latest_version(),
        staff=not policy.is_owner_side(user),
    )
    street = _unit(clean["street"])
    require_community_in_street(street, clean.get("community"), lang)
    rulebook.require_enabled_category(street.district_code, clean.get("category"), lang)
    estate = property_companies.estate_for_registration(user, clean.get("estate"), street, clean.get("community"), lang)
    owner_id = user.id if policy.is_owner_side(user) else None
    project = _new_project("XM", street, clean.get("community"), channel="owner", title=clean["title"])
    project.owner_user_id = owner_id
    # The estate itself is projected from the data (below); the company that assisted is kept.
    project.reporter_user_id = user.id if user.role == "property" else None
    start_data = dict(clean, channel="owner", district=street.district_code, special_areas=[])
    # The site's special area or property company (organisation master data) for triage and notices.
    start_data.update(
        directory.registration_context(street.code, clean.get("community"), clean.get("place_type"), estate)
    )
    return _start(project, start_data, user, ip, photos)


def report_lead(
    user: User, data: dict, lang: str = "zh", ip: str | None = None, refused_uploads: dict[str, str] | None = None
) -> Project:
    """A grid worker's lead (吹哨) about a site: it becomes a task for the street's inspectors."""
    if not policy.can_report_lead(user):
        raise Forbidden("this role cannot report leads")
    streets = _allowed_streets(user)
    photos = _checked_photos(user, task_forms.for_new_projects().get("lead"), data, None, lang, refused_uploads)
    clean = task_forms.validate("lead", data, lang=lang, options=_org_options(streets), version=latest_version())
    return start_lead(clean, reporter=user, ip=ip, source=LEAD_SOURCES.get(user.role, "PATROL"), photos=photos)


def start_lead(clean: dict, *, reporter: User, ip: str | None, source: str, photos=()) -> Project:
    """Start the lead process for validated lead data; the street's inspectors get the check task.
    Shared by grid workers (report_lead) and the public's reports (services.participation.public);
    `photos` (ids already checked) become the project's with it."""
    street = _unit(clean["street"])
    prefix = {"PUBLIC_APP": "公众举报", "SUPERVISOR": "监理线索", "PROPERTY": "物业线索"}.get(source, "线索")
    title = f"{prefix}：{clean['address']}"[:200]
    project = _new_project("XL", street, clean.get("community"), channel="lead", title=title)
    project.reporter_user_id = reporter.id
    project.property_company_id = reporter.property_company_id if reporter.role == "property" else None
    project.address = clean["address"]
    start_data = {
        "channel": "lead",
        "district": street.district_code,
        "lead": clean,
        "lead_source": source,
        "urgency": clean.get("urgency", "NORMAL"),
        "special_areas": [],
    }
    return _start(project, start_data, reporter, ip, photos)


@dataclass
class Completion:
    """What a task completion wrote: the project's ledger row and its ready tasks' inbox rows."""

    project: ProjectLike
    tasks: list[InboxRow]


def complete(
    user: User,
    task_id: str,
    data: dict,
    lang: str = "zh",
    ip: str | None = None,
    refused_uploads: dict[str, str] | None = None,
    step: Step | None = None,
) -> Completion:
    """Complete a task, for pages and API alike.

    The photos the form names must be the user's own unlinked uploads or the project's;
    `refused_uploads` (files a page could not store, by field) fail the submission the same way.
    The step, the photos it links to the project and the drafts it makes useless are written in
    one transaction. If another change to the instance (a timer, a parallel task) won the race
    between our read and our write, redo the completion on the fresh state. A second completion of
    the same task finds the task gone on that retry and is a 409, so nothing is applied twice.
    `step`: the task's step as the request's access check read it (taken for the first attempt;
    its revision is checked like any other read)."""
    for attempt in range(WRITE_ATTEMPTS - 1):
        try:
            done, followups = _complete_once(
                user, task_id, data, lang, ip, refused_uploads, retry=attempt > 0, step=step if attempt == 0 else None
            )
            break
        except StaleRevision:
            log.info("task %s: instance changed meanwhile, retrying on fresh state", task_id)
    else:
        done, followups = _complete_once(user, task_id, data, lang, ip, refused_uploads, retry=True)
    # After the step is committed: a lead found to be about a registered site becomes an inspection
    # request on that project (its own transaction, its own revision check).
    for reg_no, payload in followups:
        request_inspection(_project_by_reg_no(reg_no), payload, actor=user, ip=ip)
    return done


def _complete_once(
    user: User,
    task_id: str,
    data: dict,
    lang: str,
    ip: str | None,
    refused_uploads,
    retry: bool,
    step: Step | None = None,
) -> tuple[Completion, list[tuple[str, dict]]]:
    step = _step_of(task_id, step)
    row = step.task(task_id) if step is not None else None
    if step is None or row is None:
        # Either it never existed, it is outside the user's reach, or it was completed: the
        # history tells which without revealing other streets' tasks.
        # On a retry, the change we lost to has completed or cancelled it.
        cancelled = queries.task_cancellation(task_id)
        if cancelled is not None:
            raise Conflict(f"任务已取消（{cancelled}）：the task was cancelled ({cancelled})")
        if retry or queries.task_was_completed(task_id):
            raise Conflict("task is no longer ready")
        raise NotFound("no such task")
    project = step.project
    if not policy.can_see_project(user, project) and not policy.can_do_task(user, row):
        raise NotFound("no such task")
    if not policy.can_do_task(user, row):
        raise Forbidden("this task belongs to another role or person")
    definition = task_form(row.form_key, step.version)
    photos = _checked_photos(user, definition, data, project.id, lang, refused_uploads)
    events = _Steps(project)
    runner = _runner(step.instance, events, step.version)
    facts = runner.task_data(task_id)
    if isinstance(data, dict):
        data = {**prefill(runner.bundle, row.element_id, facts), **data}
    # Staff recording an owner's step (a paper declaration), or registering on site for an owner.
    staff = not policy.is_owner_side(user) and (row.role == "owner" or row.form_key == "registration")
    clean = _validate_task_form(definition, data, lang, project, runner, events.rules.rule, staff=staff)
    if row.form_key == "registration":
        require_community_in_street(_unit(project.street_code), clean.get("community"), lang)
    clean.update(_hazard_facts(user, project, runner, row.element_id, clean, events, facts))
    try:
        runner.complete(task_id, clean, sink=events.append, actor=user.display_name)
    except TaskNotReady as exc:
        raise Conflict("task is no longer ready") from exc
    # The inbox rows were read with the instance: any change to them since also changed its
    # revision, which the write checks.
    _save(step, runner, events, actor=user, ip=ip, completed_task=task_id, photos=photos)
    return Completion(project, step.inbox), events.followups


def task_start(task_id: str, step: Step | None = None) -> tuple[dict, dict]:
    """(the facts of a ready task, the values its form starts with), for the task page and API.
    `step`: the task's step if the caller has read it. The workflow read is parked for the
    submission that usually follows (ProcessRunner.park): the facts handed out are copies."""
    step = _step_of(task_id, step)
    if step is None:
        return {}, {}
    instance = step.instance
    runner = ProcessRunner.load(bundle_for(step.version), instance.state, instance_id=instance.id)
    row = step.task(task_id)
    facts = deepcopy({k: v for k, v in runner.task_data(task_id).items() if not k.startswith("_")})
    runner.park(instance.id, instance.state)
    return facts, prefill(runner.bundle, row.element_id, facts) if row is not None else {}


def form_start(
    task: InboxLike, definition: FormDefinition | None, step: Step | None = None
) -> tuple[dict, dict, list[dict]]:
    """(facts, starting values, live hazards) for a task's form, pages and API alike: static text
    quotes the facts (the proposed deadline), a per-hazard judgement lists the project's hazards."""
    facts, values = task_start(task.id, step)
    judges = definition is not None and any(f.type == "hazardResults" for f in definition.fields)
    return facts, values, hazard_service.live_for_project(task.project_id) if judges else []


def visible_task(user: User, task_id: str, step: Step | None = None) -> tuple[Step, InboxRow]:
    """The task's step and inbox row if the user may read the task (queries.visible_task, on the
    step's plain rows); NotFound otherwise. `step`: the task's step if the caller has read it."""
    step = _step_of(task_id, step)
    row = step.task(task_id) if step is not None else None
    if step is None or row is None or not policy.sees_task(user, row, step.project):
        raise NotFound("no such task")
    return step, row


def _step_of(task_id: str, step: object) -> Step | None:
    """The step of this task: the one given if it holds the task, else read now."""
    if isinstance(step, Step) and step.task(task_id) is not None:
        return step
    return step_store.read_for_task(task_id)


def _hazard_facts(
    user: User, project: ProjectLike, runner: ProcessRunner, element_id: str, clean: dict, events, facts: dict
) -> dict:
    """The hazard rules of the step (the diagram's `hazards` property) checked and applied; the facts
    its gateways read. A lead check naming a registration number must name a project the user sees."""
    if clean.get("registered_no"):
        target = _project_by_reg_no(clean["registered_no"])
        if target is None or not policy.can_see_project(user, target) or target.closed_at is not None:
            raise ValidationFailed({"registered_no": "登记编号不存在、不在本辖区或项目已办结"})
    action = hazard_service.action_of(runner.bundle, element_id)
    if action is None:
        return {}
    return hazard_service.before_completion(
        action,
        lambda: events.hazard_book(project.id),
        actor=user.username,
        element=element_id,
        clean=clean,
        facts=facts,
        items=checklist_for(facts) if action == "record" else [],
        rule=events.rules.rule,
    )


def request_inspection(
    project: ProjectLike | None, payload: dict, *, actor: User, ip: str | None = None
) -> ProjectLike:
    """An inspection request (临时巡查) on an open project: the diagram's event sub-process waiting
    for `inspection_request` gives the street's inspectors a task; no new project is made."""
    if project is None or project.closed_at is not None:
        raise Conflict("项目不存在或已办结，不能安排临时巡查")
    instance_id = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.project_id == project.id))
    if instance_id is None:
        raise Conflict("项目不存在或已办结，不能安排临时巡查")

    def act(runner, events):
        if not runner.send_message(diagram_names.INSPECTION_REQUEST, payload, sink=events.append):
            raise Conflict("该项目的流程版本不支持临时巡查")

    return _with_step(
        instance_id,
        act,
        history={"kind": "inspection_requested", "title": "临时巡查请求", "data": payload},
        actor=actor,
        ip=ip,
    )


def _project_by_reg_no(reg_no: str) -> Project | None:
    return db.session.scalar(select(Project).where(Project.reg_no == str(reg_no).strip()))


def complete_external(
    instance_id: int, task_id: str, variables: dict, *, history: dict, actor: User, ip: str | None
) -> ProjectLike:
    """An external worker's completion of a service task (services.integration.external_tasks
    checked the lock and the variables), saved with its history row (`history`: kind, title, data).
    A race lost to another change of the instance is redone on the fresh state."""

    def act(runner, events):
        runner.complete_external(task_id, variables, sink=events.append)
        events.external_done.add(task_id)

    return _with_step(instance_id, act, history=dict(history, task_id=task_id), actor=actor, ip=ip)


def deliver_message(
    project: Project, name: str, payload: dict, *, history: dict, actor: User, ip: str | None
) -> ProjectLike:
    """A message from another system for the catch event of this project waiting for it."""
    instance_id = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.project_id == project.id))
    if instance_id is None:
        raise Conflict("项目没有流程实例：the project has no process instance")
    return _with_step(
        instance_id,
        lambda runner, events: runner.deliver_message(name, payload, sink=events.append),
        history=history,
        actor=actor,
        ip=ip,
    )


def _with_step(instance_id: int, act, *, history: dict, actor: User, ip: str | None) -> ProjectLike:
    for attempt in range(WRITE_ATTEMPTS):
        step = step_store.read_instance(instance_id)
        if step is None:
            raise Conflict("项目流程已不存在：the process instance is gone")
        events = _Steps(step.project)
        runner = _runner(step.instance, events, step.version)
        try:
            act(runner, events)
        except TaskNotReady as exc:
            raise Conflict(f"项目当前不在等待此项：the project is not waiting for this ({exc})") from exc
        events.history.append(
            history_rows.values(
                step.project.id,
                actor,
                history["kind"],
                history.get("element_id"),
                history["title"],
                history.get("data"),
                ip,
                task_id=history.get("task_id"),
            )
        )
        try:
            _save(step, runner, events, actor=actor, ip=ip)
            return step.project
        except StaleRevision:
            if attempt == WRITE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def fire_timers(instance_id: int) -> bool:
    """Fire whatever timers of this instance are due and save; the caller holds the job's claim.
    Whether a timer fired: none has when another worker, whose expired lock we took over, fired it
    between our claim and our read (the save, revision-checked as ever, then only moves the job on)."""
    step = step_store.read_instance(instance_id)
    if step is None:
        return False
    events = _Steps(step.project)
    runner = _runner(step.instance, events, step.version)
    runner.fire_timers(sink=events.append)
    _save(step, runner, events, actor=None, ip=None)
    return bool(events)


def registration_options(user: User) -> dict[str, list[str]]:
    """The street/community codes this user may choose on the registration and lead forms."""
    return _org_options(_allowed_streets(user), user)


def checklist_for(data: dict) -> list[dict]:
    """The patrol checklist items that apply to a project with these instance data."""
    return task_forms.checklist_items(data.get("risk_flags") or [], data.get("object_type") or "SMALL_WORKS")


def task_form(form_key: str | None, version) -> FormDefinition | None:
    """The form a task names, as deployed with its project's process version (None: no form)."""
    forms = task_forms.catalog(version)
    return forms.get(form_key) if form_key and form_key in forms else None


def form_inputs(definition: FormDefinition | None, project: Project, data: dict) -> tuple[dict | None, list | None]:
    """What a task form of this project is filled and checked against, looked up only for forms
    that use it (each costs queries): (street and community choices, patrol checklist items)."""
    if definition is None:
        return None, None
    options = task_options(project) if definition.uses_options else None
    return options, checklist_for(data) if definition.has_checklist else None


def _checked_photos(
    user: User,
    definition: FormDefinition | None,
    data,
    project_id: int | None,
    lang: str,
    refused_uploads: dict[str, str] | None,
) -> list[str]:
    """The photo ids the form carries, each one this user may attach (its own unlinked upload, or
    one of this project's); ValidationFailed (422) names the fields that carry another."""
    ids = definition.attachment_ids(data) if definition is not None else {}
    errors = {**attachments.unusable(user, ids, project_id, lang), **(refused_uploads or {})}
    if errors:
        raise ValidationFailed(errors)
    return [i for group in ids.values() for i in group]


def open_for_migration(step: Step) -> tuple[ProcessRunner, list, dict]:
    """A runner loaded from the step's rows, the sink for its steps and the helpers its scripts
    call (for services.lifecycle.instance_migration, which moves it to another version)."""
    steps = _Steps(step.project)
    return _runner(step.instance, steps, step.version), steps, _helpers(steps)


def save_migrated(step: Step, runner: ProcessRunner, steps, version_id: int, *, actor, ip, title, summary):
    """Save an instance moved to another process version, with its 'migration' history event."""
    steps.history.append(history_rows.values(step.project.id, actor, "migration", None, title, summary, ip))
    _save(step, runner, steps, actor=actor, ip=ip, version_id=version_id)


# -- internals ----------------------------------------------------------------------------------
def start_by_message(
    street: OrgUnit, message: tuple[str, dict], *, title: str, address: str | None, sender: User, ip: str | None
) -> Project:
    """Start a lead at the start event catching `message` (name, payload): another system's report
    (a 12345 ticket) begins the process where the diagram says, in the street's jurisdiction."""
    project = _new_project("XL", street, None, channel="lead", title=title[:200])
    project.reporter_user_id = sender.id
    project.address = address
    try:
        return _start(project, {"district": street.district_code, "special_areas": []}, sender, ip, message=message)
    except TaskNotReady as exc:  # the district's own variant has no such start event
        raise Conflict(
            f"本区流程版本不接收消息「{message[0]}」：the district's process does not start with it"
        ) from exc


def _start(
    project: Project, start_data: dict, actor: User, ip: str | None, photos=(), message: tuple[str, dict] | None = None
) -> Project:
    version = version_for_district(project.district_code)  # the district's variant, else the city's
    bundle = bundle_for(version)
    events = _Steps(project)
    try:
        runner = ProcessRunner.start(bundle, start_data, sink=events.append, helpers=_helpers(events), message=message)
    except (ScriptFailed, TaskNotReady):
        db.session.rollback()
        raise
    db.session.add(project)
    db.session.flush()
    instance = ProcessInstance(project_id=project.id, version_id=version.id, state="{}")
    db.session.add(instance)
    db.session.flush()
    events.history.append(
        history_rows.values(project.id, actor, "project_created", None, project.reg_no, start_data, ip)
    )
    _save(
        Step(instance=instance, project=project, inbox=[], version=version),
        runner,
        events,
        actor=actor,
        ip=ip,
        photos=photos,
    )
    return project


def _runner(instance, steps: _Steps, version) -> ProcessRunner:
    return ProcessRunner.load(bundle_for(version), instance.state, helpers=_helpers(steps), instance_id=instance.id)


def _helpers(steps: _Steps) -> dict:
    """Functions BPMN scripts and DMN cells may call: `rule(name, default)`, the value of the
    project's district rule in force at the moment of the call (services.district_rules.rulebook.RuleReader),
    and the deadline helpers (domain.deadlines) and date helpers (domain.workdays)."""
    return {"rule": steps.rules.rule, **deadlines.script_helpers()}


class _Steps(list):
    """The step events of one service call. The district rules a step read while it ran go into
    that step's history data (`rules`: parameter, value, rule version), so the history shows
    which version of the district's rules decided."""

    def __init__(self, project: ProjectLike):
        super().__init__()
        self.rules = rulebook.RuleReader(project.district_code)
        self.reg_no = project.reg_no
        self.book: hazard_service.Book | None = None  # the project's hazards, once a step touches them
        self.followups: list[tuple[str, dict]] = []
        self.external_done: set[str] = set()  # service tasks a worker completed in this call
        # History rows of the call itself (project created, migrated, message received), written
        # before the steps' own rows.
        self.history: list[dict] = []

    def hazard_book(self, project_id: int):
        if self.book is None:
            self.book = hazard_service.Book(project_id)
        return self.book

    def append(self, event: StepEvent) -> None:
        applied = self.rules.take()
        if applied:
            event.data = dict(event.data or {}, rules=applied)
        super().append(event)


def _save(step: Step, runner: ProcessRunner, events, *, actor, ip, completed_task=None, version_id=None, photos=()):
    """Write state, projections, history and the photos the step's form carried in one
    transaction; a stale revision is a Conflict. The step's inbox rows were read with its
    instance: any change to them since also changed its revision, which the write checks."""
    try:
        _write(step, runner, events, actor=actor, ip=ip, completed_task=completed_task, version_id=version_id)
        if photos:
            step_store.link_attachments(photos, step.project.id)
        step_store.commit()
    except StaleRevision:
        db.session.rollback()
        raise
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("the task was completed meanwhile") from exc


def _write(step: Step, runner: ProcessRunner, events, *, actor, ip, completed_task, version_id=None):
    # The history row the caller added (project created, migrated) goes in before the steps' rows.
    db.session.flush()
    now = utcnow()
    snap = runner.snapshot()
    values = {"state": runner.dump(finished=snap.completed), "completed": snap.completed, "updated_at": now}
    if version_id is not None:
        values["version_id"] = version_id
    # The state first: the revision check happens here, before any projection is touched.
    if not step_store.write_instance(step.instance, values):
        raise StaleRevision("the project changed meanwhile; reload and try again")
    # Queries below must not flush an ORM copy of the project early (the start of a project).
    with db.session.no_autoflush:
        _write_projections(step, runner, snap, events, now, actor=actor, ip=ip, completed_task=completed_task)


def _write_projections(
    step: Step, runner: ProcessRunner, snap: Snapshot, events, now: datetime, *, actor, ip, completed_task
):
    project = step.project
    book = hazard_service.after_steps(project, runner.bundle, events, snap.data, getattr(events, "book", None))
    extra = dict(kpi.visit_columns(events, runner.bundle))
    if book is not None and project.open_hazards != book.open_count():
        extra["open_hazards"] = book.open_count()
    _queue_inspection_requests(runner.bundle, events, snap.data)
    # The ledger row (with the last site visit), then the notices the diagram attaches, which quote it.
    step_store.write_project(project, dict(_ledger_changes(project, snap, now), **extra))
    issued = notices.issue_for_steps(
        project, runner.bundle, events, snap.data, book.live_dicts() if book is not None else None
    )
    new_tasks, gone = _sync_inbox(step, snap, _barred(project, events, actor, completed_task))
    _sync_timer(step, snap)
    waiting, ended = external_rows.sync(step.instance.id, project, snap.external, step.has_external_rows)
    # Who must hear of this step (new tasks, notices issued) is told in the step's own transaction.
    notification_events.after_step(project, new_tasks, issued)
    # The row the caller added (project created, migrated, message received) goes in first.
    history = list(getattr(events, "history", []))
    history += [_cancelled(row, events, completed_task) for row in gone if row.id != completed_task]
    history += [
        history_rows.values(
            project.id,
            None,
            "external_task_waiting",
            work.name,
            work.title,
            {"topic": work.topic},
            None,
            task_id=work.id,
        )
        for work in waiting
    ]
    history += [
        history_rows.values(
            project.id,
            None,
            "external_task_cancelled",
            row.element_id,
            row.title,
            {"topic": row.topic},
            None,
            task_id=row.id,
        )
        for row in ended
        if row.id not in getattr(events, "external_done", ())
    ]
    for event in events:
        if event.task_id in getattr(events, "external_done", ()):
            continue  # the worker's completion has its own history row (services.integration)
        is_human = event.task_id == completed_task
        if not is_human and not _recorded(runner.bundle, event):
            continue
        history.append(
            history_rows.values(
                project.id,
                actor if is_human else None,
                "task_completed" if is_human else "step",
                event.name,
                event.title,
                event.data if is_human else (event.data or None),
                ip if is_human else None,
                task_id=event.task_id if is_human else None,
            )
        )
    # Rules read outside any step (a timer or due expression that calls rule()) are still recorded.
    leftover = events.rules.take() if isinstance(events, _Steps) else []
    if leftover:
        history.append(
            history_rows.values(project.id, None, "rule_applied", None, "实施细则取值", {"rules": leftover}, None)
        )
    # The step writes their audit rows itself, with them.
    step_store.add_history(history, audit.history_audit_rows(history))


# Steps no one reads a history row of: a gateway's choice shows in the step taken after it, a start
# event in the row of what started the project (created, a message). They were half of a project's
# history rows (and a quarter of its stored bytes) and no reader (case file, figures, heatmap,
# recorded scenarios) looked at them.
UNRECORDED_STEPS = frozenset(
    ("ExclusiveGateway", "InclusiveGateway", "ParallelGateway", "EventBasedGateway", "StartEvent")
)


def _recorded(bundle, event: StepEvent) -> bool:
    """Whether a step the engine passed gets a history row: every step but gateways and start
    events, and those too when they carry data (rules read) or feed a figure or the case file."""
    if event.kind not in UNRECORDED_STEPS or event.data:
        return True
    spec = bundle.task_spec(event.name) if event.name else None
    return spec is not None and any(figures.names(properties(spec)).values())


def _cancelled(row, events, completed_task) -> dict:
    """The history row of a task that left the inbox without being completed (a timer, a decision
    elsewhere in the process): a later attempt to complete it is told why (409)."""
    # Named steps only: an unnamed gateway's title is its id.
    by = [
        event.title for event in events if event.task_id != completed_task and event.title and event.title != event.name
    ]
    return history_rows.values(
        row.project_id, None, "task_cancelled", row.element_id, row.title, {"by": by or None}, None, task_id=row.id
    )


def _queue_inspection_requests(bundle, events, data: dict) -> None:
    """A step marked `inspectionRequest=<data key>` asks for an inspection of the registered project
    that key names (a lead check that found an already registered site)."""
    if not isinstance(events, _Steps):
        return
    for event in events:
        spec = bundle.task_spec(event.name) if event.name else None
        key = properties(spec).get("inspectionRequest") if spec is not None else None
        if key and data.get(key):
            lead = data.get("lead") or {}
            events.followups.append(
                (
                    data[key],
                    {
                        "source": data.get("lead_source") or "LEAD",
                        "reason": lead.get("description") or data.get("finding"),
                        "lead_no": events.reg_no,
                        "address": lead.get("address"),
                        "photos": lead.get("photos") or [],
                        "urgency": data.get("urgency", "NORMAL"),
                    },
                )
            )


def _ledger_changes(project, snap: Snapshot, now: datetime) -> dict:
    """The ledger columns this snapshot changes."""
    values: dict[str, object] = {
        name: str(snap.data[name])[:200] for name in LEDGER_FIELDS if snap.data.get(name) not in (None, "")
    }
    if "estate" in snap.data:  # registered (by the owner, a property company or on site) in an estate
        values.update(property_companies.estate_columns(project, snap.data["estate"]))
    values.update({name: bool(snap.data[name]) for name in LEDGER_FLAGS if name in snap.data})
    if project.owner_user_id is None and not project.claim_code and snap.data.get("owner_phone"):
        values["claim_code"] = new_claim_code()  # registered on site: the owner claims it later
    values.update(
        stage=snap.stage, status=snap.status, updated_at=now, next_patrol_at=snap.ledger.get("next_patrol_at")
    )
    if snap.completed and project.closed_at is None:
        values["closed_at"] = now
    return {name: value for name, value in values.items() if name == "updated_at" or getattr(project, name) != value}


def _barred(project: ProjectLike, events, actor, completed_task) -> tuple[int | None, set[str]]:
    """The elements whose performer in this call is barred from the tasks naming them in `notBy`:
    the step the actor just completed, and the start event the actor passed in creating the project
    (an entry made on the owner's behalf is never re-inspected by whoever made it)."""
    if actor is None or policy.is_owner_side(actor):
        return None, set()
    done = {event.name for event in events if completed_task and event.task_id == completed_task}
    if project.owner_user_id is None:
        done |= {event.name for event in events if event.kind == "StartEvent"}
    return actor.id, done


def _sync_inbox(
    step: Step, snap: Snapshot, barred: tuple[int | None, set[str]] = (None, set())
) -> tuple[list[dict], list]:
    """Bring the inbox rows in line with the ready tasks; returns the rows added and those removed.
    `barred`: who made the entry that tasks naming it in `notBy` check (see _barred)."""
    project = step.project
    current = {t.id: t for t in snap.tasks}
    existing = {row.id: row for row in step.inbox}
    gone = [task_id for task_id in existing if task_id not in current]
    step_store.remove_inbox(gone, drafts=step.has_drafts)
    new: list[dict[str, Any]] = []
    for task_id, task in current.items():
        values = {
            "element_id": task.name,
            "title": task.title,
            "form_key": task.form_key,
            "lane": task.lane,
            "role": worker_role(task.lane, project),
            "district_code": project.district_code,
            "street_code": project.street_code,
            "community_code": project.community_code,
            "owner_user_id": project.owner_user_id,
            "priority": task.priority,
            "due_at": task.due_at,
        }
        row = existing.get(task_id)
        if row is None:
            excluded = barred[0] if set(task.not_by) & barred[1] else None
            new.append(
                dict(
                    values,
                    id=task_id,
                    instance_id=step.instance.id,
                    project_id=project.id,
                    created_at=utcnow(),
                    claimed_by_id=None,
                    barred_user_id=excluded,
                )
            )
            continue
        changed = {name: value for name, value in values.items() if getattr(row, name) != value}
        if changed:
            step_store.update_inbox(row, changed)
    step_store.add_inbox(new)
    # The step's rows as written: what the caller answers with (the project's next tasks).
    step.inbox = [row for row in step.inbox if row.id in current] + [InboxRow(**values) for values in new]
    return new, [existing[task_id] for task_id in gone]


def worker_role(lane: str | None, project: ProjectLike) -> str | None:
    """Who works on a task of this lane: the lane's role. An owner-lane task of a project nobody
    has claimed yet waits for the owner side (待业主认领); policy.can_do_task lets the street's
    inspectors record a signed paper declaration for it."""
    return role_for_lane(lane)


def _sync_timer(step: Step, snap: Snapshot) -> None:
    """The instance's timer job falls due with its next timer, pending for any worker."""
    step_store.write_timer(
        step,
        None
        if snap.next_timer_at is None
        else {
            "due_at": snap.next_timer_at,
            "status": "pending",
            "locked_by": None,
            "locked_until": None,
            "attempts": 0,
            "last_error": None,
        },
    )


def _new_project(prefix: str, street: OrgUnit, community: str | None, *, channel: str, title: str) -> Project:
    day = utcnow().astimezone(XIAMEN).strftime("%Y%m%d")  # the registration's local (Xiamen) day
    seq = next_sequence(f"{prefix}-{street.district_code}-{day}")
    return Project(
        reg_no=f"{prefix}-{street.district_code}-{day}-{seq:04d}",
        channel=channel,
        title=title,
        district_code=street.district_code,
        street_code=street.code,
        community_code=community,
    )


def _unit(code: str) -> OrgUnit:
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        raise ValidationFailed({"street": "不在可选范围内"})
    return unit


def _allowed_streets(user: User) -> list[OrgUnit]:
    """Owners register anywhere; street staff only inside their own street; a property company in
    the streets of its estates."""
    return list(
        db.session.scalars(select(OrgUnit).where(policy.registration_street_filter(user)).order_by(OrgUnit.code))
    )


def _org_options(streets: list[OrgUnit], user: User | None = None) -> dict[str, list[str]]:
    """Street, community and managed-estate choices inside these streets (a property company's
    account: its own estates)."""
    codes = [s.code for s in streets]
    communities = db.session.scalars(
        select(OrgUnit.code).where(OrgUnit.kind == "community", OrgUnit.street_code.in_(codes))
    )
    return {
        "streets": codes,
        "communities": list(communities),
        "estates": [property_companies.estate_code(e) for e in property_companies.estates_for(user, codes)],
    }


def task_options(project: Project) -> dict[str, list[str]]:
    """The street/community codes a task form of this project may name."""
    street = _unit(project.street_code)
    return _org_options([street])


def require_community_in_street(street: OrgUnit, community: str | None, lang: str = "zh") -> None:
    """A registration's community lies in its street (the pick list is narrowed the same way)."""
    if not community:
        return
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == community, OrgUnit.kind == "community"))
    if unit is None or unit.street_code != street.code:
        raise ValidationFailed(
            {"community": "Not a community of the chosen street" if lang == "en" else "所选社区不属于所选街道"}
        )


def _validate_task_form(
    definition: FormDefinition | None, data, lang, project, runner, rule, *, staff: bool = False
) -> dict:
    """Validate against the form of the project's own version (the runner's data copy is taken
    only for a form with the patrol checklist or questions that depend on the project's data). A
    site visit also carries its check-in and photos as the district asks (site_checkin). `staff`:
    recorded by staff for the owner."""
    if definition is None:
        return {}
    data, lat, lng = site_checkin.take_checkin(data)
    contextual = any(f.applies_if or f.required_if_data or f.not_before for f in definition.fields)
    facts = runner.data() if definition.has_checklist or contextual else {}
    options, checklist = form_inputs(definition, project, facts)
    clean = task_forms.checked(
        definition,
        data,
        lang=lang,
        options=options,
        checklist_items=checklist,
        context=facts if contextual else None,
        staff=staff,
    )
    return (
        site_checkin.apply(definition.fields, clean, lat, lng, facts, rule, lang) if definition.has_checklist else clean
    )
