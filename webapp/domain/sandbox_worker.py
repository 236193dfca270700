"""One sandbox process: runs process scripts and expressions sent by sandbox_pool, under OS limits.

Started as a file (``python -I sandbox_worker.py MEMORY_MB``), not as ``-m webapp...``, so that it
imports the sandbox module beside it and nothing of the web application: a small process that
starts quickly and holds no database connection, secret or open file.

Why a process at all: a single C-level operation (hashing a tuple that shares itself 2**29 times,
``list(zip(...))`` of huge strings) cannot be interrupted inside the interpreter that runs it. Here
the parent can kill it, and the kernel refuses it memory past RLIMIT_AS.

The framing (a 4-byte length, then a pickle) is shared with the parent, which unpickles the
answers with an allow-list (sandbox_pool), so even an escaped script could not make the parent
build anything but plain data.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys

_HEADER = struct.Struct('>I')
MAX_FRAME = 256 * 1024 * 1024


def write_frame(fd: int, message) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    data = memoryview(_HEADER.pack(len(body)) + body)
    while data:
        data = data[os.write(fd, data) :]


def read_exact(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError('the other side closed the pipe')
        chunks.append(chunk)
        left -= len(chunk)
    return b''.join(chunks)


def _virtual_bytes() -> int:
    with open('/proc/self/status', encoding='ascii') as status:
        for line in status:
            if line.startswith('VmSize:'):
                return int(line.split()[1]) * 1024
    return 0


def _limit_self(memory_mb: int) -> None:
    """OS limits that no script can lift: address space (its imports plus memory_mb), no new
    processes, no file writes, few descriptors."""
    import resource

    try:
        address_space = _virtual_bytes() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    except (OSError, ValueError):
        pass  # not Linux: the parent's watchdog remains
    for limit, value in ((resource.RLIMIT_NPROC, 0), (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_NOFILE, 16)):
        try:
            resource.setrlimit(limit, (value, value))
        except (OSError, ValueError):
            pass


def _cpu_budget(seconds: float) -> None:
    """CPU time for the next run (RLIMIT_CPU counts the process's whole life, so it moves on
    with each run): SIGXCPU ends the process if even the parent's kill did not come."""
    import math
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds) + 2
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))
    except (OSError, ValueError):
        pass


def main(memory_mb: int) -> None:
    # The module beside this file, by its own name (-I leaves the script's folder off sys.path).
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import sandbox

    read_fd, write_fd = sys.stdin.fileno(), sys.stdout.fileno()
    sys.stdout = sys.stderr  # a stray print must not corrupt the protocol
    _limit_self(memory_mb)

    def receive():
        (size,) = _HEADER.unpack(read_exact(read_fd, _HEADER.size))
        return pickle.loads(read_exact(read_fd, size))

    def helper(name):
        def call(*args, **kwargs):
            write_frame(write_fd, ('call', name, args, kwargs))
            _, ok, value = receive()
            if not ok:
                raise sandbox.ScriptRefused(value)
            return value

        return call

    environments: dict = {}
    write_frame(write_fd, ('ready', os.getpid()))
    while True:
        try:
            _, mode, source, context, external, helpers, time_limit = receive()
        except EOFError:
            return  # the parent is gone
        _cpu_budget(time_limit)
        env = environments.get(helpers)
        if env is None:
            env = environments[helpers] = sandbox.SandboxEnvironment(
                {name: helper(name) for name in helpers}, pooled=False
            )
        env.time_limit = time_limit
        try:
            if mode == 'exec':
                env.execute(source, context, external)
                answer: tuple = ('done', None, context)
            else:
                answer = ('done', env.evaluate(source, context, external), context)
        except MemoryError:
            write_frame(
                write_fd,
                (
                    'error',
                    'ScriptRefused',
                    f'script stopped: it needed more than the memory limit of {memory_mb} MB',
                    0,
                    None,
                ),
            )
            return  # a process that ran out of memory is replaced rather than trusted
        except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent
            answer = ('error', type(exc).__name__, str(exc), sandbox.script_line(exc), context)
        try:
            write_frame(write_fd, answer)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # nothing was written yet
            write_frame(write_fd, ('error', 'ScriptRefused', f'the result cannot be stored: {exc}', 0, None))


if __name__ == '__main__':
    main(int(sys.argv[1]))
