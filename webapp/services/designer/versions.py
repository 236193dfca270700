"""Process versions: load the shipped files, deploy new versions, and serve parsed bundles.

Bundles are parsed once per content hash and kept in memory for the life of the process.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from ...domain.catalog import FORMS_PREFIX, Bundle, content_hash, parse_bundle, same_content
from ...domain.forms import CHECKLIST_FILE
from ...domain.migration import spec_changes
from ...persistence.models import HistoryEvent, ProcessInstance, ProcessVersion, db
from ...persistence.step_store import VersionLike
from .diagram_names import MAIN_PROCESS

PROCESS_SUFFIXES = (".bpmn", ".dmn")

_cache: dict[str, Bundle] = {}
_lock = threading.Lock()


def read_directory(directory: str) -> dict[str, str]:
    return {
        p.name: p.read_text(encoding="utf-8") for p in sorted(Path(directory).iterdir()) if p.suffix in PROCESS_SUFFIXES
    }


def read_forms(directory: str) -> dict[str, str]:
    """The form definitions of a forms/ directory as bundle files (forms/<key>.json); the patrol
    checklist is reference data, not a form, and is not versioned."""
    return {
        FORMS_PREFIX + p.name: p.read_text(encoding="utf-8")
        for p in sorted(Path(directory).glob("*.json"))
        if p.name != CHECKLIST_FILE
    }


def version_files(version: ProcessVersion) -> dict[str, str]:
    return json.loads(version.files_json)


def bundle_for(version: VersionLike) -> Bundle:
    bundle = _cache.get(version.content_hash)
    if bundle is None:
        with _lock:
            bundle = _cache.get(version.content_hash)
            if bundle is None:
                bundle = parse_bundle(json.loads(files_json(version)), version.process_id)
                _cache[version.content_hash] = bundle
    return bundle


def warm_bundles() -> int:
    """Parse, ahead of any request, every version an unfinished project runs on and the newest of
    each process line (city and each district's variant); how many. A server process forked after
    this (gunicorn --preload) starts with them parsed: its first requests would otherwise wait for
    the parse (a few hundred milliseconds for the shipped diagram)."""
    running = select(ProcessInstance.version_id).where(ProcessInstance.completed.is_(False)).distinct()
    newest = select(func.max(ProcessVersion.id)).group_by(ProcessVersion.process_id, ProcessVersion.district_code)
    rows = db.session.execute(
        select(ProcessVersion.process_id, ProcessVersion.content_hash, ProcessVersion.id).where(
            ProcessVersion.id.in_(running) | ProcessVersion.id.in_(newest)
        )
    ).all()
    for row in rows:
        bundle_for(row)
    return len(rows)


def tagged(prop: str, process_id: str = MAIN_PROCESS) -> dict[str, frozenset[str]]:
    """value → ids of the elements carrying it as extension property `prop` in any deployed
    version of the process: history recorded under an older version's elements counts too."""
    rows = db.session.execute(
        select(ProcessVersion.id, ProcessVersion.process_id, ProcessVersion.content_hash)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.id)
    ).all()
    key = (prop, tuple(row.content_hash for row in rows))
    found = _tagged.get(key)
    if found is None:
        merged: dict[str, set[str]] = {}
        for row in rows:
            for value, ids in bundle_for(row).tagged(prop).items():
                merged.setdefault(value, set()).update(ids)
        found = _tagged[key] = {value: frozenset(ids) for value, ids in merged.items()}
    return found


_tagged: dict[tuple, dict[str, frozenset[str]]] = {}


def files_json(version) -> str:
    """A version's files: an ORM version loads them (deferred); a row of its identity alone
    (persistence.step_store) reads them, once per process, when its bundle is first parsed."""
    files = getattr(version, "files_json", None)
    if files is None:
        files = db.session.scalar(select(ProcessVersion.files_json).where(ProcessVersion.id == version.id))
    return files


def latest_version(process_id: str = MAIN_PROCESS, district_code: str | None = None) -> ProcessVersion:
    """The newest version of a line: the city's (`district_code` None) or a district's variant."""
    version = db.session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.process_id == process_id, _line(district_code))
        .order_by(ProcessVersion.version.desc())
    )
    if version is None:
        if district_code is not None:
            raise LookupError(f"district {district_code!r} has no variant of {process_id!r}")
        raise LookupError(f"process {process_id!r} is not deployed; run the sync command")
    return version


