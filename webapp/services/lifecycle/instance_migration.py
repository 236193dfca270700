"""Move running projects to another version of their process, after showing what would change.

A preview migrates a freshly loaded copy of each instance in memory and throws it away; a
migration does the same and saves it with its projections and a 'migration' history event, in
one transaction per project. A project that cannot move safely is refused with the reason and
stays exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from ...domain.migration import MigrationRefused, migrate, spec_changes, stands_at
from ...persistence import step_store
from ...persistence.models import ProcessInstance, ProcessVersion, Project, User, db
from ...persistence.step_store import Step
from ..designer.deployment import line_name, require_designer, require_line
from ..designer.versions import bundle_for
from ..errors import Conflict, NotFound
from . import instances


def preview_version(user: User, version_id: int, project_ids: list[int] | None = None) -> dict:
    """For each running project on another version of this process: can it move, and what changes."""
    target = _version(version_id)
    require_line(user, target)
    rows = [_attempt(step, target, save=False) for step in _running_elsewhere(target, project_ids)]
    return {"version": _label(target), "changes": _changes_by_version(target, rows), "projects": rows}


def migrate_selection(user: User, version_id: int, project_ids: list[int], ip: str | None = None) -> list[dict]:
    """Migrate each selected project that can move; the others are reported with their reason."""
    target = _version(version_id)
    require_line(user, target)
    return [_attempt(step, target, save=True, actor=user, ip=ip) for step in _running_elsewhere(target, project_ids)]


def migrate_project(
    user: User, project_id: int, version_number: int, *, dry_run: bool = False, ip: str | None = None
) -> dict:
    """One project to version `version_number` of its own process; dry_run only previews.

    A refused migration raises Conflict with the reason, unless it is a dry run (then the
    preview says ok=False and why).
    """
    require_designer(user)
    instance_id = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.project_id == project_id))
    step = step_store.read_instance(instance_id) if instance_id is not None else None
    if step is None:
        raise NotFound("没有这个项目")
    current = db.session.get(ProcessVersion, step.instance.version_id)
    target = db.session.scalar(
        select(ProcessVersion).where(
            ProcessVersion.process_id == current.process_id, ProcessVersion.version == version_number
        )
    )
    if target is None:
        raise NotFound(f"流程 {current.process_id} 没有第 {version_number} 版")
    require_line(user, target)
    row = _attempt(step, target, save=not dry_run, actor=user, ip=ip)
    row["changes"] = spec_changes(bundle_for(current), bundle_for(target)).as_dict()
    if not row["ok"] and not dry_run:
        raise MigrationConflict(row)
    return row


class MigrationConflict(Conflict):
    """409: the migration was refused; `preview` says why and where the project stands."""

    def __init__(self, preview: dict):
        self.preview = preview
        super().__init__(preview["reason"])


# -- internals ----------------------------------------------------------------------------------
def _attempt(
    step: Step, target: ProcessVersion, *, save: bool, actor: User | None = None, ip: str | None = None
) -> dict:
    instance, project = step.instance, step.project
    current = db.session.get(ProcessVersion, instance.version_id)
    row = {
        "project_id": project.id,
        "reg_no": project.reg_no,
        "title": project.title,
        "from_version": current.version,
        "to_version": target.version,
        "ok": False,
        "reason": None,
        "before": [],
        "after": [],
        "affected": [],
        "migrated": False,
    }
    runner, steps, helpers = instances.open_for_migration(step)
    row["before"] = stands_at(runner)
    refusal = _refusal(instance, current, target, project)
    if refusal:
        row["reason"] = refusal
        return row
    try:
        result = migrate(runner, bundle_for(target), helpers, sink=steps.append)
    except MigrationRefused as exc:
        row["reason"] = str(exc)
        return row
    row.update(ok=True, after=result.after, affected=result.affected)
    if save:
        summary = {
            "from": current.version,
            "to": target.version,
            "before": result.before,
            "after": result.after,
            "affected": result.affected,
        }
        try:
            instances.save_migrated(
                step,
                result.runner,
                steps,
                target.id,
                actor=actor,
                ip=ip,
                title=f"流程版本 v{current.version} → v{target.version}",
                summary=summary,
            )
        except Conflict:
            # Someone completed a task or a timer fired meanwhile: this one is not moved, the rest are.
            row.update(ok=False, reason="项目在迁移时刚被办理或触发了定时器，未迁移；请刷新后重试")
            return row
        row["migrated"] = True
    return row


def _refusal(instance, current: ProcessVersion, target: ProcessVersion, project) -> str | None:
    if instance.completed:
        return "项目已办结，无需迁移"
    if current.process_id != target.process_id:
        return f"项目运行的是流程 {current.process_id}，不能迁移到 {target.process_id}"
    if target.district_code is not None and project.district_code != target.district_code:
        return f"第 {target.version} 版是{line_name(target.district_code)}，项目不属于该区"
    if target.district_code is None and current.district_code is not None:
        return f"项目运行的是{line_name(current.district_code)}，不能迁移到市级版本"
    if current.id == target.id:
        return f"项目已在第 {target.version} 版"
    return None


def _running_elsewhere(target: ProcessVersion, project_ids: list[int] | None) -> Iterator[Step]:
    """The steps of the running projects on other versions of the target's line, each read when
    its turn comes (a migration commits after each project): a city version takes the projects on
    city versions, a district's variant the district's projects."""
    query = (
        select(ProcessInstance.id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(
            ProcessVersion.process_id == target.process_id,
            ProcessInstance.version_id != target.id,
            ProcessInstance.completed.is_(False),
        )
        .order_by(ProcessInstance.project_id)
    )
    if target.district_code is None:
        query = query.where(ProcessVersion.district_code.is_(None))
    else:
        query = query.join(Project, Project.id == ProcessInstance.project_id).where(
            Project.district_code == target.district_code
        )
    if project_ids is not None:
        query = query.where(ProcessInstance.project_id.in_(project_ids))
    for instance_id in list(db.session.scalars(query)):
        step = step_store.read_instance(instance_id)
        if step is not None:
            yield step


def _changes_by_version(target: ProcessVersion, rows: list[dict]) -> dict:
    """The element changes from each version projects are on to the target (the same for all of them)."""
    out = {}
    for number in sorted({r["from_version"] for r in rows}):
        source = db.session.scalar(
            select(ProcessVersion).where(
                ProcessVersion.process_id == target.process_id, ProcessVersion.version == number
            )
        )
        out[str(number)] = spec_changes(bundle_for(source), bundle_for(target)).as_dict()
    return out


def _version(version_id: int) -> ProcessVersion:
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound("没有这个流程版本")
    return version


def _label(version: ProcessVersion) -> dict:
    return {"id": version.id, "process_id": version.process_id, "version": version.version}
