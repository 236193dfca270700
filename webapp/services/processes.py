"""Process versions: load the shipped files, deploy new versions, and serve parsed bundles.

Bundles are parsed once per content hash and kept in memory for the life of the process.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from sqlalchemy import func, select

from ..domain.catalog import Bundle, content_hash, parse_bundle
from ..persistence.models import ProcessVersion, db

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


def bundle_for(version: ProcessVersion) -> Bundle:
    bundle = _cache.get(version.content_hash)
    if bundle is None:
        with _lock:
            bundle = _cache.get(version.content_hash)
            if bundle is None:
                bundle = parse_bundle(json.loads(version.files_json), version.process_id)
                _cache[version.content_hash] = bundle
    return bundle


def latest_version(process_id: str = MAIN_PROCESS) -> ProcessVersion:
    version = db.session.scalar(
        select(ProcessVersion).where(ProcessVersion.process_id == process_id).order_by(ProcessVersion.version.desc())
    )
    if version is None:
        raise LookupError(f"process {process_id!r} is not deployed; run the sync command")
    return version


def deploy(files: dict[str, str], actor: str | None, note: str | None = None) -> tuple[ProcessVersion, bool]:
    """Store the bundle as a new immutable version unless that exact content exists; returns (version, created)."""
    digest = content_hash(files)
    existing = db.session.scalar(select(ProcessVersion).where(ProcessVersion.content_hash == digest))
    if existing is not None:
        return existing, False
    bundle = parse_bundle(files)  # raises BundleError with the problems
    number = (
        db.session.scalar(select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == bundle.process_id))
        or 0
    ) + 1
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
    return version, True


def sync_shipped(directory: str) -> tuple[ProcessVersion, bool]:
    """Deploy processes/ as it is on disk (version 1 on a new database)."""
    version, created = deploy(read_directory(directory), actor="system", note="shipped processes/")
    db.session.commit()
    return version, created
