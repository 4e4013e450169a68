"""The supervisor: one trusted process per submission, forked by the launcher, that runs it in a fresh jail.

Process tree of one run (all forked, none exec'd; the launcher is a small interpreter, never the trainer)::

    supervisor S (root, host namespaces, subreaper; holds the deadline, reads the output)
    ├── P1   unshare(mnt, net, ipc, uts, pid) -- keeps the namespaces alive, waits for I
    │   └── I   pid 1 of the new PID namespace: builds the read-only root, forks C, exits when C exits
    │       └── C   the candidate, fresh uid, rlimits, no privileges; its descendants die with I
    └── J   the judge (function mode only): joins the jail's namespaces under another fresh uid

The candidate is forked before S reads the tests or the nonce, so they are not even in its memory. Stopping a run
kills P1; I has P1 as parent-death signal, and when a PID namespace's init dies the kernel kills every process in
it (``setsid`` escapees included). S reaps all its children (it is their subreaper) before it reports, so nothing
of the run is alive when the verdict is made. S holds the wall clock itself and never trusts the child's timers.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import socket
import time

from verifiers._sandbox import child, jail, judge, wire
from verifiers._sandbox.limits import Limits

__all__ = ["serve"]

_ISOLATION_FAILED = 125
_STDERR_TAIL = 4096


class _Run:
    """One jailed candidate process (P1 -> I -> C) and the pipes S reads."""

    def __init__(self, code: str, mode: str, limits: Limits, binds: list[str], root: str, stdin_data: bytes = b""):
        self.limits, self.uid = limits, jail.fresh_uid()
        self.started = time.monotonic()
        self.deadline = self.started + limits.wall_seconds
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        ready_r, ready_w = os.pipe()
        req_r, req_w = os.pipe() if mode == "function" else (-1, -1)
        rep_r, rep_w = os.pipe() if mode == "function" else (-1, -1)
        self.p1 = os.fork()
        if self.p1 == 0:
            for fd in (out_r, err_r, ready_r, req_w, rep_r):
                if fd >= 0:
                    os.close(fd)
            _p1_main(code, mode, limits, binds, root, self.uid, stdin_data, out_w, err_w, ready_w, req_r, rep_w)
        for fd in (out_w, err_w, ready_w, req_r, rep_w):
            if fd >= 0:
                os.close(fd)
        self.out_r, self.err_r, self.ready_r = out_r, err_r, ready_r
        self.judge_fds = (req_w, rep_r)
        self.pidfd = os.pidfd_open(self.p1)
        self.exit_status: int | None = None
        self.stdout, self.stderr_tail, self.total_out = bytearray(), b"", 0
        self.output_limit = self.timed_out = False

    def wait_ready(self) -> str | None:
        """None once the jail is built and the candidate started; else the reason it could not be."""
        left = self.deadline - time.monotonic() + 10.0  # jail set-up does not eat the candidate's budget
        ready, _, _ = select.select([self.ready_r], [], [], max(0.0, left))
        data = os.read(self.ready_r, 4096) if ready else b""
        os.close(self.ready_r)
        if data[:1] == b"R":
            self.deadline = time.monotonic() + self.limits.wall_seconds
            return None
        return data[1:].decode(errors="replace") or "jail did not start"

    def pump(self, fd: int, keep_stdout: bool) -> bool:
        """Read what `fd` has; False at EOF. Stops the run when the output budget is spent."""
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

    def poll_exit(self) -> bool:
        if self.exit_status is None:
            pid, status = os.waitpid(self.p1, os.WNOHANG)
            if pid:
                self.exit_status = os.waitstatus_to_exitcode(status)
        return self.exit_status is not None

    def stop(self, *others: int) -> None:
        """Kill the whole run (and `others`, e.g. the judge), then reap every child so nothing survives."""
        for pid in (self.p1, *others):
            try:
                if pid != self.p1 or self.exit_status is None:
                    os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            if pid == self.p1 and self.exit_status is None:
                self.exit_status = os.waitstatus_to_exitcode(status)
        for fd in (self.out_r, self.err_r, self.pidfd, *self.judge_fds):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def result(self) -> dict:
        return {"exit": self.exit_status, "timed_out": self.timed_out, "output_limit": self.output_limit,
                "stderr_tail": self.stderr_tail.decode("utf-8", errors="replace"),
                "seconds": round(time.monotonic() - self.started, 4)}


def _p1_main(code, mode, limits, binds, root, uid, stdin_data, out_w, err_w, ready_w, req_r, rep_w) -> None:
    try:
        jail.set_parent_death_signal()
        jail.enter_new_namespaces()
        pid = os.fork()
        if pid == 0:
            _init_main(code, mode, limits, binds, root, uid, stdin_data, out_w, err_w, ready_w, req_r, rep_w)
        for fd in (out_w, err_w, ready_w, req_r, rep_w):
            if fd >= 0:
                os.close(fd)
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    except BaseException as err:  # noqa: BLE001 - report and stop; the run is marked as not isolated
        _fail(ready_w, err)


def _fail(ready_w: int, err: BaseException) -> None:
    try:
        os.write(ready_w, b"E" + f"{type(err).__name__}: {err}".encode()[:4000])
    finally:
        os._exit(_ISOLATION_FAILED)


def _init_main(code, mode, limits, binds, root, uid, stdin_data, out_w, err_w, ready_w, req_r, rep_w) -> None:
    """Pid 1 of the run's namespace: build the jail, start the candidate, exit with its status."""
    try:
        jail.set_parent_death_signal()  # P1 gone -> this init gone -> the kernel kills the whole namespace
        jail.build_root(root, binds, limits.tmp_bytes, uid)
        jail.enter_root(root)
        pid = os.fork()
        if pid == 0:
            _candidate_main(code, mode, limits, uid, stdin_data, out_w, err_w, ready_w, req_r, rep_w)
    except BaseException as err:  # noqa: BLE001
        _fail(ready_w, err)
    for fd in (out_w, err_w, req_r, rep_w, ready_w):  # the candidate itself reports "R" once confined
        if fd >= 0:
            os.close(fd)
    while True:  # pid 1 reaps orphans until the candidate itself exits
        reaped, status = os.wait()
        if reaped == pid:
            code_ = os.waitstatus_to_exitcode(status)
            os._exit(128 - code_ if code_ < 0 else min(code_, 127))


