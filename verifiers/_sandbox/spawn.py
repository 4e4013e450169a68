"""The first moments of a process the launcher just forked: build its jail, confine it, start it.

Two kinds, each the init (pid 1) of its own new PID namespace, with new mount/net/ipc/uts namespaces, a private
``/tmp``, ``/dev/shm`` and ``/proc`` on a copy of the launcher's read-only root (`jail.build_run`), and a fresh uid:

- a run's candidate C (`start_candidate`): one per submission (or per stdin/stdout case). It reads its job
  (limits, code, stdin) from a memfd, confines itself (`jail.confine`), says "ready" on its pipe and only then runs
  the model's code. For a function-style run its descriptors 3 and 4 are the call channel to a judge.
- a judge J (`start_judge`): long-lived, see `judge.py`; it holds the tests, C never sees them.

In userns mode each also enters a user namespace of its own once its mounts are made (`jail.enter_user_namespace`).
Both start as trusted code, still root, and drop every descriptor that is not theirs first (other runs' pipes,
the launcher's control socket). Killing C ends its run: when the init of a PID namespace dies, the kernel kills
and reaps every other process in it (``setsid``/double-fork escapees included) before C itself is reported dead.
"""

from __future__ import annotations

import fcntl
import os
import select

from verifiers._sandbox import child, jail, judge, wire
from verifiers._sandbox.limits import Limits

__all__ = ["start", "probe", "FDS"]

# Descriptors the launcher hands each kind of process, in this order (the client sends them with SCM_RIGHTS).
FDS = {b"P": ("job", "out", "err", "ready"), b"F": ("job", "out", "err", "ready", "req", "rep"),
       b"J": ("job", "ctl")}
_JUDGE_TMP_BYTES = 16 << 20


def _fail(ready_w: int, err: BaseException) -> None:
    try:
        if ready_w >= 0:
            os.write(ready_w, b"E" + f"{type(err).__name__}: {err}".encode()[:4000])
    finally:
        os._exit(125)


def start(kind: bytes, fds: dict[str, int], root: str, launcher_pidfd: int) -> None:
    """In the process just forked by the launcher (pid 1 of a new PID namespace, still root). Never returns."""
    report = fds.get("ready", -1)
    try:
        jail.set_parent_death_signal()  # the launcher gone -> this process gone -> its whole namespace gone
        if select.select([launcher_pidfd], [], [], 0)[0]:
            os._exit(125)  # the launcher died before the signal was armed (getppid() is 0 for a namespace's init)
        # Signal dispositions are the interpreter's own defaults: the launcher installs no handler of its own.
        child.close_except(tuple(fds.values()))  # other runs' descriptors, the launcher's control socket
        uid, limits, code_bytes, stdin_data = wire.unpack_job(wire.read_blob(fds["job"]))
        os.close(fds["job"])
        code = code_bytes.decode("utf-8", errors="replace")
        jail.enter_run_namespaces(fds.get("net", -1))
        if "net" in fds:
            os.close(fds["net"])
        jail.build_run(root, limits.tmp_bytes if kind != b"J" else _JUDGE_TMP_BYTES, uid)
        jail.mount_proc(root)
        if jail.mode() == "userns":
            jail.enter_user_namespace(uid)
    except BaseException as err:  # noqa: BLE001 - never run anything half-confined
        _fail(report, err)
    if kind == b"J":
        _judge_main(fds["ctl"], root, limits, uid)
    _candidate_main(fds, root, limits, uid, code, stdin_data, "req" in fds)


def _candidate_main(fds: dict[str, int], root: str, limits: Limits, uid: int, code: str, stdin_data: bytes,
                    function_mode: bool) -> None:
    ready_w = fds["ready"]
    try:
        jail.enter_root(root)
        if stdin_data:
            stdin_fd = os.memfd_create("stdin")
            os.write(stdin_fd, stdin_data)
            os.lseek(stdin_fd, 0, os.SEEK_SET)
        else:
            stdin_fd = os.open("/dev/null", os.O_RDONLY)
        del stdin_data
        own = (fds["req"], fds["rep"]) if function_mode else ()
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


def _judge_main(ctl: int, root: str, limits: Limits, uid: int) -> None:
    try:
        baseline = jail.vm_size()
        jail.enter_root(root, cwd="/")
        null = os.open("/dev/null", os.O_RDWR)
        moved = fcntl.fcntl(ctl, fcntl.F_DUPFD, 100)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.dup2(moved, 3)
        os.closerange(4, 1 << 16)
        # RLIMIT_CPU is cumulative: a generous hard limit, and `judge.serve` arms the soft one run by run.
        jail.confine(uid, 3600, limits.memory_bytes, 1 << 20, limits.processes, 64, baseline)
    except BaseException:  # noqa: BLE001 - a judge that cannot confine itself judges nothing
        os._exit(125)
    judge.serve(3, limits.cpu_seconds + 1)


def probe(root: str, own_pid_ns: int) -> None:
    """In the launcher, once, before serving: build and confine one throw-away jail exactly as a run's init does,
    so that a machine that refuses a step (a kernel without unprivileged user namespaces, a container that hides
    parts of /proc) is reported once, as one line, instead of failing every run. IsolationError on refusal."""
    read_r, write_w = os.pipe()
    jail.unshare_pid()
    try:
        pid = jail.fork()
        if pid == 0:
            try:
                os.close(read_r)
                limits = Limits()
                jail.enter_run_namespaces(-1)
                jail.build_run(root, 1 << 16, 0x2FFFFFFF)
                jail.mount_proc(root)
                if jail.mode() == "userns":
                    jail.enter_user_namespace(0x2FFFFFFF)
                jail.enter_root(root)
                jail.confine(0x2FFFFFFF, 1, limits.memory_bytes, 4096, 2, 16)
                os.write(write_w, b"R")
            except BaseException as err:  # noqa: BLE001 - reported to the launcher
                os.write(write_w, f"{type(err).__name__}: {err}".encode()[:1000])
            os._exit(0)
    finally:
        jail.setns(own_pid_ns, jail.CLONE_NEWPID)
        os.close(write_w)
    with os.fdopen(read_r, "rb") as fh:
        said = fh.read()
    os.waitpid(pid, 0)
    if said != b"R":
        raise jail.IsolationError("the code sandbox cannot isolate a run on this machine: "
                                  + (said.decode(errors="replace") or "the test jail died"))
