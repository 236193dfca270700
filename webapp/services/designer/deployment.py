"""Process designers: check, deploy and list process versions (BPMN, DMN and forms together).

An upload is one or more files laid over the newest version of the same process: a designer
who changed only the diagram uploads only the diagram, and the version still carries the
decision tables and forms it runs with. Uploaded BPMN replaces the base's BPMN that defines the
same process, uploaded DMN the base's DMN that defines the same decision, and a form its namesake.
Nothing is deployed unless `validation.validate_bundle` finds no problem and the process's scenario
tests (processes/scenarios, services.designer.scenarios) pass, or the designer overrides failing
scenarios with a reason, which the deployment's history records.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import func, select

from ...domain.catalog import BPMN_SUFFIXES, DMN_SUFFIXES, FORMS_PREFIX, is_form_file, parse_xml
from ...domain.errors import BundleError, DomainError, Problem
from ...domain.roles import ROLES
from ...domain.validation import BPMN_NS, PRIORITIES, validate_bundle
from ...persistence.models import HistoryEvent, ProcessInstance, ProcessVersion, User, db
from ..errors import Conflict, Forbidden, NotFound
from . import scenarios, task_forms, versions

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILES = 60
# Route-level cap on the whole multipart body, checked before Werkzeug parses it.
MAX_UPLOAD_BYTES = 12 * 1024 * 1024
_NAME = re.compile(r"[\w\-][\w.\-]{0,99}")


@dataclass
class Prepared:
    """The full bundle an upload would deploy, and the version it was laid over."""

    files: dict[str, str]
    base: ProcessVersion | None
    problems: list[Problem]
    # The scenario tests' report ({results, passed, failed, seconds}); run only on a bundle without problems.
    scenarios: dict


class ScenariosFailed(DomainError):
    """422: scenario tests fail and the designer did not override them with a reason."""

    def __init__(self, report: dict, message: str):
        self.report = report
        super().__init__(message)


def can_design(user: User) -> bool:
    return user.role == "designer"


def can_read(user: User) -> bool:
    return user.role in ("designer", "admin")


def require_designer(user: User) -> None:
    if not can_design(user):
        raise Forbidden("只有流程设计员可以部署或迁移流程")


# -- check and deploy ----------------------------------------------------------------------------
def prepare(uploads: list[tuple[str, bytes]], process_id: str | None = None) -> Prepared:
    """Lay the uploads over the base version and validate the result (nothing is stored)."""
    files = _read_uploads(uploads)
    base = _base_version(files, process_id)
    previous = versions.version_files(base) if base is not None else {}
    merged = _overlay(previous, files)
    problems = validate_bundle(merged, fallback_form_keys=task_forms.catalog().keys(), previous=previous)
    report = scenarios.EMPTY if problems else scenarios.run_all(merged, process_id)
    return Prepared(merged, base, problems, report)


def deploy(user: User, uploads: list[tuple[str, bytes]], note: str | None = None,
           process_id: str | None = None, override: bool = False,
           override_reason: str | None = None) -> tuple[ProcessVersion, bool]:
    """A new immutable version, or BundleError with every problem, or ScenariosFailed when scenario
    tests fail without an override (`override` and a reason); (version, created)."""
    require_designer(user)
    prepared = prepare(uploads, process_id)
    if prepared.problems:
        raise BundleError(prepared.problems)
    failing = [r["name"] for r in prepared.scenarios["results"] if not r["passed"]]
    reason = (override_reason or "").strip()[:500]
    if failing and not override:
        raise ScenariosFailed(prepared.scenarios, f"{len(failing)} 个场景测试未通过，未部署：{'、'.join(failing)}。"
                              "如确需部署，请勾选“忽略失败的场景”并填写理由")
    if failing and not reason:
        raise ScenariosFailed(prepared.scenarios, "忽略失败的场景须填写理由")
    checks = {"scenarios": {"passed": prepared.scenarios["passed"], "failed": prepared.scenarios["failed"],
                            "failing": failing}}
    if failing:
        checks["scenario_override"] = {"reason": reason, "scenarios": failing, "by": user.username}
    version, created = versions.deploy(prepared.files, actor=user.username, note=note, actor_id=user.id,
                                       checks=checks)
    if not created:
        latest = versions.latest_version(version.process_id)
        if latest.id != version.id:
            db.session.rollback()
            raise Conflict(f"上传内容与第 {version.version} 版完全相同；当前最新为第 {latest.version} 版。"
                           "如需回到旧内容，请修改后重新部署，或把项目迁移到第 "
                           f"{version.version} 版")
    db.session.commit()
    return version, created


def _read_uploads(uploads: list[tuple[str, bytes]]) -> dict[str, str]:
    problems: list[Problem] = []
    files: dict[str, str] = {}
    if not uploads:
        raise BundleError([Problem(None, None, None, "没有上传任何文件")])
    if len(uploads) > MAX_FILES:
        raise BundleError([Problem(None, None, None, f"一次最多上传 {MAX_FILES} 个文件")])
    for raw_name, data in uploads:
        name = stored_name(raw_name)
        if name is None:
            problems.append(Problem(raw_name, None, None,
                                    "不支持的文件：只接受 .bpmn、.dmn 和表单 .json，文件名只能含字母、数字、_ - ."))
            continue
        if len(data) > MAX_FILE_BYTES:
            problems.append(Problem(name, None, None, f"文件过大：最多 {MAX_FILE_BYTES // 1024 // 1024} MB"))
            continue
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append(Problem(name, None, None, "文件不是 UTF-8 编码的文本"))
            continue
        if name in files:
            problems.append(Problem(name, None, None, "同名文件上传了两次"))
        files[name] = text
    if problems:
        raise BundleError(problems)
    return files


def stored_name(raw_name: str | None) -> str | None:
    """The bundle name of an uploaded file (forms go under forms/); None if not acceptable."""
    base = PurePosixPath((raw_name or "").replace("\\", "/")).name
    if not _NAME.fullmatch(base):
        return None
    lower = base.lower()
    if lower.endswith(BPMN_SUFFIXES) or lower.endswith(DMN_SUFFIXES):
        return base
    if lower.endswith(".json"):
        return FORMS_PREFIX + base
    return None


def _base_version(files: dict[str, str], process_id: str | None) -> ProcessVersion | None:
    """The newest version of the process the upload changes: the one named, else the one its BPMN
    defines, else (forms or DMN alone) the main process."""
    candidates = [process_id] if process_id else []
    for name, text in files.items():
        if name.lower().endswith(BPMN_SUFFIXES):
            candidates += _ids(text, name, "process")
    if not any(name.lower().endswith(BPMN_SUFFIXES) for name in files):
        candidates.append(versions.MAIN_PROCESS)
    for candidate in candidates:
        try:
            return versions.latest_version(candidate)
        except LookupError:
            continue
    return None


def _overlay(base: dict[str, str], uploads: dict[str, str]) -> dict[str, str]:
    merged = dict(base)
    replaced = {
        "process": {i for n, t in uploads.items() if n.lower().endswith(BPMN_SUFFIXES) for i in _ids(t, n, "process")},
        "decision": {i for n, t in uploads.items() if n.lower().endswith(DMN_SUFFIXES) for i in _ids(t, n, "decision")},
    }
    for name, text in base.items():
        kind = "process" if name.lower().endswith(BPMN_SUFFIXES) else "decision" if name.lower().endswith(
            DMN_SUFFIXES) else None
        if kind and set(_ids(text, name, kind)) & replaced[kind]:
            del merged[name]
    merged.update(uploads)
    return merged


def _ids(text: str, name: str, kind: str) -> list[str]:
    """Ids of the processes (BPMN) or decisions (DMN) a file defines; [] if it does not parse
    (validation reports that)."""
    try:
        root = parse_xml(text, name)
    except BundleError:
        return []
    if kind == "process":
        return [el.get("id") for el in root.iter(f"{{{BPMN_NS}}}process") if el.get("id")]
    return [el.get("id") for el in root.iter() if isinstance(el.tag, str)
            and el.tag.endswith("}decision") and el.get("id")]


# -- reading -------------------------------------------------------------------------------------
def list_versions(user: User) -> list[dict]:
    """Every deployed version, newest first per process, with how many running projects use it."""
    if not can_read(user):
        raise Forbidden("只有流程设计员和平台运维可以查看流程版本")
    running = dict(db.session.execute(
        select(ProcessInstance.version_id, func.count()).where(ProcessInstance.completed.is_(False))
        .group_by(ProcessInstance.version_id)
    ).all())
    deployments = _deployments()
    rows = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version.desc()))
    latest: dict[str, int] = {}
    out = []
    for version in rows:
        latest.setdefault(version.process_id, version.version)
        out.append(version_row(version, running.get(version.id, 0), latest[version.process_id] == version.version,
                               deployments.get((version.process_id, version.version))))
    return out


def get_version(user: User, version_id: int) -> ProcessVersion:
    if not can_read(user):
        raise Forbidden("只有流程设计员和平台运维可以查看流程版本")
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound("没有这个流程版本")
    return version


def version_detail(user: User, version_id: int) -> dict:
    version = get_version(user, version_id)
    running = db.session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.version_id == version.id, ProcessInstance.completed.is_(False)))
    latest = versions.latest_version(version.process_id)
    deployment = _deployments(version.process_id).get((version.process_id, version.version))
    return version_row(version, running, latest.id == version.id, deployment)


def version_file(user: User, version_id: int, name: str) -> str:
    files = versions.version_files(get_version(user, version_id))
    if name not in files:
        raise NotFound("该版本中没有这个文件")
    return files[name]


def version_row(version: ProcessVersion, running: int, is_latest: bool, deployment: dict | None) -> dict:
    files = versions.version_files(version)
    return {
        "id": version.id,
        "process_id": version.process_id,
        "version": version.version,
        "content_hash": version.content_hash,
        "created_at": version.created_at,
        "created_by": version.created_by,
        "note": version.note,
        "is_latest": is_latest,
        "running_projects": running,
        "files": sorted(files, key=lambda n: (is_form_file(n), n)),  # diagram and tables first
        "forms": sorted(n[len(FORMS_PREFIX):-5] for n in files if is_form_file(n)),
        "changes": deployment,
    }


def palette(version: ProcessVersion) -> dict:
    """What the modeler's inspector offers for a version: lanes (roles), forms, decisions, files."""
    files = versions.version_files(version)
    lanes = [{"name": role.lane_names[0], "role": role.code, "label": role.zh}
             for role in ROLES.values() if role.lane_names]
    lanes.append({"name": "系统", "role": None, "label": "系统（自动步骤）"})
    decisions = []
    for name in sorted(n for n in files if n.lower().endswith(DMN_SUFFIXES)):
        try:
            root = parse_xml(files[name], name)
        except BundleError:
            continue
        decisions += [{"id": el.get("id"), "name": el.get("name") or el.get("id"), "file": name}
                      for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("}decision")]
    return {
        "lanes": lanes,
        "forms": [{"key": f.id, "title": f.title} for f in task_forms.catalog(version)],
        "decisions": decisions,
        "files": sorted(files),
        "priorities": list(PRIORITIES),
    }


def _deployments(process_id: str | None = None) -> dict[tuple[str, int], dict]:
    query = select(HistoryEvent).where(HistoryEvent.kind == "deployment")
    if process_id:
        query = query.where(HistoryEvent.element_id == process_id)
    out = {}
    for event in db.session.scalars(query):
        data = json.loads(event.data_json or "{}")
        if "version" in data:
            out[(event.element_id, data["version"])] = dict(data, by=event.actor_name, at=event.at)
    return out
