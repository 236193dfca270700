"""The production shape on one host: gunicorn with N web workers plus M timer worker processes.

Every process talks to DATABASE_URL and to nothing else, so the same command on several hosts
against one PostgreSQL is the multi-host deployment: the database is the only coordination point.
The schema is upgraded once, before any worker starts. If any child dies, the rest are stopped
and the command exits non-zero, so a process supervisor (systemd, a container runtime) restarts
the set; SIGTERM or Ctrl-C stops everything.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def serve(workers: int, timer_workers: int, bind: str, demo: bool = False) -> int:
    os.environ.setdefault("XIAOSAN_ENV", "production")
    from . import create_app
    from .cli import prepare

    try:
        app = create_app()
    except RuntimeError as exc:  # e.g. no SECRET_KEY in production
        print(f"refusing to start: {exc}", file=sys.stderr)
        return 2
    prepare(app, demo=demo)
    with app.app_context():
        from .persistence.models import db

        db.engine.dispose()  # no connection crosses the fork into the children

    children = [subprocess.Popen([
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", bind,
        "--worker-class", "sync", "--timeout", "60", "--graceful-timeout", "20",
        "--access-logfile", "-", "webapp.wsgi:app"])]
    children += [subprocess.Popen([sys.executable, "-m", "webapp.cli", "worker"]) for _ in range(timer_workers)]
    print(f"serving on http://{bind} with {workers} web worker(s) and {timer_workers} timer worker(s)", flush=True)

    stopping = {"now": False}

    def stop(*_):
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    while not stopping["now"]:
        dead = [child for child in children if child.poll() is not None]
        if dead:
            code = dead[0].returncode or 1
            print(f"process {dead[0].args[2:4]} exited ({dead[0].returncode}); stopping the rest", flush=True)
            break
        time.sleep(0.5)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
    return code
