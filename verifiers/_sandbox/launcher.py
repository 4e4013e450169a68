"""The launcher ("zygote"): a small, pre-imported interpreter that forks one supervisor per submission.

Started once per `Sandbox` with a clean environment (``python -I``), it imports the sandbox code and the standard
library modules solutions commonly use, then waits. For each submission the client sends it one byte and, with
``SCM_RIGHTS``, one end of a fresh socket pair; the launcher forks a supervisor that owns that socket and returns
to waiting. The launcher never reads submissions, tests or expected outputs, so no fork of it carries them; and
because it is small and was never the trainer, a forked run's memory budget is not eaten by a large parent (A8).
It exits when the client's control socket closes (the client died or closed), and its supervisors follow it
(parent-death signal).
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
import random  # noqa: F401
import re  # noqa: F401
import signal
import socket
import statistics  # noqa: F401
import string  # noqa: F401
import sys
import traceback  # noqa: F401
import typing  # noqa: F401

from verifiers._sandbox import jail, supervisor

__all__ = ["main"]


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return


def main(control_fd: int, root: str) -> None:
    """Serve fork requests on `control_fd` until it closes. `root` is an empty directory used as mount point."""
    control = socket.socket(fileno=control_fd)
    signal.signal(signal.SIGCHLD, lambda *_: _reap())  # supervisors are reaped as soon as they exit
    jail.build_base(root, jail.system_binds())  # the read-only root, built once; every run copies it
    sys.set_int_max_str_digits(0)  # judge and candidate exchange integers of any length (a 5,000-digit answer)
    gc.collect()
    gc.freeze()  # forks share these pages; the children's collector never touches (and so never copies) them
    control.sendall(b"ok")
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(control, 16, 1)
        except OSError:
            break
        if not msg:
            break
        if msg != b"F" or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            control.close()
            supervisor.serve(socket.socket(fileno=fds[0]), root)
        os.close(fds[0])
    _reap()
    sys.exit(0)
