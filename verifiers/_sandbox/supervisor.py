"""The supervisor: one trusted process per run, forked by the launcher, that builds a fresh jail and watches it.

Process tree of one run (forked, never exec'd; the launcher is a small interpreter, never the trainer)::

    supervisor S (root; new mount/net/ipc/uts namespaces; holds the deadline, reads the output)
    ├── C   the candidate: pid 1 of a new PID namespace, fresh uid, rlimits, no privileges
    │   └── ... anything C starts stays in C's PID namespace
    └── J   the judge (function mode only): same jail, another fresh uid, runs the tests

S unshares the namespaces, which copies the launcher's read-only jail root (`jail.build_base`) into S's own private
mount namespace, and mounts the run's private ``/tmp`` and ``/dev/shm`` there (`jail.build_run`); C,
forked right after, mounts its ``/proc`` and chroots. The candidate is forked before S reads the tests and the
nonce, so they are not even in its memory. Stopping a run kills C: when the init of a PID namespace dies the
kernel kills every process in it (``setsid``/double-fork escapees and the judge included). S reaps all its
children before it reports, so nothing of the run is alive when the verdict is made; its private mounts (the
jail's ``/tmp`` included) vanish when S exits. S holds the wall clock; the candidate's timers are never trusted.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import time

from verifiers._sandbox import child, jail, judge, wire
from verifiers._sandbox.limits import Limits

__all__ = ["serve"]

_STDERR_TAIL = 4096


class _Run:
    """The jailed candidate process C, the pipes S reads, and what S saw."""

    def __init__(self, code: str, mode: str, limits: Limits, root: str, uid: int, stdin_data: bytes = b""):
        self.limits = limits
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        ready_r, ready_w = os.pipe()
        req_r, req_w = os.pipe() if mode == "function" else (-1, -1)
        rep_r, rep_w = os.pipe() if mode == "function" else (-1, -1)
        self.pid = os.fork()
        if self.pid == 0:
            for fd in (out_r, err_r, ready_r, req_w, rep_r):
                if fd >= 0:
                    os.close(fd)
            _candidate_main(code, mode, limits, root, uid, stdin_data, out_w, err_w, ready_w, req_r, rep_w)
        for fd in (out_w, err_w, ready_w, req_r, rep_w):
            if fd >= 0:
                os.close(fd)
        self.out_r, self.err_r, self.ready_r = out_r, err_r, ready_r
        self.judge_fds = (req_w, rep_r)
        self.pidfd = os.pidfd_open(self.pid)
        self.started = time.monotonic()
        self.deadline = self.started + limits.wall_seconds
        self.exit_status: int | None = None
        self.stdout, self.stderr_tail, self.total_out = bytearray(), b"", 0
        self.output_limit = self.timed_out = self.ended_by_itself = False

    def wait_ready(self) -> str | None:
        """None once the candidate is confined and about to run; else why it is not."""
        ready, _, _ = select.select([self.ready_r], [], [], 30.0)  # set-up time is not the candidate's budget
        data = os.read(self.ready_r, 4096) if ready else b""
        os.close(self.ready_r)
        if data[:1] == b"R":
            self.started = time.monotonic()
            self.deadline = self.started + self.limits.wall_seconds
            return None
        return data[1:].decode(errors="replace") or "the jail did not start"

    def pump(self, fd: int, keep_stdout: bool) -> bool:
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

    def poll_exit(self) -> bool:
        if self.exit_status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_status = os.waitstatus_to_exitcode(status)
        return self.exit_status is not None

    def stop(self) -> None:
        """Kill the PID namespace (C is its init), then reap every child of S, so nothing of the run survives."""
        self.ended_by_itself = self.exit_status is not None
        if self.exit_status is None:
            os.kill(self.pid, signal.SIGKILL)  # C is not reaped yet, so its pid cannot have been reused
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            if pid == self.pid and self.exit_status is None:
                self.exit_status = os.waitstatus_to_exitcode(status)
        for fd in (self.out_r, self.err_r):  # every writer is dead: read what is left, up to the budget
            while not self.output_limit and select.select([fd], [], [], 0)[0] and self.pump(fd, True):
                pass
        for fd in (self.out_r, self.err_r, self.pidfd, *self.judge_fds):
            if fd >= 0:
                os.close(fd)
        self.judge_fds = ()

    def result(self) -> dict:
        return {"exit": self.exit_status, "died": self.ended_by_itself, "timed_out": self.timed_out,
                "output_limit": self.output_limit,
                "stderr_tail": self.stderr_tail.decode("utf-8", errors="replace"),
                "seconds": round(time.monotonic() - self.started, 4)}


def _fail(ready_w: int, err: BaseException) -> None:
    try:
        os.write(ready_w, b"E" + f"{type(err).__name__}: {err}".encode()[:4000])
    finally:
        os._exit(125)


def _candidate_main(code, mode, limits, root, uid, stdin_data, out_w, err_w, ready_w, req_r, rep_w) -> None:
    """In C (pid 1 of the new PID namespace, still root): finish the jail, confine, say "R", run the code."""
    try:
        jail.set_parent_death_signal()  # S gone -> C gone -> the whole namespace gone
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        jail.mount_proc(root)
        jail.enter_root(root)
        if stdin_data:
            stdin_fd = os.memfd_create("stdin")
            os.write(stdin_fd, stdin_data)
            os.lseek(stdin_fd, 0, os.SEEK_SET)
        else:
            stdin_fd = os.open("/dev/null", os.O_RDONLY)
        fds = (stdin_fd, out_w, err_w, req_r, rep_w)
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) if fd >= 0 else -1 for fd in fds]  # above the dup2 targets
        for target, index in ((0, 0), (1, 1), (2, 2)) + (((3, 3), (4, 4)) if mode == "function" else ()):
            os.dup2(high[index], target)
        jail.confine(uid, limits.cpu_seconds, limits.memory_bytes, limits.file_bytes, limits.processes,
                     limits.open_files)
        os.write(ready_w, b"R")  # only a confined candidate can say this; the pipe is closed just below
        child.reset_process_state(0, (3, 4) if mode == "function" else ())
    except BaseException as err:  # noqa: BLE001 - never run the candidate half-confined
        _fail(ready_w, err)
    if mode == "function":
        child.run_function_server(code, 3, 4)
    child.run_program(code)


def _judge_main(run: _Run, root: str, test: str, entry_point: str, nonce: str, report_w: int) -> None:
    try:
        jail.set_parent_death_signal()
        baseline = jail.vm_size()
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
    except BaseException:  # noqa: BLE001 - no report: the run cannot pass
        os._exit(125)
    judge.run_judge(test, entry_point, 3, 4, 5, nonce, run.limits.output_bytes)


def _abort_requested(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False


def _watch(run: _Run, sock: socket.socket, keep_stdout: bool, report_r: int = -1) -> tuple[bytes | None, bool]:
    """Read output until the run ends (exit + EOF, or the judge's report), times out or floods.

    Returns (the judge's report, or None; whether the client went away)."""
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
                if report_r >= 0:  # the candidate is gone, and the judge with it (same PID namespace)
                    return None, False
            elif fd == report_r:
                data = os.read(report_r, 1 << 16)
                if not data:
                    return (bytes(report) or None), False
                report += data
        if report_r < 0 and not open_fds and run.exit_status is not None:
            return None, False


def _is_report(data: bytes | None) -> bool:
    try:
        return isinstance(json.loads(data), dict) if data else False
    except ValueError:
        return False


def _run_function(sock, code: str, limits: Limits, root: str, uid: int) -> dict:
    run = _Run(code, "function", limits, root, uid)  # forked before the tests exist in this process
    header, test = wire.read_frame(sock.fileno())
    problem = run.wait_ready()
    if problem is not None:
        run.stop()
        return {"infra": f"could not isolate the run: {problem}"}
    report_r, report_w = os.pipe()
    try:
        judge_pid = os.fork()
    except OSError:  # the candidate (init of the PID namespace) already died: no process can join it
        judge_pid = -1
    if judge_pid == 0:
        os.close(report_r)
        _judge_main(run, root, test.decode(), header["entry_point"], header["nonce"], report_w)
    os.close(report_w)
    for fd in run.judge_fds:
        os.close(fd)
    run.judge_fds = ()
    report, aborted = _watch(run, sock, keep_stdout=False, report_r=report_r) if judge_pid > 0 else (None, False)
    if not _is_report(report) and not run.timed_out and not run.output_limit and not aborted:
        # No report: did the candidate die and take the judge along? The judge closed its pipe, so it is exiting;
        # reap it first, because the namespace's init (the candidate) cannot finish exiting before that.
        if judge_pid > 0:
            os.waitpid(judge_pid, 0)
        select.select([run.pidfd], [], [], 0.5)
        run.poll_exit()
    run.stop()
    os.close(report_r)
    return {} if aborted else {**run.result(), "report": (report or b"").decode(errors="replace")}


def _run_program(sock, code: str, limits: Limits, root: str, uid: int) -> tuple[dict, bytes]:
    _, stdin_data = wire.read_frame(sock.fileno(), max_body=1 << 30)
    run = _Run(code, "program", limits, root, uid, stdin_data)
    problem = run.wait_ready()
    if problem is not None:
        run.stop()
        return {"infra": f"could not isolate the run: {problem}"}, b""
    _, aborted = _watch(run, sock, keep_stdout=True)
    run.stop()
    return ({} if aborted else run.result()), bytes(run.stdout)


def serve(sock: socket.socket, root: str) -> None:
    """Entry point of a freshly forked supervisor: one run for the client on `sock`. Never returns."""
    status = 0
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the launcher's reaper must not steal our children
        jail.set_parent_death_signal()
        header, code = wire.read_frame(sock.fileno(), max_body=1 << 26)
        limits = Limits(**header["limits"])
        uid = jail.fresh_uid()
        try:
            jail.enter_new_namespaces()
            jail.build_run(root, limits.tmp_bytes, uid)
        except (jail.IsolationError, OSError) as err:
            wire.write_frame(sock.fileno(), {"infra": f"could not isolate the run: {err}"})
            return
        text = code.decode("utf-8", errors="replace")
        if header["mode"] == "function":
            result, body = _run_function(sock, text, limits, root, uid), b""
        else:
            result, body = _run_program(sock, text, limits, root, uid)
        if result:
            wire.write_frame(sock.fileno(), result, body)
    except (wire.WireError, OSError, KeyError, ValueError):
        status = 1  # the client sees the channel close without a result: an infrastructure failure
    finally:
        os._exit(status)
