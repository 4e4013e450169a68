"""A worker process that speaks JSON lines: what the `math` and `reasoning_gym` worker pools share.

The worker is a fresh small interpreter (``python -c BOOT``; never a fork of a large trainer, never
``multiprocessing``) in its own session, so the parent can SIGKILL it and its children at a deadline. `boot_code`
gives it a stub `verifiers` package, so it imports only its own module, not every registered verifier. Only JSON
crosses the pipes: a job is one line to its stdin, a result one line from its stdout. `JsonLinesPool` holds the
workers (started lazily, killed all at once on any failure or at exit); deadlines, pipelining and replacement stay
in each pool's `_run`, because the two pools schedule differently.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
import time

__all__ = ["JsonLinesWorker", "JsonLinesPool", "boot_code", "PACKAGE_DIR"]

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))  # verifiers/


def boot_code(module: str) -> str:
    """`python -c` source that runs `module`'s ``main()`` under a stub `verifiers` package."""
    return "\n".join([
        "import sys, types",
        "package = types.ModuleType('verifiers')",
        f"package.__path__ = [{PACKAGE_DIR!r}]",
        "sys.modules['verifiers'] = package",
        f"from {module} import main",
        "main()",
    ])


class JsonLinesWorker:
    """One worker process: `send` a job, `read_lines` the results available now, `kill` it."""

    def __init__(self, boot: str, args: tuple[str, ...] = ()):
        self.proc = subprocess.Popen([sys.executable, "-c", boot, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True,
                                     start_new_session=True)
        self.fd = self.proc.stdout.fileno()
        self.buf = b""
        self.ready = False
        self.started = time.monotonic()
        self.deadline = 0.0
        self.done = 0
        self.dead = False  # killed or found dead: replaced before the next job

    def send(self, job) -> int:
        """Write one job line; returns its size in bytes."""
        data = (json.dumps(job) + "\n").encode()
        self.proc.stdin.write(data)
        self.proc.stdin.flush()
        return len(data)

    def read_lines(self) -> list:
        """Complete lines available now (decoded JSON). Raises EOFError when the worker has exited."""
        data = os.read(self.fd, 1 << 16)
        if not data:
            raise EOFError("worker exited")
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


class JsonLinesPool:
    """Up to `size` workers made by `_new_worker`; `run` uses the first n (starting them when missing) under one lock,
    and a pool whose run fails in any way (KeyboardInterrupt included) kills every worker, so none is left
    half-used. Subclasses define `_new_worker()` and `_run(jobs, workers)`."""

    def __init__(self, size: int, timeout: float):
        self.size, self.timeout = size, timeout
        self._workers: list = []
        self._lock = threading.Lock()
        atexit.register(self.close)

    def _new_worker(self) -> JsonLinesWorker:
        raise NotImplementedError

    def _run(self, jobs: list, workers: list) -> list:
        raise NotImplementedError

    def run(self, jobs: list, workers: int | None = None) -> list:
        """Results of `jobs` in input order, over at most `workers` (default `size`) worker processes."""
        with self._lock:
            n = max(1, min(workers or self.size, len(jobs) or 1))
            try:
                while len(self._workers) < n:
                    self._workers.append(self._new_worker())
                return self._run(jobs, self._workers[:n])
            except BaseException:  # leave no half-used worker behind, then re-raise
                self._kill_all()
                raise

    def _replace(self, workers: list, i: int) -> JsonLinesWorker:
        """Kill `workers[i]` and put a fresh worker in its place, in `workers` and in the pool."""
        old = workers[i]
        old.kill()
        workers[i] = self._workers[self._workers.index(old)] = self._new_worker()
        return workers[i]

    def _kill_all(self) -> None:
        for w in self._workers:
            w.kill()
        self._workers.clear()

    def close(self) -> None:
        with self._lock:
            self._kill_all()
