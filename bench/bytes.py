"""Bytes stored per finished project: `python -m bench.bytes [--quick]`.

Projects are driven through the real services (registration, tasks, the timer worker) on the
scenario clock, on SQLite, in two stories: the calm path (first visit, two patrols without
hazards, completion declared, written off) and the long one (a hazard, its deadline missed,
stop-work proposed and approved, the case handed over and decided, resumption, written off).
The figure is what the database grows by per project: every table's and index's payload
(SQLite's dbstat), measured before and after, divided by the projects driven; per table too.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select, text

from . import common

PATHS = ("calm", "enforcement")
START = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


def run(quick: bool = False) -> dict:
    """{path: {"bytes": per project, "rows": per project, "tables": {table: bytes}}}."""
    import time_machine

    logging.disable(logging.WARNING)
    count = 5 if quick else 20
    work = Path(tempfile.mkdtemp(prefix="xiaosan-bench-bytes-"))
    results: dict = {"projects_per_path": count}
    try:
        for path in PATHS:
            app = common.make_app(f"sqlite:///{work / f'{path}.db'}", work / "instance")
            with app.app_context(), time_machine.travel(START, tick=False) as clock:
                _story(path, clock)  # once unmeasured: caches, counters and first rows of each table
                before = _payload()
                for _ in range(count):
                    _story(path, clock)
                after = _payload()
            common.dispose(app)
            tables = {name: (after.get(name, (0, 0))[0] - before.get(name, (0, 0))[0]) / count for name in after}
            rows = sum(after[n][1] - before.get(n, (0, 0))[1] for n in after if not n.startswith(("ix_", "sqlite_")))
            results[path] = {
                "bytes": round(sum(tables.values())),
                "rows": round(rows / count, 1),
                "tables": {k: round(v) for k, v in sorted(tables.items(), key=lambda kv: -kv[1]) if v},
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def _payload() -> dict[str, tuple[int, int]]:
    """Payload bytes and cells per table and index (dbstat counts a b-tree's entries as cells)."""
    from webapp.persistence.models import db

    db.session.commit()
    rows = db.session.execute(
        text(
            "SELECT name, sum(payload), sum(CASE WHEN pagetype = 'leaf' THEN ncell ELSE 0 END) FROM dbstat "
            "GROUP BY name"
        )
    ).all()
    return {name: (payload or 0, cells or 0) for name, payload, cells in rows}


def _story(path: str, clock) -> int:
    from webapp.services.lifecycle import instances

    owner, inspector = common.user("owner1"), common.user("inspector_lj")
    clock.move_to(START)  # every story on the same dates: planned start ahead, planned end far
    pid = instances.register_project(owner, common.registration()).id
    _complete(inspector, pid, "first_visit", common.FIRST_VISIT)
    clock.shift(timedelta(days=14, seconds=1))
    _fire()
    if path == "calm":
        for patrol in range(2):
            if patrol:
                clock.shift(timedelta(days=14, seconds=1))
                _fire()
            _complete(
                inspector,
                pid,
                "patrol",
                {"site_status": "IN_PROGRESS", "checklist": _checklist(pid, ()), "outcome": "no_hazard"},
            )
    else:
        _complete(
            inspector,
            pid,
            "patrol",
            {
                "site_status": "IN_PROGRESS",
                "checklist": _checklist(pid, ("D02",)),
                "outcome": "rectify",
                "hazard_severity": "GENERAL",
                "hazard_description": "临时用电电线乱拉乱接",
            },
        )
        clock.shift(timedelta(days=3, seconds=1))
        _fire()
        _complete(
            inspector,
            pid,
            "propose_stop_work",
            {
                "reason": "OVERDUE",
                "scope": "WHOLE_SITE",
                "facts": "逾期未整改",
                "imminent": "no",
                "handover": "yes",
                "violation": "OVERDUE",
            },
        )
        _complete(
            common.user("supervisor_lj"),
            pid,
            "approve_stop_work",
            {"approved": "yes", "opinion": "同意停工，移交区综合执法局"},
        )
        enforcer = common.user("enforcer_sm")
        clock.shift(timedelta(hours=4, seconds=1))  # no enforcement case system answered (P-34b)
        _fire()
        _complete(enforcer, pid, "ack_enforcement", {"received": True, "case_no": "思综执〔2026〕123号"})
        _complete(
            enforcer,
            pid,
            "enforcement_decision",
            {
                "case_no": "思综执〔2026〕123号",
                "decision_type": "FINE",
                "fine_amount_yuan": 20000,
                "decided_on": "2026-12-20",
                "next_step": "continue",
            },
        )
        _complete(
            inspector,
            pid,
            "resume_check",
            {"hazard_results": {"H1": "passed"}, "resume": "yes", "note": "隐患已整改，同意复工"},
        )
    _complete(
        owner,
        pid,
        "declare_completion",
        {
            "actual_end": "2027-01-15",
            "scaffold_removed": True,
            "temp_power_removed": True,
            "debris_cleared": True,
            "no_structural_change": True,
        },
    )
    _complete(
        inspector,
        pid,
        "writeoff",
        {"scaffold_removed": True, "temp_power_removed": True, "debris_cleared": True, "outcome": "written_off"},
    )
    from webapp.persistence.models import Project, db

    assert db.session.get(Project, pid).closed_at is not None, "the story did not write the project off"
    return pid


def _complete(user, pid: int, element_id: str, data: dict) -> None:
    from webapp.persistence.models import InboxTask, db
    from webapp.services.lifecycle import instances

    task_id = db.session.scalar(
        select(InboxTask.id).where(InboxTask.project_id == pid, InboxTask.element_id == element_id)
    )
    assert task_id is not None, f"no {element_id} task"
    instances.complete(user, task_id, data)


def _fire() -> None:
    from webapp.services.lifecycle.timers import fire_due_timers

    while fire_due_timers("bench-bytes"):
        pass


def _checklist(pid: int, failed) -> dict:
    from webapp.persistence.models import Project, db
    from webapp.services.ledger import queries
    from webapp.services.lifecycle.instances import checklist_for

    items = checklist_for(queries.project_data(db.session.get(Project, pid)))
    return {i["code"]: ("NOK" if i["code"] in failed else "OK") for i in items}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bytes")
    parser.add_argument("--quick", action="store_true", help="5 projects per path instead of 20")
    results = run(parser.parse_args(argv).quick)
    for path in PATHS:
        r = results[path]
        print(f"{path}: {r['bytes'] / 1024:.1f} KB per project, {r['rows']} table rows")
        for name, size in r["tables"].items():
            print(f"    {name:40s} {size:8,d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
