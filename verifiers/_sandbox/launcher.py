"""The launcher ("zygote"): a small, pre-imported interpreter that forks the first process of every run.

Started once per `Sandbox` with a clean environment (``python -I``), it imports the sandbox code and the standard
library modules solutions commonly use, builds the jail's read-only root once, then waits. For each run the client
sends it one byte (``P`` a program run, ``F`` a function run, ``J`` a judge) and, with ``SCM_RIGHTS``, the new
process's descriptors (a memfd with its job, its pipes) plus a status pipe. The launcher unshares a new PID
namespace, forks the process as its init (`spawn.start`), answers with a pidfd of it, and returns to waiting; when
the process has exited and every process of its namespace is gone, it reaps it and writes its exit status into
the status pipe. It never reads a submission, test or expected output, so no fork of it carries them; and
because it is small and was never the trainer, a run's memory budget is not eaten by a large parent (A8).
It exits when the client's control socket closes (the client died or closed), and its runs follow it (parent-death
signal). In userns mode (an unprivileged caller) it first makes itself root of a user namespace of its own, see
`main` and docs/sandbox.md.
"""

from __future__ import annotations

# Warm imports: every fork starts with these loaded, so a solution does not pay for them (and the jail does not
# need to expose the repository, where these modules live).
import bisect  # noqa: F401
import collections  # noqa: F401
import copy  # noqa: F401
import decimal  # noqa: F401
import fractions  # noqa: F401
import functools  # noqa: F401
import gc
import hashlib  # noqa: F401
import heapq  # noqa: F401
import itertools  # noqa: F401
import math  # noqa: F401
import operator  # noqa: F401
import os
import random
import re  # noqa: F401
import select
import signal
import socket
import statistics  # noqa: F401
import string  # noqa: F401
import struct
import sys  # noqa: F401
import traceback  # noqa: F401
import typing  # noqa: F401

from verifiers._sandbox import child, jail, spawn

__all__ = ["main"]



class _Launcher:
    def __init__(self, control: socket.socket, root: str):
        self.control, self.root = control, root
        self.pidfd = os.pidfd_open(os.getpid())  # lets a new run check that its parent is still alive
        self.own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        self.own_net_ns = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        self.free_net: list[int] = []  # network namespaces no live run is in (see `jail.enter_run_namespaces`)
        self.poller = select.poll()
        self.poller.register(control.fileno(), select.POLLIN)
        self.runs: dict[int, tuple[int, int, int]] = {}  # pidfd -> (pid, the client's status pipe, its netns)

    def serve(self) -> None:
        while True:
            for fd, _ in self.poller.poll():
                if fd == self.control.fileno():
                    if not self._request():
                        return
                else:
                    self._reap(fd)

    def _request(self) -> bool:
        """Handle one message; False when the client has gone."""
        try:
            msg, fds, _, _ = socket.recv_fds(self.control, 16, 16)
        except OSError:
            return False
        if not msg:
            return False
        names = spawn.FDS.get(msg)
        if names is None or len(fds) != len(names) + 1:
            for fd in fds:
                os.close(fd)
            self.control.sendall(b"E")
            return True
        *run_fds, status_w = fds
        given = dict(zip(names, run_fds, strict=True))
        net = -1
        try:
            if msg != b"J":  # a judge lives long: it makes a network namespace of its own
                net = self.free_net.pop() if self.free_net else jail.new_network_namespace(self.own_net_ns)
                given["net"] = net
            jail.unshare_pid()
            pid = jail.fork()
        except OSError as err:
            pid, problem = -1, err
        if pid == 0:
            spawn.start(msg, given, self.root, self.pidfd)
        jail.setns(self.own_pid_ns, jail.CLONE_NEWPID)  # back to our own namespace for the next run's init
        if pid < 0:
            for fd in fds:
                os.close(fd)
            if net >= 0:
                self.free_net.append(net)
            self.control.sendall(b"E" + str(problem).encode()[:200])
            return True
        for fd in run_fds:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        self.runs[pidfd] = (pid, status_w, net)
        self.poller.register(pidfd, select.POLLIN)
        socket.send_fds(self.control, [b"C"], [pidfd])
        return True

    def _reap(self, pidfd: int) -> None:
        pid, status_w, net = self.runs.pop(pidfd)
        self.poller.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        if net >= 0:
            self.free_net.append(net)  # every process of the run is dead: the namespace is empty again
        try:
            os.write(status_w, struct.pack("<i", os.waitstatus_to_exitcode(status)))
        except OSError:
            pass  # the client gave up on this run
        os.close(status_w)


def main(control_fd: int, root: str, site_dirs: list[str], mode: str = "root") -> None:
    """Serve fork requests on `control_fd` until it closes. `root` is an empty directory used as mount point;
    `site_dirs` are the client's site-packages, shown read-only in the jail; `mode` is ``root`` or ``userns``.

    The client's first message from here is ``ok`` and the launcher's pid (8 bytes), or ``E`` and one line saying
    why the sandbox cannot be set up on this machine (then the launcher exits)."""
    control = socket.socket(fileno=control_fd)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        jail.set_mode(mode)
        if mode == "userns":
            _enter_own_namespaces(control)
        binds = jail.system_binds(site_dirs)
        jail.build_base(root, binds)  # the read-only root, built once; every run copies it
        child.prepare_interpreter(binds, jail.jail_path)
        jail.unshare_uts()  # one host name for all runs (none can change it), apart from the host's
        launcher = _Launcher(control, root)
        spawn.probe(root, launcher.own_pid_ns)  # one throw-away jail: a refusal is said now, not run by run
    except (OSError, jail.IsolationError) as err:
        control.sendall(b"E" + " ".join(str(err).split()).encode()[:2000])
        os._exit(1)
    random.seed(0)  # every run inherits this state (`jail.fork` does not reseed): the same program, the same draws
    gc.collect()
    gc.freeze()  # forks share these pages; the children's collector never touches (and so never copies) them
    control.sendall(b"ok" + struct.pack("<q", int(os.readlink("/proc/self"))))  # our pid as the host sees it
    launcher.serve()
    os._exit(0)  # nothing to flush or finalise; the runs still alive die with us (parent-death signal)


def _enter_own_namespaces(control: socket.socket) -> None:
    """Userns mode: become root of a user namespace of our own (`jail.become_namespace_root`), then fork the real
    launcher as init of a new PID namespace owned by it (a launcher may return to its own PID namespace between
    runs only if it owns it). This process stays as the client's child, waits for the launcher and exits with it;
    the launcher dies with it (parent-death signal), and its runs with the launcher."""
    jail.become_namespace_root(os.getuid(), os.getgid())
    parent = os.pidfd_open(os.getpid())
    pid = os.fork()
    if pid == 0:
        jail.set_parent_death_signal()
        if select.select([parent], [], [], 0)[0]:
            os._exit(1)  # the parent died before the signal was armed
        os.close(parent)
        return
    control.close()  # the launcher holds the control socket alone: its EOF is the client's sign that it died
    _, status = os.waitpid(pid, 0)
    os._exit(max(0, os.waitstatus_to_exitcode(status)))