def _candidate_main(code, mode, limits, uid, stdin_data, out_w, err_w, ready_w, req_r, rep_w) -> None:
    """Confine this process, say "R" on the ready pipe (only a confined candidate can), close it, run the code."""
    try:
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        if stdin_data:
            stdin_fd = os.memfd_create("stdin")
            os.write(stdin_fd, stdin_data)
            os.lseek(stdin_fd, 0, os.SEEK_SET)
        else:
            stdin_fd = os.open("/dev/null", os.O_RDONLY)
        fds = (stdin_fd, out_w, err_w, req_r, rep_w)
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) if fd >= 0 else -1 for fd in fds]  # above the dup2 targets
        os.dup2(high[1], 1)
        os.dup2(high[2], 2)
        keep = ()
        if mode == "function":
            os.dup2(high[3], 3)
            os.dup2(high[4], 4)
            keep = (3, 4)
        os.dup2(high[0], 0)
        jail.confine(uid, limits.cpu_seconds, limits.memory_bytes, limits.file_bytes, limits.processes,
                     limits.open_files)
        os.write(ready_w, b"R")
        child.reset_process_state(0, keep)  # closes every other descriptor, the ready pipe included
    except BaseException as err:  # noqa: BLE001 - never run the candidate half-confined
        _fail(ready_w, err)
    if mode == "function":
        child.run_function_server(code, 3, 4)
    child.run_program(code)


def _judge_main(run: _Run, root: str, test: str, entry_point: str, nonce: str, report_w: int) -> None:
    try:
        jail.set_parent_death_signal()
        baseline = jail.vm_size()  # read before joining: the jail's /proc does not show this process
        jail.join_namespaces_of(run.p1)
        jail.enter_root(root, cwd="/")
        req_w, rep_r = run.judge_fds
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.dup2(req_w, 3)
        os.dup2(rep_r, 4)
        os.dup2(report_w, 5)
        os.closerange(6, 1 << 16)
        jail.confine(jail.fresh_uid(), run.limits.cpu_seconds + 1, run.limits.memory_bytes, 1 << 20,
                     run.limits.processes, 64, baseline)
    except BaseException:  # noqa: BLE001 - no report means the run is an infrastructure failure
        os._exit(_ISOLATION_FAILED)
    judge.run_judge(test, entry_point, 3, 4, 5, nonce, run.limits.output_bytes)


