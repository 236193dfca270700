"""Dashboard server time with 100,000 projects: `python -m bench.dashboard [--quick]`.

Rows are bulk-inserted (no workflows run): projects over four streets in two districts, their ready
tasks (some overdue, some claimed), site visits and rectification steps in the history, and the
notices a project collects (receipt, stop-work, hand-over, write-off). Each case times
GET /api/v1/dashboard through the Flask test client: authentication, every SQL aggregate, JSON.
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select, text

from bench import common
from bench.run import _copy, _stub_instance

USERS = ("city", "admin_sm", "inspector_lj")
SCOPES = {"city": "city", "admin_sm": "district", "inspector_lj": "street"}
STREETS = [("350203", "350203001"), ("350203", "350203002"), ("350206", "350206001"), ("350206", "350206002")]


def run(quick: bool = False) -> dict:
    """Median and p95 server time (ms) of the dashboard per user and backend."""
    logging.disable(logging.WARNING)
    projects, repeat = (20_000, 10) if quick else (100_000, 30)
    work = Path(tempfile.mkdtemp(prefix="xiaosan-bench-dashboard-"))
    postgres = None if quick else common.start_postgres()
    results = {"projects": projects}
    try:
        backends = [("sqlite", f"sqlite:///{work / 'dashboard.db'}")]
        if postgres:
            backends.append(("postgres", postgres.create_database("dashboard")))
        for name, url in backends:
            app = common.make_app(url, work / "instance")
            with app.app_context():
                counts = bulk_rows(projects)
            results[name] = {"rows": counts, **measure(app, repeat)}
            common.dispose(app)
    finally:
        if postgres:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)
    return results


def measure(app, repeat: int) -> dict:
    client = app.test_client()
    out = {}
    for username in USERS:
        token = client.post("/api/v1/auth/token", json={"username": username, "password": "demo12345"}).get_json()[
            "token"
        ]
        headers = {"Authorization": f"Bearer {token}"}

        def call():
            resp = client.get("/api/v1/dashboard", headers=headers)
            assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
            return resp.get_json()

        doc = call()  # warm: a running server has its caches and plans
        samples = [common.timed(call)[0] for _ in range(repeat)]
        out[username] = {
            **{k: round(v, 1) for k, v in common.stats(samples).items() if k != "n"},
            "n": repeat,
            "total": doc["total"]["value"],
            "overdue": doc["overdue"]["total"]["value"],
        }
    return out


def bulk_rows(projects: int) -> dict:
    """Ledger, inbox, history and notice rows written directly; returns the row counts."""
    from webapp.persistence.models import HistoryEvent, InboxTask, Project, User, db
    from webapp.persistence.oversight import Notice

    rng = random.Random(8)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    owner = db.session.scalar(select(User.id).where(User.username == "owner1"))
    inspector = db.session.scalar(select(User.id).where(User.username == "inspector_lj"))
    base = (db.session.scalar(select(text("max(id)")).select_from(Project)) or 0) + 1
    stages = ["registration"] * 5 + ["patrol"] * 35 + ["enforcement"] * 10 + ["writeoff"] * 50
    project_rows, inbox_rows, history_rows, notice_rows = [], [], [], []
    for i in range(projects):
        pid = base + i
        district, street = STREETS[i % 4]
        stage = rng.choice(stages)
        created = now - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        closed = created + timedelta(days=rng.randrange(10, 60)) if stage == "writeoff" else None
        closed = min(closed, now) if closed else None
        lead = i % 10 == 0
        project_rows.append(
            {
                "id": pid,
                "reg_no": f"D-{i:07d}",
                "channel": "lead" if lead else "owner",
                "title": f"店面装修 {i}",
                "object_type": "SMALL_WORKS",
                "category": None if lead and i % 20 == 0 else "FITOUT_NONRESIDENTIAL",
                "address": f"鹭江道 {i} 号",
                "district_code": district,
                "street_code": street,
                "owner_user_id": owner if i % 3 else None,
                "stage": stage,
                "status": f"bench-{stage}",
                "risk_level": rng.choice(["LOW", "MEDIUM", "HIGH"]),
                "planned_start": (created + timedelta(days=3)).date().isoformat(),
                "planned_end": (created + timedelta(days=40)).date().isoformat(),
                "created_at": created,
                "updated_at": closed or created,
                "closed_at": closed,
            }
        )
        if not closed:
            inbox_rows.append(
                {
                    "id": f"00000000-0000-4000-9000-{i:012d}",
                    "project_id": pid,
                    "element_id": "patrol",
                    "title": "日常巡查",
                    "form_key": "patrol",
                    "lane": None,
                    "role": "inspector",
                    "district_code": district,
                    "street_code": street,
                    "community_code": None,
                    "owner_user_id": None,
                    "priority": "normal",
                    "created_at": created,
                    "due_at": now + timedelta(days=rng.randrange(-6, 14)),
                    "claimed_by_id": inspector if i % 7 == 0 and street == "350203001" else None,
                }
            )
        visits = sorted(created + timedelta(days=rng.randrange(0, 60)) for _ in range(rng.randrange(1, 6)))
        visits = [v for v in visits if v <= now]
        history_rows += [_event(pid, at, "patrol") for at in visits]
        project_rows[-1]["last_visit_at"] = visits[-1] if visits else None
        if i % 9 == 0:
            at = now - timedelta(days=rng.randrange(0, 40))
            history_rows.append(_event(pid, at, "set_deadline"))
            history_rows.append(_event(pid, at + timedelta(days=2), "submit_evidence" if i % 4 else "deadline_passed"))
        notice_rows.append(_notice(len(notice_rows) + 1, pid, district, street, "receipt", created, i))
        if i % 25 == 0:
            notice_rows += [
                _notice(len(notice_rows) + 1 + n, pid, district, street, k, now - timedelta(days=i % 30), i)
                for n, k in enumerate(("stop_work", "handover"))
            ]
        if closed:
            notice_rows.append(_notice(len(notice_rows) + 1, pid, district, street, "writeoff", closed, i))
        for row in notice_rows[-3:]:  # the project's planned end as issued (casefile.notices)
            if row["project_id"] == pid:
                row["planned_end"] = project_rows[-1]["planned_end"]
    _copy(Project.__table__, project_rows)
    instance_id = _stub_instance(base)
    _copy(InboxTask.__table__, [dict(r, instance_id=instance_id) for r in inbox_rows])
    _copy(HistoryEvent.__table__, history_rows)
    _copy(Notice.__table__, notice_rows)
    common.fix_sequences()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # The tables as autovacuum keeps them on a running server (visibility map set for index-only
        # scans), and no autovacuum of the fresh rows competing with the timed requests.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return {
        "projects": len(project_rows),
        "inbox": len(inbox_rows),
        "history": len(history_rows),
        "notices": len(notice_rows),
    }


def _event(pid: int, at: datetime, element: str) -> dict:
    return {
        "project_id": pid,
        "at": at,
        "actor_name": "bench",
        "kind": "step",
        "element_id": element,
        "title": element,
        "data_json": None,
    }


def _notice(notice_id, pid, district, street, kind, at, i) -> dict:
    return {
        "id": notice_id,
        "project_id": pid,
        "kind": kind,
        "number": f"B-{kind}-{i:07d}",
        "district_code": district,
        "street_code": street,
        "element_id": None,
        "issued_at": at,
        "data_json": "{}",
        "html": "<p>bench</p>",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard")
    parser.add_argument("--quick", action="store_true", help="20,000 projects, SQLite only")
    args = parser.parse_args(argv)
    results = run(args.quick)
    print(f"dashboard with {results['projects']:,} projects (server time per GET /api/v1/dashboard, ms):")
    for backend in ("sqlite", "postgres"):
        if backend in results:
            print(f"  {backend}: rows {results[backend]['rows']}")
            for username in USERS:
                r = results[backend][username]
                print(
                    f"    {username:13s} median {r['median']:7.1f}  p95 {r['p95']:7.1f}  "
                    f"(total {r['total']:,}, overdue {r['overdue']:,})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
