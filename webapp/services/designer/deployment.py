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

from ...domain.bundle_diff import diff_bundles
from ...domain.catalog import BPMN_SUFFIXES, DMN_SUFFIXES, FORMS_PREFIX, is_form_file, parse_xml
from ...domain.errors import BundleError, DomainError, Problem
from ...domain.roles import ROLES
from ...domain.validation import BPMN_NS, PRIORITIES, validate_bundle
from ...domain.variants import variant_problems
from ...persistence.models import HistoryEvent, OrgUnit, ProcessInstance, ProcessVersion, Project, User, db
from ..errors import Conflict, Forbidden, NotFound
from ..security import policy
from . import scenarios, task_forms, versions

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILES = 60
# Route-level cap on the whole multipart body, checked before Werkzeug parses it.
MAX_UPLOAD_BYTES = 12 * 1024 * 1024
_NAME = re.compile(r"[\w\-][\w.\-]{0,99}")
_TAG = re.compile(r"\b(?:kpi|casefile|notice)=\w+")


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


def require_designer(user: User) -> None:
    if not policy.can_design(user):
        raise Forbidden("只有流程设计员（或区级管理员，部署本区变体）可以部署或迁移流程")


def require_line(user: User, version: ProcessVersion) -> None:
    """Migrating projects onto a version is for the users who deploy its line."""
    require_designer(user)
    if not policy.deploys_line(user, version.district_code):
        raise Forbidden(
            f"第 {version.version} 版属于{line_name(version.district_code)}，只有其流程设计员可以迁移项目到这一版"
        )


def line_name(district_code: str | None) -> str:
    return "市级流程" if district_code is None else f"{district_label(district_code)}变体"


# -- check and deploy ----------------------------------------------------------------------------
def prepare(
    uploads: list[tuple[str, bytes]], process_id: str | None = None, district_code: str | None = None
) -> Prepared:
    """Lay the uploads over the newest version of the line (a district without a variant: the
    city's) and validate the result (nothing is stored)."""
    files = _read_uploads(uploads)
    base = _base_version(files, process_id, district_code)
    previous = versions.version_files(base) if base is not None else {}
    return _checked(_overlay(previous, files), base, process_id, district_code)


def prepare_for(user: User, uploads: list[tuple[str, bytes]], process_id: str | None = None) -> Prepared:
    """`prepare` on the line the user deploys to (the editors' 校验, the API's dry run)."""
    require_designer(user)
    return prepare(uploads, process_id, policy.line_of(user))


def _checked(
    files: dict[str, str], base: ProcessVersion | None, process_id: str | None, district_code: str | None
) -> Prepared:
    previous = versions.version_files(base) if base is not None else {}
    problems = validate_bundle(files, fallback_form_keys=task_forms.catalog().keys(), previous=previous)
    if district_code is not None:
        city = _city_version(base, process_id)
        if city is not None:
            required = variant_problems(files, versions.version_files(city), district_label(district_code))
            # A name the variant drops is said once, as what the city requires.
            said = {(p.element_id, tag) for p in required for tag in _TAG.findall(p.message)}
            problems = [p for p in problems if not any((p.element_id, tag) in said for tag in _TAG.findall(p.message))]
            problems += required
    report = (
        scenarios.EMPTY
        if problems
        else scenarios.run_all(files, process_id or (base.process_id if base else None), district_code)
    )
    return Prepared(files, base, problems, report)


def _city_version(base: ProcessVersion | None, process_id: str | None) -> ProcessVersion | None:
    try:
        return versions.latest_version(base.process_id if base is not None else process_id or versions.MAIN_PROCESS)
    except LookupError:
        return None


def district_label(district_code: str) -> str:
    return db.session.scalar(select(OrgUnit.name).where(OrgUnit.code == district_code)) or district_code


