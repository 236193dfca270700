"""A throwaway PostgreSQL cluster from the local binaries, for the test suite and the benchmarks.

initdb + pg_ctl in a fresh directory, listening on 127.0.0.1 at a free port, trust auth (the
cluster lives for one test session or one benchmark run and holds nothing of value). PostgreSQL
refuses to run as root, so as root the binaries run as the `postgres` user (or `nobody`) through
runuser, in a directory that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


def find_bin_dir() -> Path | None:
    configured = os.environ.get("PG_BIN")
    candidates = [configured] if configured else []
    candidates += list(BIN_DIRS)
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


class LocalPostgres:
    """`start()` → a superuser URL base; `create_database(name, template)`; `stop()` removes everything."""

    def __init__(self, bin_dir: Path, settings: dict[str, str] | None = None):
        self.bin_dir = bin_dir
        self.settings = settings or {}
        self.user = _run_as()
        self.base = Path(tempfile.mkdtemp(prefix="xiaosan-pg-"))
        self.data = self.base / "data"
        self.port = _free_port()
        self.started = False

    def _cmd(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, cwd=self.base)

    def start(self) -> LocalPostgres:
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        os.chmod(self.base, 0o755)
        try:
            self._cmd(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"initdb failed: {exc.stderr or exc.stdout}") from exc
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.base),
            "max_connections": "200",
        }
        options.update(self.settings)
        with open(self.data / "postgresql.auto.conf", "a") as conf:
            for key, value in options.items():
                conf.write(f"{key} = '{value}'\n")
        # The free port is only free when chosen: a parallel test worker or benchmark may take it
        # before the server binds it. Then the server stops at once, and another port is tried.
        for attempt in range(3):
            try:
                self._cmd(
                    "pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"), "-w", "-t", "60", "start"
                )
                break
            except subprocess.CalledProcessError as exc:
                log = self._log()
                if attempt < 2 and "could not bind" in log:
                    self.port = _free_port()
                    with open(self.data / "postgresql.auto.conf", "a") as conf:
                        conf.write(f"port = '{self.port}'\n")  # the last setting wins
                    continue
                raise RuntimeError(f"pg_ctl start failed: {exc.stderr or exc.stdout}\n{log}") from exc
        self.started = True
        return self

    def _log(self) -> str:
        path = self.base / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, the server is back when this returns."""
        self._cmd(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.base / "server.log"),
            "-m",
            "fast",
            "-w",
            "-t",
            "60",
            "restart",
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE DATABASE cannot run inside one)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)

    def create_database(self, name: str, template: str | None = None) -> str:
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def stop(self) -> None:
        if self.started:
            self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
            self.started = False
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
