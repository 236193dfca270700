"""What-if preview: a draft of district rules applied to the district's current projects.

Nothing is saved. Each project's decisions run on its own process version, once with the rules
in force and once with the draft, both as at the draft's effective moment; domain.whatif compares.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ...domain.decisions import Decider, DecisionFailed, decision_for
from ...domain.durations import parse_duration
from ...domain.engine import ProcessRunner
from ...domain.whatif import Outcome, ProjectFacts, compare
from ...persistence.models import (
    InboxTask,
    OrgUnit,
    ProcessInstance,
    ProcessVersion,
    Project,
    TimerJob,
    User,
    db,
)
from ..designer.versions import bundle_for
from ..organisation import directory
from . import rulebook

# The decisions a preview re-runs, named by the output they produce.
OUTPUTS = ("route", "risk_level", "patrol_interval")


def preview(user: User, code: str, values: dict, effective_from=None, lang: str = "zh") -> dict:
    _, draft, when = rulebook.validate_draft(user, code, values, effective_from, lang=lang, preview=True)
    current = rulebook.in_force(code, at=when)
    cat = rulebook.catalogue()
    projects, versions = _current_projects(code)
    # Rules in force answer as the process would: a district without a saved version gets the DMN defaults.
    before = _evaluator(versions, rulebook.bound_rule(current.values if current.version else {}, when), when)
    after = _evaluator(versions, rulebook.bound_rule(draft, when), when)
    summary = compare(projects, before, after, directory.patrol_staff(code, when.date()), failed=DecisionFailed)
    streets = {u.code: u.name for u in db.session.scalars(select(OrgUnit).where(OrgUnit.district_code == code))}
    for row in summary["patrol_load"]:
        row["street_name"] = streets.get(row["street_code"], row["street_code"])
    summary.update(
        district_code=code,
        effective_from=when,
        compared_with=current.version,
        changes=[rulebook.change_row(cat, c, lang) for c in cat.diff(current.values, draft)],
        kept_deadlines=_decided_deadlines(code),
    )
    return summary


def _current_projects(code: str) -> tuple[list[ProjectFacts], dict[int, object]]:
    """Open projects past registration, with their instance data and the patrol already scheduled."""
    rows = db.session.execute(
        select(Project, ProcessInstance, TimerJob.due_at)
        .join(ProcessInstance, ProcessInstance.project_id == Project.id)
        .outerjoin(TimerJob, TimerJob.instance_id == ProcessInstance.id)
        .where(Project.district_code == code, Project.closed_at.is_(None), Project.stage != "registration")
        .order_by(Project.id)
    )
    facts, versions, bundles = [], {}, {}
    for project, instance, timer_due in rows:
        bundle = bundles.get(instance.version_id)
        if bundle is None:
            bundle = bundles[instance.version_id] = bundle_for(db.session.get(ProcessVersion, instance.version_id))
        data = ProcessRunner.load(bundle, instance.state).data()
        facts.append(
            ProjectFacts(
                project.id,
                project.reg_no,
                project.title,
                project.street_code,
                project.stage,
                data,
                timer_due if project.stage == "patrol" else None,
            )
        )
        versions[project.id] = bundle
    return facts, versions


def _evaluator(bundles: dict, rule, at: datetime):
    decider = Decider({"rule": rule})
    engines: dict[str, dict] = {}

    def evaluate(project: ProjectFacts) -> Outcome:
        bundle = bundles[project.id]
        if bundle.content_hash not in engines:
            engines[bundle.content_hash] = {out: decision_for(bundle, out) for out in OUTPUTS}
        found = engines[bundle.content_hash]
        route = _output(decider, found["route"], project.data, "route")
        risk = _output(decider, found["risk_level"], project.data, "risk_level")
        interval = _output(decider, found["patrol_interval"], project.data, "patrol_interval")
        return Outcome(route, risk, parse_duration(interval, start=at) if interval else None)

    return evaluate


def _output(decider: Decider, engine, data: dict, name: str):
    return decider.decide(engine, data).get(name) if engine is not None else None


def _decided_deadlines(code: str) -> int:
    """Due dates and timers already set in the district's projects: decided, so they stay."""
    tasks = db.session.scalar(
        select(func.count())
        .select_from(InboxTask)
        .where(InboxTask.district_code == code, InboxTask.due_at.is_not(None))
    )
    timers = db.session.scalar(
        select(func.count())
        .select_from(TimerJob)
        .join(ProcessInstance, ProcessInstance.id == TimerJob.instance_id)
        .join(Project, Project.id == ProcessInstance.project_id)
        .where(Project.district_code == code)
    )
    return tasks + timers
