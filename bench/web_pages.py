"""Server time of the pages people use most (inbox, task page, ledger list) with 10,000 projects.

    python -m bench.web_pages [--quick]

A few hundred projects are started for real (registration, first visit) in four streets; the rest
are bulk copies of them (instance state, inbox rows, timer job and history, task ids fresh), so
task pages of copies work like any other. Requests go through Flask's test client in-process, so
the times are the server's own: routing, session, queries, rendering; no network.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from . import common

PROJECTS = 10_000
# (street, community, share of the projects)
STREETS = (
    ("350203001", "350203001001", 0.4),
    ("350203002", "350203002001", 0.2),
    ("350206001", "350206001001", 0.2),
    ("350206002", "350206002001", 0.2),
)
BUDGET_MS = 200.0


def run(quick: bool = False) -> dict:
    real = 40 if quick else 300
    requests = 20 if quick else 100
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        app = common.make_app(f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp))
        try:
            with app.app_context():
                started = time.perf_counter()
                task_id = _fill(real)
                fill_s = time.perf_counter() - started
            results = _measure(app, task_id, requests)
        finally:
            common.dispose(app)
    results["web_projects"] = PROJECTS
    results["web_real_projects"] = real
    results["web_fill_s"] = round(fill_s, 1)
    _print(results)
    return results


def _fill(real: int) -> str:
    """10,000 projects; returns the id of a first-visit task of a bulk copy in 鹭江 (for the task page)."""
    from webapp.persistence.models import InboxTask, Project, db
    from webapp.services.lifecycle import instances

    inspectors = {"350203001": "inspector_lj", "350203002": "inspector_zh", "350206001": "inspector_hl"}
    owner = common.user("owner1")
    templates = []
    for n in range(real):
        street, community, _share = STREETS[n % len(STREETS)]
        project = instances.register_project(
            owner,
            common.registration(street=street, community=community, title=f"店面装修 {n}", address=f"测试路 {n} 号"),
        )
        if n % 2 and street in inspectors:  # half of them past the first visit, in the patrol cycle
            task = db.session.scalar(
                select(InboxTask).where(InboxTask.project_id == project.id, InboxTask.element_id == "first_visit")
            )
            instances.complete(common.user(inspectors[street]), task.id, common.FIRST_VISIT)
        templates.append((project.id, street))
    remaining = PROJECTS - real
    copies: list[int] = []
    for street, _community, share in STREETS:
        mine = [pid for pid, s in templates if s == street]
        want = int(remaining * share)
        for i, pid in enumerate(mine):
            count = want // len(mine) + (1 if i < want % len(mine) else 0)
            if count:
                copies += common.clone_projects(pid, count)
    _copy_history(templates, copies)
    _spread_dates(copies)
    assert db.session.scalar(select(func.count()).select_from(Project)) >= PROJECTS - len(STREETS)
    lujiang = copies[:200]
    return db.session.scalar(
        select(InboxTask.id).where(InboxTask.project_id.in_(lujiang), InboxTask.element_id == "first_visit").limit(1)
    )


def _copy_history(templates, copies) -> None:
    """Each copy gets its template's history (clone_projects copies state and projections only)."""
    from webapp.persistence.models import HistoryEvent, Project, db

    by_reg = {}
    for pid, _street in templates:
        rows = [
            dict(r._mapping)
            for r in db.session.execute(select(HistoryEvent.__table__).where(HistoryEvent.project_id == pid))
        ]
        by_reg[pid] = rows
    # A copy keeps its template's fields; find the template by identical title.
    title_of = dict(
        db.session.execute(select(Project.id, Project.title).where(Project.id.in_([p for p, _ in templates]))).all()
    )
    template_by_title = {title: pid for pid, title in title_of.items()}
    batch = []
    for pid, title in db.session.execute(select(Project.id, Project.title).where(Project.id.in_(copies))):
        for row in by_reg[template_by_title[title]]:
            batch.append(dict(row, id=None, project_id=pid, task_id=None))
        if len(batch) >= 2000:
            db.session.execute(
                insert(HistoryEvent.__table__), [{k: v for k, v in r.items() if k != "id"} for r in batch]
            )
            batch = []
    if batch:
        db.session.execute(insert(HistoryEvent.__table__), [{k: v for k, v in r.items() if k != "id"} for r in batch])
    db.session.commit()


