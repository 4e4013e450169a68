"""The trusted side of the sandbox: starts the launcher, hands it runs, watches them and collects raw results.

`Sandbox` is thread-safe: `verify_batch` drives several runs at once from a thread pool. For each run this process
makes fresh pipes and memfds, passes the run's ends to the launcher (which forks the run's init with them and
answers with a pidfd) and watches the run itself (`watch.Run`): the wall clock, the output budget and the expected
outputs never leave this process. The tests and the nonce of a function-style run go into a memfd that only a
judge (`judges.JudgePool`) reads, together with the judge's ends of the call channel. Anything that goes wrong
between here and the run raises `InfraError`, which the verifier turns into reward None / status ``infra`` (masked
and counted, never a 0).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading

from verifiers._sandbox import boot, wire
from verifiers._sandbox.boot import isolation_mode
from verifiers._sandbox.judges import Judge, JudgePool
from verifiers._sandbox.limits import Limits, fresh_uid
from verifiers._sandbox.watch import Run, RunLost

__all__ = ["Sandbox", "SandboxUnavailable", "InfraError", "isolation_mode"]

_START_SECONDS = 60.0
_REPLY_SECONDS = 30.0  # the launcher answers a fork request in milliseconds; only a wedged one is slower


class SandboxUnavailable(RuntimeError, ValueError):
    """Isolation cannot be set up on this machine; code is never run unprotected instead.

    The message is one line: what the kernel refused and how to enable it. Also a ValueError, the type the CLI
    prints as one line (exit status 2): the machine's set-up is for the user to fix, not a bug."""


class InfraError(Exception):
    """The sandbox machinery failed for one run (not the candidate's fault)."""


