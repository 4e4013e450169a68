"""Killable worker processes that run reasoning-gym's scorers for the `reasoning_gym` verifier.

A scorer is third-party code: it may hang, raise, print or exit. Each job runs in a worker process started as a
fresh small interpreter (``python -c``, never a fork of the trainer, never ``multiprocessing``); the parent holds
the deadline, and a worker past it is killed (SIGKILL) and replaced. Workers import reasoning-gym once (slow: about
2 s), answer jobs one line at a time, and are retired after `MAX_JOBS_PER_WORKER` jobs.

Workers import the modules named in `plugins` after reasoning-gym (a package that registers its own datasets).
Wire format (JSON lines): job ``["score", answer, dataset, entry]`` -> ``{"score": float}`` or
``{"error": text}`` or ``{"unknown": dataset}``; job ``["names"]`` -> ``{"names": [...]}``. The worker writes only
to a private duplicate of its stdout: whatever a scorer prints goes to stderr (discarded), never into the protocol.
`run` returns one result dict per job in input order; a job over the limit gives ``{"timeout": seconds}``, a worker
that died mid-job ``{"died": text}``.
"""

from __future__ import annotations

import json
import os
import selectors
import sys
import time
from collections import deque

from verifiers._workers import JsonLinesPool, JsonLinesWorker, boot_code

__all__ = ["ScorerPool", "STARTUP_SECONDS", "main"]

STARTUP_SECONDS = 120.0  # importing reasoning-gym takes seconds, more on a loaded machine
MAX_JOBS_PER_WORKER = 100_000  # retiring costs a new worker's import (seconds): rare, scorers keep no state
PIPELINE_BYTES = 16384  # queued job bytes per worker: well under a pipe's 64 KiB, so writes never block
_BOOT = boot_code("verifiers._rg_pool")  # the worker imports this module only, not every verifier


def main() -> None:  # pragma: no cover - runs in the worker process (exercised by every verifier test)
    out = os.fdopen(os.dup(1), "w", buffering=1)  # the protocol channel
    os.dup2(2, 1)  # fd 1 -> stderr: prints by a scorer (Python or C) cannot corrupt the protocol
    sys.stdout = sys.stderr
    sys.set_int_max_str_digits(0)
    try:
        import importlib

        from reasoning_gym.factory import DATASETS, get_score_answer_fn

        for module in sys.argv[1:]:  # plug-ins that register their own datasets
            importlib.import_module(module)
    except Exception as err:  # noqa: BLE001 - reported to the parent as a start-up failure
        out.write(json.dumps(f"import failed: {type(err).__name__}: {err}") + "\n")
        return
    out.write(json.dumps("ready") + "\n")
    scorers: dict = {}
    for line in sys.stdin:
        job = json.loads(line)
        if job[0] == "names":
            out.write(json.dumps({"names": sorted(DATASETS)}) + "\n")
            continue
        _, answer, name, entry = job
        if name not in DATASETS:
            out.write(json.dumps({"unknown": name}) + "\n")
            continue
        try:
            if name not in scorers:
                scorers[name] = get_score_answer_fn(name)
            score = scorers[name](answer, entry)
            reply = {"score": float(score)} if isinstance(score, (int, float)) and not isinstance(score, bool) \
                else {"error": f"scorer returned {type(score).__name__} {str(score)[:80]!r}, not a number"}
        except BaseException as err:  # noqa: BLE001 - SystemExit and all: a scorer failure is the job's error
            reply = {"error": f"scorer raised {type(err).__name__}: {str(err)[:200]}"}
        out.write(json.dumps(reply) + "\n")


class _Worker(JsonLinesWorker):
    def __init__(self, plugins: tuple[str, ...] = ()):
        super().__init__(_BOOT, plugins)
        self.inflight: deque[tuple[int, int]] = deque()  # (job index, bytes sent), in the order sent
        # self.deadline is that of the job at the head of `inflight` (the one the worker is running)


