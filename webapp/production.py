"""The production shape on one host: gunicorn with N web workers plus M timer worker processes.

Every process talks to DATABASE_URL and to nothing else, so the same command on several hosts
against one PostgreSQL is the multi-host deployment: the database is the only coordination point.
The schema is upgraded once, before any worker starts. A child that dies is started again, the
others untouched (a timer worker's crash must not take the web tier down); only a child that
keeps dying (RESTARTS_ALLOWED times within RESTART_WINDOW seconds) stops the set, with a non-zero
exit, for a process supervisor (systemd, a container runtime) to look at. SIGTERM or Ctrl-C stops
everything.

gunicorn loads the application before it opens the port (--preload), so a connection is taken
only when a worker can answer it; `GET /readyz` tells an orchestrator whether this instance can
serve (the database reachable) as against `GET /healthz`, which also checks the database but is
what people probe by habit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def serve(workers: int, timer_workers: int, bind: str, demo: bool = False, sample_projects: bool = False) -> int:
    os.environ.setdefault("XIAOSAN_ENV", "production")
    from . import create_app
    from .cli import prepare

    try:
        app = create_app()
    except RuntimeError as exc:  # e.g. no SECRET_KEY in production
        print(f"refusing to start: {exc}", file=sys.stderr)
        return 2
    prepare(app, demo=demo, sample_projects=sample_projects)
    with app.app_context():
        from .persistence.models import db

        db.engine.dispose()  # no connection crosses the fork into the children

    commands = [
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            bind,
            "--preload",
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--graceful-timeout",
            "20",
            "--access-logfile",
            "-",
            "webapp.wsgi:app",
        ]
    ]
    commands += [[sys.executable, "-m", "webapp.cli", "worker"] for _ in range(timer_workers)]
    print(f"serving on http://{bind} with {workers} web worker(s) and {timer_workers} timer worker(s)", flush=True)
    stopping = {"now": False}

    def stop(*_):
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return supervise(commands, lambda: stopping["now"])


def supervise(commands: list[list[str]], stopping) -> int:
    """Run the commands until `stopping()`, starting again each one that dies; 0, or the exit
    code of a child that kept dying (after which the others are stopped too)."""
    children = [_Child(command) for command in commands]
    code = 0
    while not stopping() and not code:
        for child in children:
            if child.process.poll() is None:
                continue
            print(f"process {child.name} exited ({child.process.returncode})", flush=True)
            if not child.restart():
                code = child.process.returncode or 1
                print(f"process {child.name} keeps dying; stopping the rest", flush=True)
                break
            print(f"process {child.name} started again", flush=True)
        time.sleep(0.2)
    for child in children:
        if child.process.poll() is None:
            child.process.terminate()
    for child in children:
        try:
            child.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.process.kill()
    return code


RESTARTS_ALLOWED = 5
RESTART_WINDOW = 60.0


class _Child:
    """One child process, started again when it dies unless it died too often lately."""

    def __init__(self, command: list[str]):
        self.command = command
        self.name = " ".join(command[2:4])
        self.deaths: list[float] = []
        self.process = subprocess.Popen(command)

    def restart(self) -> bool:
        now = time.monotonic()
        self.deaths = [t for t in self.deaths if now - t < RESTART_WINDOW] + [now]
        if len(self.deaths) > RESTARTS_ALLOWED:
            return False
        self.process = subprocess.Popen(self.command)
        return True