def deploy(
    user: User,
    uploads: list[tuple[str, bytes]],
    note: str | None = None,
    process_id: str | None = None,
    override: bool = False,
    override_reason: str | None = None,
) -> tuple[ProcessVersion, bool]:
    """A new immutable version of the user's line (the city's, or the district's variant), or
    BundleError with every problem, or ScenariosFailed when scenario tests fail without an override
    (`override` and a reason); (version, created)."""
    require_designer(user)
    prepared = prepare(uploads, process_id, policy.line_of(user))
    version, created = _deploy(user, prepared, note, override, override_reason)
    if not created:
        latest = versions.latest_version(version.process_id, version.district_code)
        if latest.id != version.id:
            db.session.rollback()
            raise Conflict(
                f"上传内容与第 {version.version} 版完全相同；当前最新为第 {latest.version} 版。"
                f"如需回到旧内容，请在第 {version.version} 版页面“重新部署为新版本”（回滚）"
            )
    db.session.commit()
    return version, created


def rollback(
    user: User, version_id: int, note: str | None = None, override: bool = False, override_reason: str | None = None
) -> ProcessVersion:
    """Deploy an earlier version's files again, exactly, as the newest version of the user's line
    (validated and scenario-tested like any upload). A district may take the city's content as its
    variant; the city only its own versions."""
    require_designer(user)
    source = get_version(user, version_id)
    district = policy.line_of(user)
    if source.district_code not in (None, district):
        raise Forbidden(f"第 {source.version} 版属于{line_name(source.district_code)}，不能部署到{line_name(district)}")
    try:
        base = versions.latest_version(source.process_id, district)
    except LookupError:
        base = versions.latest_version(source.process_id)
    if base.content_hash == source.content_hash:
        raise Conflict(f"第 {source.version} 版的内容与当前最新的第 {base.version} 版相同，无需回滚")
    prepared = _checked(versions.version_files(source), base, source.process_id, district)
    version, created = _deploy(
        user,
        prepared,
        note or f"回滚到第 {source.version} 版",
        override,
        override_reason,
        repeat=True,
        extra={"rollback_of": source.version},
    )
    if not created:
        db.session.rollback()
        raise Conflict(f"第 {source.version} 版的内容与当前最新的第 {version.version} 版相同，无需回滚")
    db.session.commit()
    return version


def _deploy(
    user: User,
    prepared: Prepared,
    note: str | None,
    override: bool,
    override_reason: str | None,
    repeat: bool = False,
    extra: dict | None = None,
) -> tuple[ProcessVersion, bool]:
    if prepared.problems:
        raise BundleError(prepared.problems)
    failing = [r["name"] for r in prepared.scenarios["results"] if not r["passed"]]
    reason = (override_reason or "").strip()[:500]
    if failing and not override:
        raise ScenariosFailed(
            prepared.scenarios,
            f"{len(failing)} 个场景测试未通过，未部署：{'、'.join(failing)}。"
            "如确需部署，请勾选“忽略失败的场景”并填写理由",
        )
    if failing and not reason:
        raise ScenariosFailed(prepared.scenarios, "忽略失败的场景须填写理由")
    checks: dict = {
        "scenarios": {
            "passed": prepared.scenarios["passed"],
            "failed": prepared.scenarios["failed"],
            "failing": failing,
        }
    }
    if failing:
        checks["scenario_override"] = {"reason": reason, "scenarios": failing, "by": user.username}
    district = policy.line_of(user)
    return versions.deploy(
        prepared.files,
        actor=user.username,
        note=note,
        actor_id=user.id,
        checks=dict(checks, **(extra or {})),
        district_code=district,
        repeat=repeat,
        line_label=district_label(district) if district else None,
    )


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
            problems.append(
                Problem(
                    raw_name, None, None, "不支持的文件：只接受 .bpmn、.dmn 和表单 .json，文件名只能含字母、数字、_ - ."
                )
            )
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


