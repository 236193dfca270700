"""Process versions: load the shipped files, deploy new versions, and serve parsed bundles.

Bundles are parsed once per content hash and kept in memory for the life of the process.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ...domain.catalog import FORMS_PREFIX, Bundle, content_hash, parse_bundle, same_content
from ...domain.forms import CHECKLIST_FILE
from ...domain.migration import spec_changes
from ...persistence.models import HistoryEvent, ProcessVersion, db

# The one name Python gives the diagram: the process new projects start (domain.figures maps
# what figures and the case file read, by extension properties, not by element ids).
MAIN_PROCESS = "small_works"
PROCESS_SUFFIXES = (".bpmn", ".dmn")

_cache: dict[str, Bundle] = {}
_lock = threading.Lock()


def read_directory(directory: str) -> dict[str, str]:
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(Path(directory).iterdir())
        if p.suffix in PROCESS_SUFFIXES
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


def bundle_for(version: ProcessVersion) -> Bundle:
    bundle = _cache.get(version.content_hash)
    if bundle is None:
        with _lock:
            bundle = _cache.get(version.content_hash)
            if bundle is None:
                bundle = parse_bundle(json.loads(files_json(version)), version.process_id)
                _cache[version.content_hash] = bundle
    return bundle


def tagged(prop: str, process_id: str = MAIN_PROCESS) -> dict[str, frozenset[str]]:
    """value → ids of the elements carrying it as extension property `prop` in any deployed
    version of the process: history recorded under an older version's elements counts too."""
    rows = db.session.execute(
        select(ProcessVersion.id, ProcessVersion.process_id, ProcessVersion.content_hash)
        .where(ProcessVersion.process_id == process_id).order_by(ProcessVersion.id)).all()
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
    (persistence.instance_rows) reads them, once per process, when its bundle is first parsed."""
    files = getattr(version, "files_json", None)
    if files is None:
        files = db.session.scalar(select(ProcessVersion.files_json).where(ProcessVersion.id == version.id))
    return files


def latest_version(process_id: str = MAIN_PROCESS) -> ProcessVersion:
    version = db.session.scalar(
        select(ProcessVersion).where(ProcessVersion.process_id == process_id).order_by(ProcessVersion.version.desc())
    )
    if version is None:
        raise LookupError(f"process {process_id!r} is not deployed; run the sync command")
    return version


def deploy(
    files: dict[str, str], actor: str | None, note: str | None = None, actor_id: int | None = None,
    checks: dict | None = None,
) -> tuple[ProcessVersion, bool]:
    """Store the bundle as a new immutable version unless that exact content exists, or the newest
    version says the same in other spacing; returns (version, created).

    Every new version leaves a 'deployment' history event: who, when, what changed, and `checks`
    (the scenario tests' outcome, an override of failing ones with its reason).
    """
    digest = content_hash(files)
    existing = db.session.scalar(select(ProcessVersion).where(ProcessVersion.content_hash == digest))
    if existing is not None:
        return existing, False
    bundle = parse_bundle(files)  # raises BundleError with the problems
    previous = db.session.scalar(
        select(ProcessVersion).where(ProcessVersion.process_id == bundle.process_id)
        .order_by(ProcessVersion.version.desc())
    )
    if previous is not None and same_content(version_files(previous), files):
        return previous, False
    number = (previous.version if previous is not None else 0) + 1
    version = ProcessVersion(
        process_id=bundle.process_id,
        version=number,
        content_hash=digest,
        files_json=json.dumps(files, ensure_ascii=False),
        created_by=actor,
        note=note,
    )
    db.session.add(version)
    db.session.flush()
    _cache[digest] = bundle
    db.session.add(HistoryEvent(
        project_id=None,
        actor_id=actor_id,
        actor_name=actor or "system",
        kind="deployment",
        element_id=version.process_id,
        title=f"{version.process_id} v{version.version}",
        data_json=json.dumps(dict(deployment_summary(previous, version), **(checks or {})), ensure_ascii=False),
    ))
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
