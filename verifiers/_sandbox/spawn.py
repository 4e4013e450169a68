"""The first moments of a run, in the process the launcher just forked: build the jail, start the judge, confine.

Process tree of one run (forked, never exec'd; the launcher is a small interpreter, never the trainer)::

    launcher L (root; reaps C and reports its exit status to the client)
    └── C   the candidate: init (pid 1) of a new PID namespace; new mount/net/ipc/uts namespaces; fresh uid
        ├── J   the judge (function mode only): same jail, another fresh uid, runs the tests
        └── ... anything the candidate starts stays in C's PID namespace

C starts as trusted code, still root: it reads its job (limits, code, stdin) from a memfd, unshares its namespaces,
mounts the run's private ``/tmp``, ``/dev/shm`` and ``/proc`` on a copy of the launcher's read-only root
(`jail.build_run`), forks J, drops every descriptor that is not its own, chroots, confines itself
(`jail.confine`) and only then says "ready" and runs the model's code. The tests and the nonce are in a memfd that
only J reads (C closes its copy unread), so they are never in C's memory; the client holds the wall clock and the
expected outputs. Killing C ends the run: when the init of a PID namespace dies, the kernel kills and reaps every
other process in it (J and ``setsid``/double-fork escapees included) before C itself is reported dead.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal

from verifiers._sandbox import child, jail, judge, wire
from verifiers._sandbox.limits import Limits

__all__ = ["start", "read_blob", "PROGRAM_FDS", "FUNCTION_FDS"]

# Descriptors the launcher hands a run, in this order (the client sends them with SCM_RIGHTS).
PROGRAM_FDS = ("job", "out", "err", "ready")
FUNCTION_FDS = PROGRAM_FDS + ("test", "report")


def read_blob(fd: int, limit: int = 1 << 30) -> bytes:
    """The whole content of a memfd, read with pread (offset-independent, so a retried run reads it all again)."""
    size = os.fstat(fd).st_size
    if size > limit:
        raise ValueError(f"job of {size} bytes is over the {limit} byte cap")
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(fd, min(size - offset, 1 << 20), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _split_job(blob: bytes) -> tuple[dict, str, bytes]:
    """A job memfd holds two frames: ({"limits"}, code) and ({}, stdin)."""
    header, code, rest = wire.unpack_frame(blob)
    _, stdin, _ = wire.unpack_frame(rest)
    return header, code.decode("utf-8", errors="replace"), stdin


def _fail(ready_w: int, err: BaseException) -> None:
    try:
        os.write(ready_w, b"E" + f"{type(err).__name__}: {err}".encode()[:4000])
    finally:
        os._exit(125)


def start(fds: dict[str, int], root: str, launcher_pidfd: int) -> None:
    """In C, just forked by the launcher (pid 1 of a new PID namespace, still root). Never returns."""
    ready_w = fds["ready"]
    try:
        jail.set_parent_death_signal()  # the launcher gone -> C gone -> the whole namespace gone
        if select.select([launcher_pidfd], [], [], 0)[0]:
            os._exit(125)  # the launcher died before the signal was armed (getppid() is 0 for a namespace's init)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        child.close_except(tuple(fds.values()))  # other runs' descriptors, the launcher's control socket
        header, code, stdin_data = _split_job(read_blob(fds["job"]))
        os.close(fds["job"])
        limits = Limits(**header["limits"])
        uid = jail.fresh_uid()
        jail.enter_run_namespaces()
        jail.build_run(root, limits.tmp_bytes, uid)
        jail.mount_proc(root)
        function_mode = "test" in fds
        own = _start_judge(fds, root, limits, uid) if function_mode else ()
        jail.enter_root(root)
        if stdin_data:
            stdin_fd = os.memfd_create("stdin")
            os.write(stdin_fd, stdin_data)
            os.lseek(stdin_fd, 0, os.SEEK_SET)
        else:
            stdin_fd = os.open("/dev/null", os.O_RDONLY)
        del stdin_data
        moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (stdin_fd, fds["out"], fds["err"], *own)]
        for target, fd in enumerate(moved):  # 0 stdin, 1 stdout, 2 stderr, then 3/4: the judge's channel
            os.dup2(fd, target)
        jail.confine(uid, limits.cpu_seconds, limits.memory_bytes, limits.file_bytes, limits.processes,
                     limits.open_files)
        os.write(ready_w, b"R")  # only a confined candidate can say this; the pipe is closed just below
        child.reset_process_state(0, (3, 4) if function_mode else ())
    except BaseException as err:  # noqa: BLE001 - never run the candidate half-confined
        _fail(ready_w, err)
    if function_mode:
        child.run_function_server(code, 3, 4)
    child.run_program(code)


def _start_judge(fds: dict[str, int], root: str, limits: Limits, candidate_uid: int) -> tuple[int, int]:
    """Fork J with the tests' memfd and the report pipe; return C's ends of the call channel (requests, replies).

    C closes its copies of the tests and the report pipe right after, so the candidate can neither read the tests
    nor write a report."""
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    pid = jail.fork()
    if pid == 0:
        _judge_main(fds["test"], fds["report"], req_w, rep_r, root, limits, candidate_uid)
    for fd in (fds["test"], fds["report"], req_w, rep_r):
        os.close(fd)
    return req_r, rep_w


def _judge_main(test_fd: int, report_w: int, req_w: int, rep_r: int, root: str, limits: Limits,
                candidate_uid: int) -> None:
    try:
        header, body, _ = wire.unpack_frame(read_blob(test_fd))
        test = body.decode("utf-8", errors="replace")
        baseline = jail.vm_size()
        jail.enter_root(root, cwd="/")
        null = os.open("/dev/null", os.O_RDWR)
        moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (req_w, rep_r, report_w)]
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        for target, fd in zip((3, 4, 5), moved, strict=True):
            os.dup2(fd, target)
        os.closerange(6, 1 << 16)
        uid = jail.fresh_uid()
        while uid == candidate_uid:
            uid = jail.fresh_uid()
        jail.confine(uid, limits.cpu_seconds + 1, limits.memory_bytes, 1 << 20, limits.processes, 64, baseline)
    except BaseException:  # noqa: BLE001 - no report: the run cannot pass
        os._exit(125)
    judge.run_judge(test, header["entry_point"], 3, 4, 5, header["nonce"], limits.output_bytes)