def _base_version(
    files: dict[str, str], process_id: str | None, district_code: str | None = None
) -> ProcessVersion | None:
    """The newest version of the process the upload changes, on the district's line if it has a
    variant (else the city's): the process named, else the one its BPMN defines, else (forms or DMN
    alone) the main process."""
    candidates = [process_id] if process_id else []
    for name, text in files.items():
        if name.lower().endswith(BPMN_SUFFIXES):
            candidates += _ids(text, name, "process")
    if not any(name.lower().endswith(BPMN_SUFFIXES) for name in files):
        candidates.append(versions.MAIN_PROCESS)
    for candidate in candidates:
        try:
            return versions.version_for_district(district_code, candidate)
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
        kind = (
            "process"
            if name.lower().endswith(BPMN_SUFFIXES)
            else "decision"
            if name.lower().endswith(DMN_SUFFIXES)
            else None
        )
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
    return [
        el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("}decision") and el.get("id")
    ]


# -- reading -------------------------------------------------------------------------------------
def list_versions(user: User) -> list[dict]:
    """Every deployed version of the lines the user sees, newest first per process, with how many
    running projects use it; `is_latest` is per line."""
    if not policy.can_read_versions(user):
        raise Forbidden("只有流程设计员和平台运维可以查看流程版本")
    running = dict(
        db.session.execute(
            select(ProcessInstance.version_id, func.count())
            .where(ProcessInstance.completed.is_(False))
            .group_by(ProcessInstance.version_id)
        ).all()
    )
    deployments = _deployments()
    rows = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version.desc()))
    latest: dict[tuple[str, str | None], int] = {}
    labels = _district_labels()
    out = []
    for version in rows:
        if not policy.sees_line(user, version.district_code):
            continue
        line = (version.process_id, version.district_code)
        latest.setdefault(line, version.version)
        out.append(
            version_row(
                version,
                running.get(version.id, 0),
                latest[line] == version.version,
                deployments.get((version.process_id, version.version)),
                labels,
            )
        )
    return out


def get_version(user: User, version_id: int) -> ProcessVersion:
    if not policy.can_read_versions(user):
        raise Forbidden("只有流程设计员和平台运维可以查看流程版本")
    version = db.session.get(ProcessVersion, version_id)
    if version is None or not policy.sees_line(user, version.district_code):
        raise NotFound("没有这个流程版本")
    return version


def version_detail(user: User, version_id: int) -> dict:
    version = get_version(user, version_id)
    running = db.session.scalar(
        select(func.count())
        .select_from(ProcessInstance)
        .where(ProcessInstance.version_id == version.id, ProcessInstance.completed.is_(False))
    )
    latest = versions.latest_version(version.process_id, version.district_code)
    deployment = _deployments(version.process_id).get((version.process_id, version.version))
    return version_row(version, running, latest.id == version.id, deployment, _district_labels())


def version_file(user: User, version_id: int, name: str) -> str:
    files = versions.version_files(get_version(user, version_id))
    if name not in files:
        raise NotFound("该版本中没有这个文件")
    return files[name]


def version_row(
    version: ProcessVersion,
    running: int,
    is_latest: bool,
    deployment: dict | None,
    labels: dict[str, str] | None = None,
) -> dict:
    files = versions.version_files(version)
    district = version.district_code
    return {
        "id": version.id,
        "process_id": version.process_id,
        "version": version.version,
        "district_code": district,
        "district_name": (labels or {}).get(district, district) if district else None,
        "content_hash": version.content_hash,
        "created_at": version.created_at,
        "created_by": version.created_by,
        "note": version.note,
        "is_latest": is_latest,
        "running_projects": running,
        "files": sorted(files, key=lambda n: (is_form_file(n), n)),  # diagram and tables first
        "forms": sorted(n[len(FORMS_PREFIX) : -5] for n in files if is_form_file(n)),
        "changes": deployment,
        "rollback_of": (deployment or {}).get("rollback_of"),
    }


def _district_labels() -> dict[str, str]:
    return dict(db.session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.kind == "district")).all())


# -- what a version changed ---------------------------------------------------------------------
def version_diff(user: User, version_id: int, against_id: int | None = None) -> dict:
    """What differs from `against` (default: the version this one was deployed over) to this
    version: diagram elements, decision-table rows, form fields (domain.bundle_diff)."""
    version = get_version(user, version_id)
    against = get_version(user, against_id) if against_id is not None else _deployed_over(version)
    if against is not None and against.process_id != version.process_id:
        raise Conflict(f"第 {against.version} 版属于流程 {against.process_id}，只能与同一流程的版本比较")
    found = (
        diff_bundles(versions.version_files(against), versions.version_files(version))
        if against is not None
        else {"bpmn": {}, "dmn": [], "forms": []}
    )
    return dict(found, version=_label(version), against=_label(against) if against is not None else None)


