"""Commands: `python -m webapp.cli run | worker | init | serve-prod`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import time

import click

log = logging.getLogger(__name__)
# Waits of a timer worker that lost the database: short at first (a restart takes about a
# second), doubling to at most a few seconds.
DB_BACKOFF_FIRST = 0.1
DB_BACKOFF_MAX = 2.0
HOUSEKEEPING_SECONDS = 600  # between two sweeps for orphaned uploads
DUTY_SECONDS = 2.0  # at most between two notification rounds while timers keep the worker busy


def prepare(app, demo: bool = True, sample_projects: bool = False) -> None:
    """Create or upgrade the schema, deploy processes/ if changed, load the demo data (unless demo=False)
    and, with `sample_projects` on a database without projects, drive the demo's sample projects
    through the process (never in the tests' template database: tests start without projects)."""
    from .persistence.schema import upgrade_to_head
    from .services.designer.versions import sync_shipped
    from .services.organisation.demo import load_demo
    from .services.organisation.sample_projects import load_sample_projects

    with app.app_context():
        upgrade_to_head()
        version, created = sync_shipped(app.config["PROCESSES_DIR"])
        label = f"{version.process_id} v{version.version}"
        added = load_demo() if demo else 0
        samples = load_sample_projects() if demo and sample_projects else 0
    print(
        f"database ready; process {label}"
        f"{' (new)' if created else ''}; demo rows added: {added}"
        f"{f'; sample projects added: {samples}' if sample_projects else ''}",
        flush=True,
    )


def run_worker(app, poll: float | None = None, once: bool = False) -> None:
    """Fire due timers until SIGTERM. Busy: claim the next batch at once. Idle: sleep until the
    next job can be claimed, at most `poll` seconds (a job written meanwhile is seen by then).
    The database going away (a restart, a failover) is logged and waited out with a short
    backoff: the worker reconnects instead of dying, and fires what fell due meanwhile."""
    from sqlalchemy.exc import DBAPIError

    from .persistence.models import db
    from .services.lifecycle.timers import fire_due_timers, seconds_until_next_due
    from .services.notifications.worker import work as notification_work
    from .services.participation.public import remove_orphaned_photos

    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    poll = poll if poll is not None else app.config["TIMER_POLL_SECONDS"]
    batch, lock = app.config["TIMER_BATCH"], app.config["TIMER_LOCK_SECONDS"]
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    print(f"timer worker {worker_id} polling every {poll}s, batch {batch}, lock {lock}s", flush=True)
    failures, housekeeping_at, duties_at = 0, time.monotonic(), 0.0
    while not stop["now"]:
        try:
            with app.app_context():
                if time.monotonic() >= housekeeping_at:
                    remove_orphaned_photos()
                    housekeeping_at = time.monotonic() + HOUSEKEEPING_SECONDS
                fired = fire_due_timers(worker_id, limit=batch, lock_seconds=lock)
                # Timers first: while they keep falling due, the reminder scan and the outbox wait
                # up to DUTY_SECONDS between rounds (reminders are about hours, a message can wait
                # a second), so a burst of timers is not slowed by a scan after every batch.
                if once or not fired or time.monotonic() >= duties_at:
                    fired += _guarded(notification_work, worker_id)
                    duties_at = time.monotonic() + DUTY_SECONDS
                until = None if fired else seconds_until_next_due()
        except DBAPIError as exc:
            failures += 1
            pause = min(DB_BACKOFF_MAX, DB_BACKOFF_FIRST * 2 ** (failures - 1))
            log.warning(
                "timer worker %s: database unavailable (%s); retrying in %.1f s",
                worker_id,
                str(exc).splitlines()[0][:200],
                pause,
            )
            with app.app_context():
                db.engine.dispose()  # the pool's connections died with the server
            time.sleep(pause)
            continue
        if failures:
            log.warning("timer worker %s: database reachable again", worker_id)
            failures = 0
        if once:
            return
        if not fired:
            time.sleep(poll if until is None else min(poll, max(0.005, until)))


def _guarded(duty, worker_id: str) -> int:
    """A side duty of the worker (reminders, the outbox): its failure is logged, never stops the
    timers; what it did not finish is still in the database for the next round. The database
    going away is the loop's to wait out, as for the timers."""
    from sqlalchemy.exc import DBAPIError

    from .persistence.models import db

    try:
        return duty(worker_id)
    except DBAPIError:
        raise
    except Exception:
        db.session.rollback()
        log.exception("worker duty %s failed", duty.__name__)
        return 0


def register_commands(app) -> None:
    @app.cli.command("init")
    def init_cmd():
        """Create the schema, sync processes/, load demo data."""
        prepare(app)

    @app.cli.command("worker")
    @click.option("--poll", type=float, default=None)
    def worker_cmd(poll):
        """Run a timer worker until SIGTERM/Ctrl-C."""
        run_worker(app, poll)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webapp.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="prepare, then serve the web app with one timer worker")
    run.add_argument(
        "--sample-projects",
        action="store_true",
        help="on a database without projects, drive sample projects through the process",
    )
    sub.add_parser("init", help="create/upgrade the database, sync processes/, load demo data")
    worker = sub.add_parser("worker", help="run one timer worker")
    worker.add_argument("--poll", type=float, default=None)
    prod = sub.add_parser("serve-prod", help="production: upgrade, then gunicorn + timer workers on DATABASE_URL")
    prod.add_argument("--workers", type=int, default=4, help="gunicorn web workers")
    prod.add_argument("--timer-workers", type=int, default=2, help="timer worker processes")
    prod.add_argument("--bind", default=os.environ.get("BIND", "0.0.0.0:8000"))
    prod.add_argument("--demo", action="store_true", help="also load the demo users (never on a real deployment)")
    prod.add_argument("--sample-projects", action="store_true", help="with --demo: also the sample projects")
    args = parser.parse_args(argv)
    if args.command == "serve-prod":
        from .production import serve

        if args.sample_projects and not args.demo:
            parser.error("--sample-projects needs --demo")
        return serve(args.workers, args.timer_workers, args.bind, demo=args.demo, sample_projects=args.sample_projects)

    from . import create_app

    app = create_app()
    if args.command == "init":
        prepare(app)
        return 0
    if args.command == "worker":
        try:
            run_worker(app, args.poll)
        except KeyboardInterrupt:
            pass
        return 0
    prepare(app, sample_projects=args.sample_projects)
    worker = subprocess.Popen([sys.executable, "-m", "webapp.cli", "worker"])
    port = int(os.environ.get("PORT", "5000"))
    try:
        from werkzeug.serving import run_simple

        print(f"serving on http://127.0.0.1:{port}", flush=True)
        run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
