"""The judge: runs a reference's ``check(candidate)`` in its own process, calling the candidate over pipes.

A judge is a long-lived, jailed process (its own PID/mount/network namespaces, a read-only root, a throw-away uid)
that judges one run at a time for the client (`serve`): per run it receives the tests' memfd, the report pipe and
its ends of the call channel, runs ``check`` in a fresh namespace dict, writes the report and closes the run's
descriptors. Keeping it alive between runs saves a fork and the copy-on-write cost of a fresh interpreter per
submission; the client retires a judge after a fixed number of runs and kills it after any run that did not end
with a complete report (a test that hung, a judge that died), so a stuck judge never judges again.

Why a separate process: code that runs in the same process as the candidate can be read and rewritten by it
(frame walking, ``gc``, ``ctypes``), so an in-process harness can never prove that ``check`` finished. Here the
tests and the per-run nonce live only in the judge, which runs under a different uid from the candidate (no
ptrace, no signals, no ``/proc/<pid>/mem``), shares its jail (no network, read-only filesystem) and talks to the
candidate only through two pipes. ``candidate(*args)`` becomes a request carrying plain values; the reply is
decoded by `wire.decode_value` into builtin objects the judge builds itself, so the candidate influences ``check``
only through the values its functions return, exactly as a function under test should.

Names the test uses but does not define (HumanEval's ``poly`` or ``encode_cyclic``, defined by the prompt) are
looked up in the candidate's module, as in HumanEval's own harness. An exception raised by a candidate function
reaches ``check`` as the builtin exception of the same name (``ValueError`` stays ``ValueError``), or as
`CandidateError`. If the candidate process dies, every later call raises `CandidateDied` and the run fails.
"""

from __future__ import annotations

import builtins
import json
import os
import resource
import socket
import types

from verifiers._sandbox import wire

__all__ = ["serve", "run_judge", "free_names", "CandidateError", "CandidateDied", "RUN_FDS"]

RUN_FDS = ("test", "report", "req", "rep")  # what the client sends a judge for one run, in this order


class CandidateError(Exception):
    """A candidate function raised an exception that is not a builtin one (or SystemExit)."""


class CandidateDied(BaseException):
    """The candidate process is gone (exited, crashed or was killed); nothing it said later counts."""


def free_names(code: types.CodeType) -> set[str]:
    """Global names the compiled test may read (those of its code objects, nested ones included) that are not
    builtins: each gets a stand-in that calls the candidate's function of that name, and whatever the test binds
    itself (``check``, its imports, its helpers) replaces its stand-in when the test runs. Taken from the code
    object the judge compiles anyway: a second parse of the test (``ast``) cost more than the compilation."""
    names, stack = set(), [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(const for const in current.co_consts if type(const) is types.CodeType)
    return names - _BUILTINS


_BUILTINS = frozenset(dir(builtins))


class _Channel:
    def __init__(self, req_fd: int, rep_fd: int, max_reply: int):
        self.req_fd, self.rep_fd, self.max_reply = req_fd, rep_fd, max_reply
        self.calls = self.returned = 0
        self.died = False

    def call(self, name: str, args: tuple, kwargs: dict):
        if self.died:
            raise CandidateDied("candidate process is gone")
        self.calls += 1
        body = wire.encode_value([list(args), kwargs])  # WireError for non-plain arguments: the test's problem
        try:
            wire.write_frame(self.req_fd, {"name": name}, body)
            header, reply = wire.read_frame(self.rep_fd, max_header=4096, max_body=self.max_reply)
            value = wire.decode_value(reply)
        except (OSError, wire.WireError) as err:
            self.died = True
            raise CandidateDied(f"no valid reply from the candidate: {err}") from None
        if header.get("ok") is True:
            self.returned += 1
            return value
        message = value if type(value) is str else "exception"
        exc_type = getattr(builtins, message.split(":", 1)[0], None)
        if isinstance(exc_type, type) and issubclass(exc_type, Exception):
            raise exc_type(message.split(":", 1)[-1].strip())
        raise CandidateError(message)


def _remote(channel: _Channel, name: str):
    def call(*args, **kwargs):
        return channel.call(name, args, kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def serve(ctl_fd: int, cpu_seconds: int) -> None:
    """Judge one run per message on the control socket `ctl_fd` until the client closes it. Never returns.

    Each run gets `cpu_seconds` of CPU on top of what the judge used so far (RLIMIT_CPU is cumulative)."""
    ctl = socket.socket(fileno=ctl_fd)
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctl, 16, len(RUN_FDS))
        except OSError:
            break
        if msg != b"T" or len(fds) != len(RUN_FDS):
            break
        test_fd, report_fd, req_fd, rep_fd = fds
        try:
            header, body, _ = wire.unpack_frame(wire.read_blob(test_fd))
            _arm_cpu(cpu_seconds)
            run_judge(body.decode("utf-8", errors="replace"), header["entry_point"], req_fd, rep_fd, report_fd,
                      header["nonce"], header["max_reply"])
        except (wire.WireError, OSError, KeyError, ValueError):
            break  # no report for this run: the client retires this judge
        finally:
            for fd in fds:
                os.close(fd)
    os._exit(0)


def _arm_cpu(seconds: int) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(usage.ru_utime + usage.ru_stime) + seconds + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def run_judge(test: str, entry_point: str, req_fd: int, rep_fd: int, report_fd: int, nonce: str,
              max_reply: int) -> None:
    """Run ``check(<candidate entry_point>)`` and report the outcome (with the nonce) on `report_fd`.

    Reported: ``completed`` (check returned), ``raised`` (it raised: an assertion or anything else), ``bad_test``
    (the test does not compile or defines no function ``check``: the reference's fault), the number of candidate
    calls made and answered, and whether the candidate died.
    """
    channel = _Channel(req_fd, rep_fd, max_reply)
    outcome, error = "raised", ""
    try:
        try:
            code = compile(test, "<test>", "exec")
        except (SyntaxError, ValueError):
            outcome = "bad_test"
            raise
        stand_ins = {name: _remote(channel, name) for name in free_names(code)}
        namespace = {**stand_ins, "__name__": "__test__", "__builtins__": builtins}
        exec(code, namespace)
        check = namespace.get("check")
        if not callable(check) or check is stand_ins.get("check"):
            outcome = "bad_test"
            raise TypeError("the test defines no function check(candidate)")
        check(_remote(channel, entry_point))
        outcome = "completed"
    except BaseException as err:  # noqa: BLE001 - any way out of check other than returning is a failure
        error = f"{type(err).__name__}: {err}"[:500]
    report = {"nonce": nonce, "outcome": outcome, "calls": channel.calls, "returned": channel.returned,
              "died": channel.died, "error": error}
    data = json.dumps(report).encode()
    while data:
        data = data[os.write(report_fd, data):]