def _deployed_over(version: ProcessVersion) -> ProcessVersion | None:
    """The version a deployment was laid over (its history says which), else the one before it."""
    number = (_deployments(version.process_id).get((version.process_id, version.version)) or {}).get("previous")
    query = select(ProcessVersion).where(ProcessVersion.process_id == version.process_id)
    if number is not None:
        return db.session.scalar(query.where(ProcessVersion.version == number))
    return db.session.scalar(
        query.where(ProcessVersion.version < version.version).order_by(ProcessVersion.version.desc())
    )


# -- which district runs which version --------------------------------------------------------------
def district_lines(user: User, process_id: str = versions.MAIN_PROCESS) -> dict:
    """For each district (a district's own users: theirs): the version its new projects start on
    (its variant's newest, else the city's) and its running projects per version."""
    if not policy.reads_district_lines(user):
        raise Forbidden("只有市级用户、流程设计员和区级管理员可以查看各区的流程版本")
    try:
        city = versions.latest_version(process_id)
    except LookupError:
        raise NotFound(f"流程 {process_id} 尚未部署") from None
    mine = policy.line_of(user)
    query = select(OrgUnit).where(OrgUnit.kind == "district").order_by(OrgUnit.code)
    if mine is not None:
        query = query.where(OrgUnit.code == mine)
    running: dict[str, list[dict]] = {}
    for district, version, line, count in db.session.execute(
        select(Project.district_code, ProcessVersion.version, ProcessVersion.district_code, func.count())
        .join(ProcessInstance, ProcessInstance.project_id == Project.id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(ProcessInstance.completed.is_(False), ProcessVersion.process_id == process_id)
        .group_by(Project.district_code, ProcessVersion.version, ProcessVersion.district_code)
        .order_by(ProcessVersion.version.desc())
    ):
        running.setdefault(district, []).append({"version": version, "variant": line is not None, "projects": count})
    districts = []
    for unit in db.session.scalars(query):
        current = versions.version_for_district(unit.code, process_id)
        variant = current if current.district_code == unit.code else None
        districts.append(
            {
                "district_code": unit.code,
                "district_name": unit.name,
                "has_variant": variant is not None,
                "new_projects_version": _label(current),
                "variant": _label(variant) if variant is not None else None,
                "variant_versions": db.session.scalar(
                    select(func.count())
                    .select_from(ProcessVersion)
                    .where(ProcessVersion.process_id == process_id, ProcessVersion.district_code == unit.code)
                ),
                "running": running.get(unit.code, []),
            }
        )
    return {"process_id": process_id, "city_version": _label(city), "districts": districts}


def _label(version: ProcessVersion) -> dict:
    return {
        "id": version.id,
        "version": version.version,
        "district_code": version.district_code,
        "created_at": version.created_at,
        "created_by": version.created_by,
        "note": version.note,
    }


def palette(version: ProcessVersion) -> dict:
    """What the modeler's inspector offers for a version: lanes (roles), forms, decisions, files."""
    files = versions.version_files(version)
    lanes = [
        {"name": role.lane_names[0], "role": role.code, "label": role.zh} for role in ROLES.values() if role.lane_names
    ]
    lanes.append({"name": "系统", "role": None, "label": "系统（自动步骤）"})
    decisions = []
    for name in sorted(n for n in files if n.lower().endswith(DMN_SUFFIXES)):
        try:
            root = parse_xml(files[name], name)
        except BundleError:
            continue
        decisions += [
            {"id": el.get("id"), "name": el.get("name") or el.get("id"), "file": name}
            for el in root.iter()
            if isinstance(el.tag, str) and el.tag.endswith("}decision")
        ]
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