class ScorerPool(JsonLinesPool):
    """Runs jobs in up to `size` killable workers, each job within `timeout` seconds; results in input order.

    Jobs are pipelined: a worker holds up to `PIPELINE_BYTES` of queued jobs, so a batch costs one round trip per
    batch rather than per job. The worker runs them in order, so the job at the head of its queue is the one
    running; its deadline starts when the previous result arrives. A timeout or a death is charged to that head
    job alone; the jobs queued behind it never ran and go back to the queue for a fresh worker. `run` raises
    RuntimeError when no worker can start (reasoning-gym missing or broken).
    """

    def __init__(self, size: int, timeout: float, plugins: tuple[str, ...] = ()):
        self.plugins = tuple(plugins)
        super().__init__(size, timeout)

    def _new_worker(self) -> _Worker:
        return _Worker(self.plugins)

    def _run(self, jobs, workers: list[_Worker]) -> list[dict]:
        results: list = [None] * len(jobs)
        queue = list(range(len(jobs)))[::-1]  # pop() takes the next job
        sel = selectors.DefaultSelector()
        for w in workers:
            sel.register(w.fd, selectors.EVENT_READ, w)
        try:
            while queue or any(w.inflight for w in workers):
                for w in workers:
                    self._dispatch(w, jobs, queue)
                now = time.monotonic()
                waits = [w.deadline - now for w in workers if w.inflight]
                waits += [w.started + STARTUP_SECONDS - now for w in workers if not w.ready]
                for key, _ in sel.select(timeout=max(0.0, min(waits)) if waits else 1.0):
                    self._receive(key.data, results)
                self._enforce_deadlines(results, workers, queue)
                for i, w in enumerate(workers):  # replace dead or retired workers in place
                    if w.dead or w.proc.poll() is not None or (not w.inflight and w.done >= MAX_JOBS_PER_WORKER):
                        self._charge_head(w, results, queue, {"died": "scorer worker process died"})
                        sel.unregister(w.fd)
                        fresh = self._replace(workers, i)
                        sel.register(fresh.fd, selectors.EVENT_READ, fresh)
        finally:
            sel.close()
        return results

    def _dispatch(self, w: _Worker, jobs, queue) -> None:
        if not w.ready or w.dead:
            return
        pending = sum(size for _, size in w.inflight)
        while queue and (not w.inflight or pending < PIPELINE_BYTES) and \
                w.done + len(w.inflight) < MAX_JOBS_PER_WORKER:
            index = queue.pop()
            try:
                size = w.send(jobs[index])
            except OSError:  # died: replaced by the caller's loop, the job waits for another worker
                queue.append(index)
                w.dead = True
                return
            if not w.inflight:
                w.deadline = time.monotonic() + self.timeout
            w.inflight.append((index, size))
            pending += size

    @staticmethod
    def _charge_head(w: _Worker, results, queue, failure: dict) -> None:
        """The head job gets `failure`; the jobs queued behind it (never run) go back to the queue."""
        if w.inflight:
            results[w.inflight.popleft()[0]] = failure
        queue.extend(index for index, _ in reversed(w.inflight))
        w.inflight.clear()

    def _receive(self, w: _Worker, results) -> None:
        try:
            lines = w.read_lines()
        except (EOFError, OSError, ValueError):
            if not w.ready:
                raise RuntimeError("reasoning-gym scorer worker exited during start-up") from None
            w.dead = True  # the caller's loop charges the head job and requeues the rest
            return
        for line in lines:
            if not w.ready:
                if line != "ready":
                    raise RuntimeError(f"reasoning-gym scorer worker could not start: {line}")
                w.ready = True
            elif w.inflight:
                results[w.inflight.popleft()[0]] = line
                w.done += 1
                w.deadline = time.monotonic() + self.timeout  # the next job starts now

    def _enforce_deadlines(self, results, workers, queue) -> None:
        now = time.monotonic()
        for w in workers:
            if w.inflight and now >= w.deadline and not w.dead:
                self._charge_head(w, results, queue, {"timeout": self.timeout})
                w.dead = True  # killed here, replaced by the caller's loop
                w.proc.kill()
            elif not w.ready and now >= w.started + STARTUP_SECONDS:
                w.kill()
                raise RuntimeError(f"reasoning-gym scorer worker did not start within {STARTUP_SECONDS:g} s")
