"""A small pool of sandbox processes per server process, with a watchdog that kills a runaway.

The interpreter cannot stop a single C-level operation it is inside of, so code that could run
one (scripts, and expressions beyond plain comparisons: see sandbox.runs_inline) is sent to a
sandbox_worker process. The caller waits on the pipe with a deadline (the time limit plus a
grace for the worker's own, friendlier watchdog); past it the process is killed and replaced,
and the caller gets ScriptRefused naming the limit. The worker's memory is capped by RLIMIT_AS.
Waiting on a pipe releases the GIL, so the server's other threads answer meanwhile.

Helpers the code calls (``rule(name, default)``) run here, in the caller, on the worker's
request: they read the database, which the worker cannot reach.
"""

from __future__ import annotations

import atexit
import io
import os
import pickle
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from .sandbox_worker import _HEADER, MAX_FRAME, write_frame

WORKER_FILE = Path(__file__).with_name('sandbox_worker.py')
GRACE_SECONDS = 0.5  # past the time limit, before the process is killed
START_SECONDS = 20.0
_settings = {'processes': 2, 'memory_mb': 256}
_WORKER_ENV = {'PATH': os.defpath, 'LANG': 'C.UTF-8'}


def configure(processes: int | None = None, memory_mb: int | None = None) -> None:
    """Pool size per server process and memory per sandbox process (config SANDBOX_*)."""
    if processes:
        _settings['processes'] = max(1, int(processes))
    if memory_mb:
        _settings['memory_mb'] = max(32, int(memory_mb))


def memory_limit_mb() -> int:
    return _settings['memory_mb']


class SandboxStopped(Exception):
    """The sandbox process was stopped (time or memory limit) or failed; str() says which."""


class _Died(Exception):
    pass


class _Unpickler(pickle.Unpickler):
    """Plain data only: the answer of a process that runs untrusted code."""

    _ALLOWED = {
        ('builtins', 'set'),
        ('builtins', 'frozenset'),
        ('datetime', 'datetime'),
        ('datetime', 'date'),
        ('datetime', 'time'),
        ('datetime', 'timedelta'),
        ('datetime', 'timezone'),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f'{module}.{name} is not plain data')


class _Process:
    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, '-I', '-B', str(WORKER_FILE), str(_settings['memory_mb'])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            start_new_session=True,
            env=_WORKER_ENV,
        )  # not the server's: no DATABASE_URL, no SECRET_KEY
        self.write_fd, self.read_fd = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        self.alive = True
        try:
            ready = self.receive(time.monotonic() + START_SECONDS)[0] == 'ready'
        except (TimeoutError, _Died):
            ready = False
        if not ready:
            self.kill()
            raise SandboxStopped('the sandbox process did not start')

    def send(self, message) -> None:
        try:
            write_frame(self.write_fd, message)
        except OSError as exc:
            raise _Died(str(exc)) from exc

    def receive(self, deadline: float):
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if size > MAX_FRAME:
            raise _Died('the sandbox process answered too much')
        try:
            return _Unpickler(io.BytesIO(self._read(size, deadline))).load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
            raise _Died(f'the sandbox process answered with unexpected data: {exc}') from exc

    def _read(self, size: int, deadline: float) -> bytes:
        chunks, left = [], size
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.read_fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(self.read_fd, min(left, 1 << 20))
            if not chunk:
                raise _Died('the sandbox process ended')
            chunks.append(chunk)
            left -= len(chunk)
        return b''.join(chunks)

    def kill(self) -> None:
        self.alive = False
        try:
            self.proc.kill()
        except OSError:
            pass
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


class _Pool:
    def __init__(self):
        self.pid = os.getpid()
        self.idle: list[_Process] = []
        self.busy = 0
        self.changed = threading.Condition()

    def acquire(self) -> _Process:
        with self.changed:
            while not self.idle and self.busy >= _settings['processes']:
                self.changed.wait()
            self.busy += 1
            if self.idle:
                return self.idle.pop()
        try:
            return _Process()  # started outside the lock: other callers keep going meanwhile
        except BaseException:
            self.release(None)
            raise

    def release(self, process: _Process | None) -> None:
        with self.changed:
            self.busy -= 1
            if process is not None and process.alive:
                self.idle.append(process)
            self.changed.notify()

    def close(self) -> None:
        with self.changed:
            idle, self.idle = self.idle, []
        for process in idle:
            process.kill()


_pool: _Pool | None = None
_pool_lock = threading.Lock()


def _current() -> _Pool:
    """This process's pool; a forked child starts its own (the parent's pipes are not its own)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = _Pool()
        return _pool


@atexit.register
def _close() -> None:
    if _pool is not None and _pool.pid == os.getpid():
        _pool.close()


def run(mode: str, source: str, context: dict, external: dict, helpers: dict, time_limit: float):
    """Run code in a sandbox process; returns ('done', result, context) or ('error', type name,
    message, line, context). Raises SandboxStopped when the process had to be stopped."""
    pool = _current()
    process = pool.acquire()
    try:
        process.send(('run', mode, source, context, external, tuple(sorted(helpers)), time_limit))
        deadline = time.monotonic() + time_limit + GRACE_SECONDS
        while True:
            message = process.receive(deadline)
            if message[0] != 'call':
                break
            process.send(_call_helper(helpers, message))
        if message[0] == 'error' and message[1] == 'ScriptRefused' and 'memory limit' in message[2]:
            process.kill()  # it ends itself after a MemoryError; do not wait for it to be reused
        return message
    except TimeoutError:
        process.kill()
        raise SandboxStopped(f'script stopped: it ran longer than the limit of {time_limit:g} s') from None
    except _Died as exc:
        process.kill()
        raise SandboxStopped(
            f'script stopped: the sandbox process ended ({exc}); its memory limit is '
            f'{_settings["memory_mb"]} MB and its time limit {time_limit:g} s'
        ) from None
    finally:
        pool.release(process)


def _call_helper(helpers: dict, message):
    _, name, args, kwargs = message
    try:
        return ('reply', True, helpers[name](*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - the script sees the helper's failure as its own
        return ('reply', False, f'{name}(): {exc}')