def version_for_district(district_code: str | None, process_id: str = MAIN_PROCESS) -> ProcessVersion:
    """What a new project of the district starts on: the district's variant if it deployed one,
    else the city's version (the default of every district)."""
    if district_code:
        variant = db.session.scalar(
            select(ProcessVersion)
            .where(ProcessVersion.process_id == process_id, ProcessVersion.district_code == district_code)
            .order_by(ProcessVersion.version.desc())
        )
        if variant is not None:
            return variant
    return latest_version(process_id)


def _line(district_code: str | None):
    if district_code is None:
        return ProcessVersion.district_code.is_(None)
    return ProcessVersion.district_code == district_code


def deploy(
    files: dict[str, str],
    actor: str | None,
    note: str | None = None,
    actor_id: int | None = None,
    checks: dict | None = None,
    district_code: str | None = None,
    repeat: bool = False,
    line_label: str | None = None,
) -> tuple[ProcessVersion, bool]:
    """Store the bundle as a new immutable version of its line (the city's, or `district_code`'s
    variant) unless the line's newest version says the same, in any spacing; returns (version,
    created). Content identical to an older version of the line returns that version unless
    `repeat` (a rollback deploys it again as the newest).

    Every new version leaves a 'deployment' history event: who, when, what changed, and `checks`
    (the scenario tests' outcome, an override of failing ones with its reason, a rollback's source).
    """
    digest = content_hash(files)
    bundle = parse_bundle(files)  # raises BundleError with the problems
    line = select(ProcessVersion).where(ProcessVersion.process_id == bundle.process_id, _line(district_code))
    previous = db.session.scalar(line.order_by(ProcessVersion.version.desc()))
    if previous is not None and (previous.content_hash == digest or same_content(version_files(previous), files)):
        return previous, False
    if not repeat:
        existing = db.session.scalar(line.where(ProcessVersion.content_hash == digest))
        if existing is not None:
            return existing, False
    base = previous
    if base is None and district_code is not None:  # a district's first variant departs from the city's
        base = db.session.scalar(
            select(ProcessVersion)
            .where(ProcessVersion.process_id == bundle.process_id, _line(None))
            .order_by(ProcessVersion.version.desc())
        )
    newest = db.session.scalar(
        select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == bundle.process_id)
    )
    version = ProcessVersion(
        process_id=bundle.process_id,
        version=(newest or 0) + 1,
        content_hash=digest,
        files_json=json.dumps(files, ensure_ascii=False),
        created_by=actor,
        note=note,
        district_code=district_code,
    )
    db.session.add(version)
    db.session.flush()
    _cache.setdefault(digest, bundle)
    line_name = f" {line_label or district_code}" if district_code else ""
    db.session.add(
        HistoryEvent(
            project_id=None,
            actor_id=actor_id,
            actor_name=actor or "system",
            kind="deployment",
            element_id=version.process_id,
            title=f"{version.process_id}{line_name} v{version.version}"
            + (f"（重新部署 v{checks['rollback_of']}）" if checks and checks.get("rollback_of") else ""),
            data_json=json.dumps(
                dict(deployment_summary(base, version), district=district_code, **(checks or {})), ensure_ascii=False
            ),
        )
    )
    return version, True


def deployment_summary(previous: ProcessVersion | None, version: ProcessVersion) -> dict:
    """What a deployment changed against the version before it: files, then diagram elements."""
    new_files = version_files(version)
    old_files = version_files(previous) if previous is not None else {}
    summary = {
        "version": version.version,
        "previous": previous.version if previous is not None else None,
        "content_hash": version.content_hash,
        "files": {
            "added": sorted(set(new_files) - set(old_files)),
            "removed": sorted(set(old_files) - set(new_files)),
            "changed": sorted(n for n in set(new_files) & set(old_files) if new_files[n] != old_files[n]),
        },
        "elements": None,
    }
    if previous is not None:
        summary["elements"] = spec_changes(bundle_for(previous), bundle_for(version)).as_dict()
    return summary


def sync_shipped(directory: str, forms_directory: str | None = None) -> tuple[ProcessVersion, bool]:
    """Deploy processes/ and forms/ as they are on disk (version 1 on a new database)."""
    files = read_directory(directory)
    files.update(read_forms(forms_directory or current_app.config["FORMS_DIR"]))
    version, created = deploy(files, actor="system", note="随系统发布的流程与表单（processes/、forms/）")
    db.session.commit()
    return version, created
