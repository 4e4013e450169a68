"""The trusted side of one run: the descriptors the client keeps, the wall clock, the output budget, the kill.

`Run` is created by the client for each run with fresh pipes and memfds. The run's init C gets the write ends (via
the launcher); this side keeps the read ends, a pidfd of C (from the launcher) and the read end of the status pipe
that only the launcher writes to. The wall clock starts when C says it is confined ("R") and is held here:
nothing the candidate does to its own timers matters. `stop` kills C through its pidfd, which kills its whole PID
namespace, then waits for the launcher to reap C and report its exit status, so when a verdict is made nothing of
the run is alive, not even a zombie.
"""

from __future__ import annotations

import os
import select
import signal
import struct
import time

from verifiers._sandbox.limits import Limits

__all__ = ["Run", "RunLost"]

_STDERR_TAIL = 4096
_READY_SECONDS = 30.0  # set-up time of the jail, not the candidate's budget
_REAP_SECONDS = 30.0  # C is dead when this starts; only a wedged launcher can make it run out
_JUDGE_GRACE_SECONDS = 0.5  # after the candidate died: time for the judge to notice and finish its report


class RunLost(Exception):
    """The run's machinery failed (the launcher died, the jail could not be built): not the candidate's fault."""


class Run:
    """The client's handles on one run: read ends of stdout/stderr/ready/status/report pipes and C's pidfd."""

    def __init__(self, limits: Limits, out_r: int, err_r: int, ready_r: int, report_r: int = -1):
        self.limits = limits
        self.out_r, self.err_r, self.ready_r, self.report_r = out_r, err_r, ready_r, report_r
        self.pidfd = self.status_r = -1  # set once the launcher has forked the run
        self.started = time.monotonic()
        self.deadline = self.started + limits.wall_seconds
        self.exit_status: int | None = None
        self.stdout, self.stderr_tail, self.total_out = bytearray(), b"", 0
        self.report = bytearray()
        self.exited = self.output_limit = self.timed_out = self.ended_by_itself = self.died_first = False
        self.report_closed = False  # the judge closed the report pipe (after a report, or dying without one)

    # ------------------------------------------------------------------------------------------- phases
    def wait_ready(self) -> None:
        """Return once C is confined and about to run the code; RunLost with C's reason otherwise."""
        ready, _, _ = select.select([self.ready_r], [], [], _READY_SECONDS)
        data = os.read(self.ready_r, 4096) if ready else b""
        if data[:1] != b"R":
            raise RunLost("could not isolate the run: " + (data[1:].decode(errors="replace") or "the jail did not "
                                                             "start"))
        self.started = time.monotonic()
        self.deadline = self.started + self.limits.wall_seconds

    def watch(self, keep_stdout: bool) -> None:
        """Read output until the run ends by itself (C exited and its output is read; with a judge: the report is
        complete), the deadline passes or the output budget is spent.

        With a judge, a candidate that exits before the report is complete sets `died_first` (the run cannot pass);
        the report is still awaited for a short grace, so the judge, which only notices at its next call, can finish
        cleanly and be reused."""
        open_fds = [self.out_r, self.err_r]
        judged = self.report_r >= 0
        watched = [*open_fds, self.pidfd] + ([self.report_r] if judged else [])
        grace_end = float("inf")
        while True:
            now = time.monotonic()
            if now >= min(self.deadline, grace_end):
                self.timed_out = now >= self.deadline and grace_end == float("inf")
                return
            ready, _, _ = select.select(watched, [], [], min(self.deadline, grace_end) - now)
            for fd in sorted(ready, key=lambda f: f != self.report_r):  # a finished report counts before an exit
                if fd == self.report_r:
                    data = os.read(fd, 1 << 16)
                    if not data:
                        self.report_closed = True
                        return
                    self.report += data
                elif fd in open_fds:
                    if not self._pump(fd, keep_stdout):
                        if self.output_limit:
                            return
                        open_fds.remove(fd)
                        watched.remove(fd)
                elif fd == self.pidfd:
                    self.exited = True
                    watched.remove(fd)
                    if judged:
                        # The judge closes the report before the call channel, so a report that is complete now
                        # was complete before the candidate could see its channel close and exit.
                        if self._read_report_now():
                            return
                        self.died_first = True
                        grace_end = now + _JUDGE_GRACE_SECONDS
            if self.exited and not open_fds and not judged:
                return

    def stop(self) -> None:
        """Kill C (and so its whole PID namespace) unless it already exited; wait until the launcher reaped it."""
        self.ended_by_itself = self.exited or bool(select.select([self.pidfd], [], [], 0)[0])
        if not self.ended_by_itself:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass
        status = bytearray()
        deadline = time.monotonic() + _REAP_SECONDS
        while time.monotonic() < deadline:
            if not select.select([self.status_r], [], [], deadline - time.monotonic())[0]:
                break
            data = os.read(self.status_r, 16)
            if not data:
                break
            status += data
        if len(status) != 4:
            raise RunLost("the sandbox launcher did not report the run's end (it died or is wedged)")
        (self.exit_status,) = struct.unpack("<i", status)
        for fd in (self.out_r, self.err_r):  # every writer is dead: read what is left, up to the budget
            while not self.output_limit and select.select([fd], [], [], 0)[0] and self._pump(fd, True):
                pass
        if self.report_r >= 0:
            self._read_report_now()

    def close(self) -> None:
        for fd in (self.out_r, self.err_r, self.ready_r, self.status_r, self.report_r, self.pidfd):
            if fd >= 0:
                os.close(fd)
        self.out_r = self.err_r = self.ready_r = self.status_r = self.report_r = self.pidfd = -1

    # ------------------------------------------------------------------------------------------- helpers
    def _read_report_now(self) -> bool:
        """Read what the report pipe holds without waiting; True when it reached the end (the report is complete)."""
        while select.select([self.report_r], [], [], 0)[0]:
            data = os.read(self.report_r, 1 << 16)
            if not data:
                self.report_closed = True
                return True
            self.report += data
        return False

    def _pump(self, fd: int, keep_stdout: bool) -> bool:
        """Read what `fd` has; False at EOF or when the output budget is spent (then `output_limit` is set)."""
        data = os.read(fd, 1 << 16)
        if not data:
            return False
        self.total_out += len(data)
        if self.total_out > self.limits.output_bytes:
            self.output_limit = True
            return False
        if fd == self.out_r and keep_stdout:
            self.stdout += data
        elif fd == self.err_r:
            self.stderr_tail = (self.stderr_tail + data)[-_STDERR_TAIL:]
        return True

    def result(self) -> dict:
        return {"exit": self.exit_status, "died": self.ended_by_itself, "died_first": self.died_first,
                "timed_out": self.timed_out,
                "output_limit": self.output_limit, "report_closed": self.report_closed,
                "stderr_tail": self.stderr_tail.decode("utf-8", errors="replace"),
                "seconds": round(time.monotonic() - self.started, 4)}