def _spread_dates(copies) -> None:
    """Copies carry their template's timestamps; spread them so ordering by date means something."""
    from datetime import timedelta

    from sqlalchemy import update

    from webapp.persistence.models import InboxTask, Project, db

    base = db.session.scalar(select(func.min(Project.created_at)))
    for i, pid in enumerate(copies):
        if i % 7 == 0:  # a sample is enough to mix the order without 10,000 updates
            moment = base - timedelta(hours=i % 2000)
            db.session.execute(update(Project).where(Project.id == pid).values(updated_at=moment, created_at=moment))
            db.session.execute(update(InboxTask).where(InboxTask.project_id == pid).values(due_at=moment))
    db.session.commit()


def _login(client, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": username, "password": "demo12345", "csrf_token": token})
    assert resp.status_code == 302, resp.status_code


def _time(client, url: str, n: int, expect: str | None = None) -> list[float]:
    samples = []
    for i in range(n + 2):
        start = time.perf_counter()
        resp = client.get(url)
        body = resp.get_data()
        elapsed = (time.perf_counter() - start) * 1000
        assert resp.status_code == 200, (url, resp.status_code)
        if expect:
            assert expect.encode() in body, (url, expect)
        if i >= 2:  # the first two warm caches (templates, parsed process version)
            samples.append(elapsed)
    return samples


def _measure(app, task_id: str, n: int) -> dict:
    from webapp.services.ledger import queries

    out = {}
    inspector = app.test_client()
    _login(inspector, "inspector_lj")
    with app.app_context():
        user = common.user("inspector_lj")
        out["web_inbox_tasks_inspector_lj"] = queries.inbox(user, per_page=1).total
        out["web_ledger_projects_inspector_lj"] = queries.ledger(user, per_page=1).total
    pages = {
        "web_inbox": ("/inbox", "data-testid=\"tasklist\""),
        "web_inbox_page5_overdue": ("/inbox?page=5&overdue=1", None),
        "web_task": (f"/tasks/{task_id}", "task-form"),
        "web_ledger": ("/ledger", "data-testid=\"ledger\""),
        "web_ledger_search": ("/ledger?text=测试路 12&stage=patrol", None),
    }
    for key, (url, expect) in pages.items():
        _record(out, key, _time(inspector, url, n, expect))
    city = app.test_client()
    _login(city, "city")
    _record(out, "web_ledger_city", _time(city, "/ledger", n, "data-testid=\"ledger\""))
    start = time.perf_counter()
    resp = city.get("/ledger/export.xlsx")
    body = resp.get_data()  # the export is streamed: it is written while it is read
    out["web_export_city_all_ms"] = round((time.perf_counter() - start) * 1000, 1)
    out["web_export_city_bytes"] = len(body)
    out["web_export_city_rows"] = int(resp.headers.get("X-Export-Rows", 0))
    return out


def _record(out: dict, key: str, samples: list[float]) -> None:
    s = common.stats(samples)
    out[f"{key}_ms_median"] = round(s["median"], 2)
    out[f"{key}_ms_p95"] = round(s["p95"], 2)


def _print(results: dict) -> None:
    print(
        f"web pages, {results['web_projects']} projects ({results['web_real_projects']} started for real), "
        f"server time via the test client:"
    )
    for key in sorted(k for k in results if k.endswith("_ms_median")):
        name = key[: -len("_ms_median")]
        p95 = results[f"{name}_ms_p95"]
        flag = "ok" if p95 < BUDGET_MS else "OVER BUDGET"
        print(f"  {name:28s} median {results[key]:7.1f} ms   p95 {p95:7.1f} ms   [{flag}]")
    print(
        f"  inspector_lj sees {results['web_inbox_tasks_inspector_lj']} tasks, "
        f"{results['web_ledger_projects_inspector_lj']} projects; "
        f"city export of all projects: {results['web_export_city_all_ms']} ms, {results['web_export_city_bytes']} bytes"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web_pages")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    results = run(quick=args.quick)
    print(json.dumps(results, ensure_ascii=False, indent=1))
    return 0 if all(results[k] < BUDGET_MS for k in results if k.endswith("_ms_p95")) else 1


if __name__ == "__main__":
    raise SystemExit(main())
