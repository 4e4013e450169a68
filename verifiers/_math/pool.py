"""Killable worker processes for the slow path of the `math` verifier.

Each job runs in a worker process started as a fresh small interpreter (``python -c``; never a fork of a large
trainer, never ``multiprocessing``, so a caller's script without a ``__main__`` guard is not re-run). The parent
holds the deadline: a job that overruns has its worker killed (SIGKILL: the only reliable stop for CPU-bound
sympy work) and replaced, and its verdict is ``timeout``. Nothing relies on signals or threads in the process
doing the work, so the limit holds when `run` is called from any thread, any process or inside async code.
A worker that dies mid-job gives status ``error`` with reward None (cannot be scored), never a silent 0.

Only JSON crosses the pipes. Workers are started lazily (several at once, in parallel), retired after
`MAX_JOBS_PER_WORKER` jobs so no state can accumulate, and stopped at `close()` or interpreter exit.
"""

from __future__ import annotations

import selectors
import time

from verifiers._workers import JsonLinesPool, JsonLinesWorker, boot_code

__all__ = ["WorkerPool", "STARTUP_SECONDS"]

STARTUP_SECONDS = 60.0  # generous: a worker imports sympy, which is slow on a loaded machine
MAX_JOBS_PER_WORKER = 500
_BOOT = boot_code("verifiers._math.worker")  # the worker imports only `verifiers._math`, not every verifier


class _Worker(JsonLinesWorker):
    def __init__(self):
        super().__init__(_BOOT)
        self.job: int | None = None  # index of the job in flight


def _failure(job, message: str, status: str = "error") -> list:
    reward = 0.0 if status == "timeout" else None
    if job[0] == "canon":
        return [None]  # no key: the sample does not vote
    return [reward, status, message] if job[0] == "judge" else [message]


class WorkerPool(JsonLinesPool):
    """Runs ("judge", answer, reference) / ("check", reference, "") / ("canon", answer, "") jobs in killable
    workers, in input order."""

    def _new_worker(self) -> _Worker:
        return _Worker()

    def warm(self, n: int) -> None:
        """Start up to `n` workers now without waiting for them (overlaps their start-up with other work)."""
        if self._lock.acquire(blocking=False):
            try:
                while len(self._workers) < n:
                    self._workers.append(self._new_worker())
            finally:
                self._lock.release()

    def _run(self, jobs, workers: list[_Worker]) -> list[list]:
        results: list = [None] * len(jobs)
        queue = list(range(len(jobs)))[::-1]
        sel = selectors.DefaultSelector()
        for w in workers:
            sel.register(w.fd, selectors.EVENT_READ, w)
        try:
            while queue or any(w.job is not None for w in workers):
                self._dispatch(jobs, queue, workers, results)
                now = time.monotonic()
                waits = [w.deadline - now for w in workers if w.job is not None]
                waits += [w.started + STARTUP_SECONDS - now for w in workers if not w.ready]
                for key, _ in sel.select(timeout=max(0.0, min(waits)) if waits else 1.0):
                    self._receive(key.data, jobs, results, queue)
                self._enforce_deadlines(jobs, results, workers)
                for i, w in enumerate(workers):  # replace dead or retired workers in place
                    if w.dead or w.proc.poll() is not None or (w.job is None and w.done >= MAX_JOBS_PER_WORKER):
                        if w.job is not None:
                            results[w.job], w.job = _failure(jobs[w.job], "math worker process died"), None
                        sel.unregister(w.fd)
                        fresh = self._replace(workers, i)
                        sel.register(fresh.fd, selectors.EVENT_READ, fresh)
        finally:
            sel.close()
        return results

    def _dispatch(self, jobs, queue, workers, results) -> None:
        for w in workers:
            if queue and w.ready and w.job is None and not w.dead:
                index = queue.pop()
                try:
                    w.send(jobs[index])
                except OSError:  # the worker died between jobs: it is replaced, the job waits for another
                    queue.append(index)
                    w.dead = True
                    continue
                w.job, w.deadline = index, time.monotonic() + self.timeout

    @staticmethod
    def _receive(w: _Worker, jobs, results, queue) -> None:
        try:
            lines = w.read_lines()
        except (EOFError, OSError, ValueError):
            if not w.ready:
                raise RuntimeError("math verifier worker exited during start-up (is sympy installed?)") from None
            if w.job is not None:
                results[w.job] = _failure(jobs[w.job], "math worker process died")
                w.job = None
            w.dead = True
            return
        for line in lines:
            if not w.ready:
                w.ready = line == "ready"
            elif w.job is not None:
                results[w.job], w.job = line, None
                w.done += 1

    def _enforce_deadlines(self, jobs, results, workers) -> None:
        now = time.monotonic()
        for w in workers:
            if w.job is not None and now >= w.deadline:
                results[w.job] = _failure(jobs[w.job], f"over the {self.timeout:g} s limit", status="timeout")
                w.job = None
                w.dead = True
                w.proc.kill()  # replaced by the caller's loop
            elif not w.ready and now >= w.started + STARTUP_SECONDS:
                w.kill()
                raise RuntimeError(f"math verifier worker did not start within {STARTUP_SECONDS:g} s")
