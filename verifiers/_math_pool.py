"""Killable worker processes for the slow path of the `math` verifier.

Each job runs in a worker process (started with ``spawn`` from a small interpreter, never a fork of a large
trainer). The parent holds the deadline: a job that overruns has its worker killed and replaced, and its verdict
is ``timeout``. This works from any thread, any process and inside async code, because nothing relies on signals
in the process doing the work. A worker that dies gives status ``error`` with reward None (cannot be scored),
never a silent 0. Workers are started lazily and stopped at exit or `close()`.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import threading
import time
from multiprocessing.connection import wait

__all__ = ["WorkerPool"]

_STARTUP_SECONDS = 60.0


def _serve(conn) -> None:  # runs in the worker process
    import sys

    sys.set_int_max_str_digits(0)  # big integers are legitimate answers; this process only compares
    sys.setrecursionlimit(10_000)
    from verifiers._math_compare import check_reference, judge

    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        kind, a, b = job
        try:
            result = judge(a, b) if kind == "judge" else (check_reference(a),)
        except RecursionError:
            result = (0.0, "wrong", "expression too deeply nested") if kind == "judge" else ("too deeply nested",)
        except Exception as err:  # noqa: BLE001 - reported as an internal error, never as a 0 or 1
            result = (None, "error", f"internal error: {type(err).__name__}: {err}") if kind == "judge" else (
                f"internal error: {type(err).__name__}",)
        conn.send(result)


class _Worker:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        if not self.conn.poll(_STARTUP_SECONDS) or self.conn.recv() != "ready":
            self.kill()
            raise RuntimeError("math verifier worker failed to start")

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=5)
        self.conn.close()


class WorkerPool:
    def __init__(self, size: int, timeout: float):
        self.size, self.timeout = size, timeout
        self._ctx = mp.get_context("spawn")
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        atexit.register(self.close)

    def run(self, jobs: list[tuple[str, str, str]], workers: int | None = None) -> list[tuple]:
        """Run ("judge", answer, reference) / ("check", reference, "") jobs; results in input order."""
        with self._lock:
            return self._run(jobs, max(1, min(workers or self.size, len(jobs) or 1)))

    def _run(self, jobs, n_workers):
        results: list = [None] * len(jobs)
        queue = list(range(len(jobs)))[::-1]
        busy: dict = {}  # conn -> (worker, job index, deadline)
        while queue or busy:
            while queue and len(busy) < n_workers:
                worker = self._idle.pop() if self._idle else _Worker(self._ctx)
                index = queue.pop()
                worker.conn.send(jobs[index])
                busy[worker.conn] = (worker, index, time.monotonic() + self.timeout)
            next_deadline = min(d for _, _, d in busy.values())
            ready = wait(list(busy), timeout=max(0.0, next_deadline - time.monotonic()))
            for conn in ready:
                worker, index, _ = busy.pop(conn)
                try:
                    results[index] = conn.recv()
                    self._idle.append(worker)
                except (EOFError, OSError):
                    worker.kill()
                    results[index] = (None, "error", "worker process died") if jobs[index][0] == "judge" else (
                        "worker process died",)
            now = time.monotonic()
            for conn, (worker, index, deadline) in list(busy.items()):
                if now >= deadline:
                    busy.pop(conn)
                    worker.kill()  # the only reliable stop for CPU-bound sympy work
                    results[index] = (0.0, "timeout", f"over the {self.timeout:g} s limit") \
                        if jobs[index][0] == "judge" else (f"reference took over {self.timeout:g} s to parse",)
        return results

    def close(self) -> None:
        with self._lock:
            for worker in self._idle:
                worker.kill()
            self._idle.clear()