def _abort_requested(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False


def _watch(run: _Run, sock: socket.socket, keep_stdout: bool, report_r: int = -1) -> tuple[bytes | None, bool]:
    """Read output until the run ends (exit + EOF, or the judge's report), times out or floods.

    Returns (judge report bytes or None, aborted by the client)."""
    open_fds = {run.out_r, run.err_r}
    report = bytearray()
    watched = [run.out_r, run.err_r, sock.fileno(), run.pidfd] + ([report_r] if report_r >= 0 else [])
    while True:
        now = time.monotonic()
        if now >= run.deadline:
            run.timed_out = True
            return None, False
        ready, _, _ = select.select(watched, [], [], run.deadline - now)
        for fd in ready:
            if fd in open_fds and not run.pump(fd, keep_stdout):
                if run.output_limit:
                    return None, False
                open_fds.discard(fd)
                watched.remove(fd)
            elif fd == sock.fileno() and _abort_requested(sock):
                return None, True
            elif fd == run.pidfd:
                run.poll_exit()
                watched.remove(fd)
            elif fd == report_r:
                data = os.read(report_r, 1 << 16)
                if not data:
                    return bytes(report), False
                report += data
        if report_r < 0 and not open_fds and run.exit_status is not None:
            return None, False


def _serve_function(sock: socket.socket, code: str, limits: Limits, binds: list[str], root: str) -> None:
    run = _Run(code, "function", limits, binds, root)  # forked before the tests exist in this process
    header, test = wire.read_frame(sock.fileno())
    problem = run.wait_ready()
    if problem is not None:
        run.stop()
        wire.write_frame(sock.fileno(), {"infra": f"could not isolate the run: {problem}"})
        return
    report_r, report_w = os.pipe()
    jpid = os.fork()
    if jpid == 0:
        os.close(report_r)
        _judge_main(run, root, test.decode(), header["entry_point"], header["nonce"], report_w)
    os.close(report_w)
    for fd in run.judge_fds:
        os.close(fd)
    run.judge_fds = ()
    report, aborted = _watch(run, sock, keep_stdout=False, report_r=report_r)
    if report is not None and not run.timed_out:  # give a dying candidate a moment to be reaped with its status
        select.select([run.pidfd], [], [], 0.2 if b'"died":true' in report else 0)
        run.poll_exit()
    run.stop(jpid)
    os.close(report_r)
    if not aborted:
        wire.write_frame(sock.fileno(), {**run.result(), "report": (report or b"").decode(errors="replace")})


def _serve_program(sock: socket.socket, code: str, limits: Limits, binds: list[str], root: str) -> None:
    while True:
        header, stdin_data = wire.read_frame(sock.fileno(), max_body=1 << 30)
        if header.get("stop"):
            return
        run = _Run(code, "program", limits, binds, root, stdin_data)
        problem = run.wait_ready()
        if problem is not None:
            run.stop()
            wire.write_frame(sock.fileno(), {"infra": f"could not isolate the run: {problem}"})
            return
        _, aborted = _watch(run, sock, keep_stdout=True)
        run.stop()
        if aborted:
            return
        wire.write_frame(sock.fileno(), run.result(), bytes(run.stdout))


def serve(sock: socket.socket, binds: list[str], root: str) -> None:
    """Entry point of a freshly forked supervisor: run one submission for the client on `sock`. Never returns."""
    status = 0
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the launcher's reaper must not steal our children
        jail.set_parent_death_signal()
        jail.set_child_subreaper()
        header, code = wire.read_frame(sock.fileno(), max_body=1 << 26)
        limits = Limits(**header["limits"])
        serve_mode = _serve_function if header["mode"] == "function" else _serve_program
        serve_mode(sock, code.decode("utf-8", errors="replace"), limits, binds, root)
    except (wire.WireError, OSError, KeyError, ValueError):
        status = 1  # the client sees the channel close without a result: an infrastructure failure
    finally:
        os._exit(status)
