"""The client's pool of judge processes (see `judge.py`): a few long-lived, jailed judges reused across runs.

A judge is taken for one function-style run and given back afterwards; it is given back only when the run ended
with a complete report (anything else: it is killed), at most `keep` judges wait idle (the rest are killed on
return), and each judges at most `RUNS_PER_JUDGE` runs, so memory a test leaves behind cannot accumulate. Killing
a judge waits for the launcher to reap it, so a judge that is not in the pool is gone, not a zombie.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import threading
from collections.abc import Callable

from verifiers._sandbox.limits import Limits

__all__ = ["Judge", "JudgePool", "RUNS_PER_JUDGE"]

RUNS_PER_JUDGE = 64
_REAP_SECONDS = 10.0


class Judge:
    """The client's handles on one judge: its control socket, a pidfd and the launcher's status pipe."""

    def __init__(self, ctl: socket.socket, pidfd: int, status_r: int, limits: Limits):
        self.ctl, self.pidfd, self.status_r, self.limits = ctl, pidfd, status_r, limits
        self.runs = 0

    def send(self, fds: list[int]) -> None:
        """Hand the judge one run (OSError when it is gone)."""
        self.runs += 1
        socket.send_fds(self.ctl, [b"T"], fds)

    def kill(self) -> None:
        """Kill the judge and wait until the launcher reaped it (or reported nothing: the launcher is gone)."""
        self.signal()
        self.wait()

    def signal(self) -> None:
        try:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.ctl.close()

    def wait(self) -> None:
        if select.select([self.status_r], [], [], _REAP_SECONDS)[0]:
            while os.read(self.status_r, 16) and select.select([self.status_r], [], [], _REAP_SECONDS)[0]:
                pass
        os.close(self.pidfd)
        os.close(self.status_r)


class JudgePool:
    """Idle judges, per limits. `spawn(limits)` makes a new judge; thread-safe."""

    def __init__(self, spawn: Callable[[Limits], Judge], keep: int):
        self._spawn, self.keep = spawn, keep
        self._idle: list[Judge] = []
        self._lock = threading.Lock()

    def fill(self, limits: Limits) -> None:
        """Start judges until `keep` wait idle (done once at start, so later batches do not add processes)."""
        while True:
            with self._lock:
                if len(self._idle) >= self.keep:
                    return
            judge = self._spawn(limits)
            with self._lock:
                self._idle.append(judge)

    def take(self, limits: Limits) -> Judge:
        stale = []
        with self._lock:
            judge = None
            while self._idle and judge is None:
                candidate = self._idle.pop()
                if candidate.limits == limits:
                    judge = candidate
                else:
                    stale.append(candidate)
        for old in stale:
            old.kill()
        return judge if judge is not None else self._spawn(limits)

    def give_back(self, judge: Judge, healthy: bool) -> None:
        if healthy and judge.runs < RUNS_PER_JUDGE:
            with self._lock:
                if len(self._idle) < self.keep:
                    self._idle.append(judge)
                    return
        judge.kill()

    def pids(self) -> list[int]:
        """Process ids of the idle judges (for tests and soak checks: they are infrastructure, not a run)."""
        with self._lock:
            fds = [j.pidfd for j in self._idle]
        out = []
        for fd in fds:
            try:
                with open(f"/proc/self/fdinfo/{fd}") as fh:
                    out += [int(line.split()[1]) for line in fh if line.startswith("Pid:")]
            except OSError:
                pass
        return out

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for judge in idle:  # all at once, then wait for each
            judge.signal()
        for judge in idle:
            judge.wait()