class Sandbox:
    """A launcher process plus the means to run submissions in fresh jails. Start is lazy; `close` is idempotent.

    `judges` judges are started with the launcher (for `limits`) and kept idle between function-style runs."""

    def __init__(self, judges: int = 2, limits: Limits | None = None):
        self._lock = threading.Lock()
        self._limits = limits or Limits()
        self._judges = JudgePool(self._spawn_judge, judges)
        self._proc: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._root: str | None = None
        self._launcher_pid: int | None = None
        self._pending: socket.socket | None = None  # the control socket of a launcher not yet known to be ready
        self._launched = False  # the first launcher may be one `boot.prestart` started early
        self.mode = isolation_mode()
        self.restarts = 0
        atexit.register(self.close)

    # ------------------------------------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Have a running launcher (started now, or by `launch`, waited for here) and its idle judges."""
        with self._lock:
            if self._control is not None and self._proc is not None and self._proc.poll() is None:
                return
            self._start_locked()
        self._judges.fill(self._limits)  # once per launcher: later batches do not add processes

    def launch(self) -> None:
        """Start the launcher without waiting for it to be ready (`start` waits): its interpreter starts, imports
        and builds the jail while the caller does other work. No-op when one is running or starting."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._spawn_locked()

    def _start_locked(self) -> None:
        if self._pending is None or self._proc is None or self._proc.poll() is not None:
            self._spawn_locked()
        self._await_locked()

    def _spawn_locked(self) -> None:
        if not sys.platform.startswith("linux"):
            raise SandboxUnavailable("the code sandbox needs Linux namespaces; refusing to run code unprotected")
        if self._proc is not None:
            self.restarts += 1  # the launcher died (or was killed): counted, and replaced
        self._judges.close()  # judges die with their launcher
        self._stop_locked()
        pending = (None if self._launched else boot.take_early(self.mode)) or boot.spawn(self.mode)
        self._launched = True
        self._proc, self._pending, self._root, self._log = pending.proc, pending.control, pending.root, pending.log

    def _await_locked(self) -> None:
        """Wait for the launcher's first message: ready (and its pid), or why it cannot isolate (then raise)."""
        ours, self._pending = self._pending, None
        ours.settimeout(_START_SECONDS)
        hello = b""
        try:
            while len(hello) < 10 and not hello.startswith(b"E"):
                got = ours.recv(4096)
                if not got:
                    break
                hello += got
            if hello.startswith(b"E"):
                hello += _read_to_end(ours)
        except OSError:
            pass
        if hello[:2] != b"ok" or len(hello) != 10:
            ours.close()
            self._log.seek(0)
            err = self._log.read().decode(errors="replace")[-2000:]
            self._stop_locked(kill=True)
            if hello.startswith(b"E"):
                raise SandboxUnavailable(hello[1:].decode(errors="replace"))
            raise SandboxUnavailable(f"the sandbox launcher failed to start: {' '.join(err.split())[-500:]}")
        self._launcher_pid = struct.unpack("<q", hello[2:])[0]
        ours.settimeout(_REPLY_SECONDS)
        self._control = ours

    def close(self) -> None:
        self._judges.close()
        with self._lock:
            self._stop_locked()

    def _stop_locked(self, kill: bool = False) -> None:
        if self._pending is not None:
            self._pending.close()
            self._pending = None
        if self._control is not None:
            self._control.close()  # the launcher exits on EOF; its runs follow by parent-death signal
            self._control = None
        if self._proc is not None:
            if kill:
                self._proc.kill()  # it failed a request: it may be wedged, do not wait for it to notice the EOF
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._log.close()
            self._proc = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def launcher_pid(self) -> int | None:
        """The process that forks the runs (in userns mode a child of the one this client started)."""
        return self._launcher_pid if self._control is not None else None

    def judge_pids(self) -> list[int]:
        """The idle judges (infrastructure, kept between runs; never part of a run's process tree)."""
        return self._judges.pids()

    # ------------------------------------------------------------------------------------------- one run
    def _launch(self, kind: bytes, limits: Limits, code: str, stdin: bytes = b"", channel: tuple = (),
                report_r: int = -1) -> Run:
        """Start one candidate: fresh descriptors, the launcher forks its init. Returns the client's side of it.
        `channel` (function runs): the candidate's ends of the call channel, sent along (and closed here)."""
        pipes = [os.pipe() for _ in range(3)]  # stdout, stderr, ready
        (out_r, out_w), (err_r, err_w), (ready_r, ready_w) = pipes
        run = Run(limits, out_r, err_r, ready_r, report_r)
        theirs = [out_w, err_w, ready_w, *channel]
        try:
            run.pidfd, run.status_r = self._start_process(kind, limits, code, stdin, theirs)
        except BaseException:
            run.close()
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        return run

    def _spawn_judge(self, limits: Limits) -> Judge:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            pidfd, status_r = self._start_process(b"J", limits, "", b"", [theirs.fileno()])
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return Judge(ours, pidfd, status_r, limits)

    def _start_process(self, kind: bytes, limits: Limits, code: str, stdin: bytes, fds: list[int]) -> tuple[int, int]:
        """Have the launcher fork a jailed process of `kind` with a job memfd, `fds` and a status pipe.
        Returns (pidfd, read end of the status pipe)."""
        job = _memfd(wire.pack_job(limits, fresh_uid(), code.encode("utf-8", "replace"), stdin))
        status_r, status_w = os.pipe()
        try:
            return self._fork(kind, [job, *fds, status_w]), status_r
        except BaseException:
            os.close(status_r)
            raise
        finally:
            os.close(job)
            os.close(status_w)

    def _fork(self, kind: bytes, fds: list[int]) -> int:
        with self._lock:
            for _attempt in range(2):
                if self._proc is None or self._proc.poll() is not None or self._control is None:
                    self._start_locked()
                try:
                    socket.send_fds(self._control, [kind], fds)
                    msg, got, _, _ = socket.recv_fds(self._control, 256, 1)
                except OSError:  # the launcher died (or is wedged): replace it and try once more
                    self._stop_locked(kill=True)
                    continue
                if msg == b"C" and len(got) == 1:
                    return got[0]
                for fd in got:
                    os.close(fd)
                if not msg:
                    self._stop_locked(kill=True)
                    continue
                raise InfraError(f"the sandbox launcher could not start the run: {msg[1:].decode(errors='replace')}")
        raise InfraError("the sandbox launcher is not accepting runs")

    def run_function(self, code: str, test: str, entry_point: str, limits: Limits) -> dict:
        """Run ``check(entry_point)`` against `code`. Returns the run's result with the judge's report parsed into
        ``report`` (None when there was none) and ``nonce_ok``."""
        nonce = os.urandom(16).hex()
        blob = wire.pack_frame({"entry_point": entry_point, "nonce": nonce, "max_reply": limits.output_bytes},
                               test.encode("utf-8", "replace"))
        self.start()
        (req_r, req_w), (rep_r, rep_w), (report_r, report_w) = os.pipe(), os.pipe(), os.pipe()
        try:
            run = self._launch(b"F", limits, code, channel=(req_r, rep_w), report_r=report_r)
        except BaseException:
            for fd in (req_w, rep_r, report_r, report_w):
                os.close(fd)
            raise
        judge, healthy = None, False
        try:
            judge = self._send_to_judge(limits, [_memfd(blob), report_w, req_w, rep_r])
            run.wait_ready()
            run.watch(keep_stdout=False)
            healthy = _parse_report(run.report) is not None  # the judge finished its run: it can judge another
            run.stop()
        except RunLost as err:
            raise InfraError(str(err)) from None
        finally:
            run.close()
            if judge is not None:
                self._judges.give_back(judge, healthy)
        header = run.result()
        header["report"] = _parse_report(run.report)  # again: `stop` may have read the rest of a late report
        header["nonce_ok"] = bool(header["report"]) and header["report"].get("nonce") == nonce
        return header

    def _send_to_judge(self, limits: Limits, fds: list[int]) -> Judge:
        """Hand one run's descriptors (closed here) to an idle judge; a judge found dead is replaced once."""
        try:
            for _attempt in range(2):
                judge = self._judges.take(limits)
                try:
                    judge.send(fds)
                    return judge
                except OSError:
                    self._judges.give_back(judge, False)
            raise RunLost("no judge accepted the run")
        finally:
            for fd in fds:
                os.close(fd)

    def run_program(self, code: str, inputs: list[bytes], limits: Limits, accept) -> list[tuple[dict, bytes]]:
        """Run `code` once per input, each in its own fresh jail; `accept(index, header, stdout)` says whether to
        go on. Returns the (header, stdout) of every case run."""
        results = []
        for index, data in enumerate(inputs):
            run = self._launch(b"P", limits, code, stdin=data)
            try:
                run.wait_ready()
                run.watch(keep_stdout=True)
                run.stop()
            except RunLost as err:
                raise InfraError(str(err)) from None
            finally:
                run.close()
            header, stdout = run.result(), bytes(run.stdout)
            results.append((header, stdout))
            if not accept(index, header, stdout):
                break
        return results


def _read_to_end(sock: socket.socket) -> bytes:
    data = b""
    while len(data) < 4096:
        got = sock.recv(4096)
        if not got:
            break
        data += got
    return data


def _memfd(data: bytes) -> int:
    fd = os.memfd_create("rlvr-job", os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    return fd


def _parse_report(data: bytes) -> dict | None:
    """The judge's report as a dict; None when there is none or it is incomplete."""
    try:
        parsed = wire.json.loads(bytes(data)) if data else None
    except ValueError:
        return None
    return parsed if type(parsed) is dict else None
