"""The trusted side of the sandbox: starts the launcher, hands it runs, and collects raw results.

`Sandbox` is thread-safe: `verify_batch` drives several runs at once from a thread pool, each over its own
socket to its own supervisor. Expected outputs never leave this process; the tests and the nonce of a
function-style run go only to its supervisor (and from there to the judge), after the candidate was forked.
Anything that goes wrong between here and the supervisor raises `InfraError`, which the verifier turns into
reward None / status ``infra`` (masked and counted, never a 0).
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

from verifiers._sandbox import child, wire
from verifiers._sandbox.limits import Limits

__all__ = ["Sandbox", "SandboxUnavailable", "InfraError"]

_START_SECONDS = 60.0
_BACKSTOP_SECONDS = 30.0  # over the run's own wall limit: only a wedged supervisor ever reaches it


class SandboxUnavailable(RuntimeError):
    """Isolation cannot be set up on this machine; code is never run unprotected instead."""


class InfraError(Exception):
    """The sandbox machinery failed for one run (not the candidate's fault)."""


class Sandbox:
    """A launcher process plus the means to run submissions in fresh jails. Start is lazy; `close` is idempotent."""

    def __init__(self):
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._root: str | None = None
        self.restarts = 0
        atexit.register(self.close)

    # ------------------------------------------------------------------------------------------- lifecycle
    def start(self) -> None:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start_locked()

    def _start_locked(self) -> None:
        if not sys.platform.startswith("linux"):
            raise SandboxUnavailable("the code sandbox needs Linux namespaces; refusing to run code unprotected")
        if os.geteuid() != 0:
            raise SandboxUnavailable(
                "the code sandbox needs root (to create PID/network/mount namespaces and switch to throw-away "
                "uids); run the verifier as root, e.g. in a container. Refusing to run model code unprotected.")
        if self._proc is not None:
            self.restarts += 1  # the launcher died (or was killed): counted, and replaced
        self._stop_locked()
        self._root = tempfile.mkdtemp(prefix="rlvr-jail-")  # an empty mount point, private to each run
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._log = tempfile.TemporaryFile()  # the launcher's stderr, shown if it fails to start
        package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        program = (f"import sys; sys.path.insert(0, {package_parent!r}); "
                   f"from verifiers._sandbox.launcher import main; main({theirs.fileno()}, {self._root!r})")
        self._proc = subprocess.Popen([sys.executable, "-I", "-c", program], pass_fds=(theirs.fileno(),),
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=self._log, env=dict(child.CLEAN_ENV), cwd="/")
        theirs.close()
        ours.settimeout(_START_SECONDS)
        try:
            hello = ours.recv(2)
        except OSError:
            hello = b""
        if hello != b"ok":
            self._proc.kill()
            self._proc.wait()
            self._log.seek(0)
            err = self._log.read().decode(errors="replace")[-2000:]
            raise SandboxUnavailable(f"the sandbox launcher failed to start: {err}")
        ours.settimeout(None)
        self._control = ours

    def close(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._control is not None:
            self._control.close()  # the launcher exits on EOF; its supervisors follow by parent-death signal
            self._control = None
        if self._proc is not None:
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
        return self._proc.pid if self._proc is not None else None

    # ------------------------------------------------------------------------------------------- one run
    def _open(self) -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self._lock:
                for _attempt in range(2):
                    if self._proc is None or self._proc.poll() is not None or self._control is None:
                        self._start_locked()
                    try:
                        socket.send_fds(self._control, [b"F"], [theirs.fileno()])
                        break
                    except OSError:
                        self._stop_locked()
                else:
                    raise InfraError("the sandbox launcher is not accepting runs")
        finally:
            theirs.close()
        return ours

    @staticmethod
    def _finish(sock: socket.socket) -> None:
        """Wait until the supervisor has exited (its end of the socket closes), so nothing of the run is left."""
        try:
            sock.settimeout(10)
            while sock.recv(1 << 16):
                pass
        except OSError:
            pass
        finally:
            sock.close()

    def run_function(self, code: str, test: str, entry_point: str, limits: Limits) -> dict:
        """Run ``check(entry_point)`` against `code`. Returns the supervisor's result with the judge's report
        parsed into ``report`` (None when there was none) and ``nonce_ok``."""
        nonce = secrets.token_hex(16)
        sock = self._open()
        try:
            sock.settimeout(limits.wall_seconds + _BACKSTOP_SECONDS)
            wire.write_frame(sock, {"mode": "function", "limits": limits.to_dict()}, code.encode("utf-8", "replace"))
            wire.write_frame(sock, {"entry_point": entry_point, "nonce": nonce}, test.encode("utf-8", "replace"))
            header, _ = _read(sock)
        finally:
            self._finish(sock)
        report = header.pop("report", "")
        try:
            parsed = wire.json.loads(report) if report else None
        except ValueError:
            parsed = None
        header["report"] = parsed if type(parsed) is dict else None
        header["nonce_ok"] = bool(header["report"]) and header["report"].get("nonce") == nonce
        return header

    def run_program(self, code: str, inputs: list[bytes], limits: Limits, accept) -> list[tuple[dict, bytes]]:
        """Run `code` once per input, each in its own fresh jail; `accept(index, header, stdout)` says whether to
        go on. Returns the (header, stdout) of every case run."""
        results = []
        for index, data in enumerate(inputs):
            sock = self._open()
            try:
                sock.settimeout(limits.wall_seconds + _BACKSTOP_SECONDS)
                head = {"mode": "program", "limits": limits.to_dict()}
                wire.write_frame(sock, head, code.encode("utf-8", "replace"))
                wire.write_frame(sock, {"case": index}, data)
                header, stdout = _read(sock, limits.output_bytes + 1024)
            except OSError as err:
                raise InfraError(f"lost the supervisor: {err}") from None
            finally:
                self._finish(sock)
            results.append((header, stdout))
            if "infra" in header or not accept(index, header, stdout):
                break
        return results


def _read(sock: socket.socket, max_body: int = 1 << 20) -> tuple[dict, bytes]:
    try:
        return wire.read_frame(sock, max_body=max_body)
    except (OSError, wire.WireError) as err:
        raise InfraError(f"no result from the supervisor: {err}") from None
