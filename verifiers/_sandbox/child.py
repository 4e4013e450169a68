"""What the untrusted candidate process runs, after `jail.confine` made it unprivileged.

Two modes:
- ``program``: the code runs as ``__main__`` with the case's input on stdin; the verifier reads its stdout.
- ``function``: the code runs as module ``__candidate__``; then the process serves calls from the judge over
  two pipes: it reads ``(name, args, kwargs)``, calls the named function and writes back the result encoded by
  `wire.encode_value` (plain builtin values only). It never sees the tests, and nothing it writes is trusted:
  the judge decodes every reply into values it builds itself.

This module is imported by the launcher before any run, so the jail does not need to expose the repository.
"""

from __future__ import annotations

import io
import os
import sys

from verifiers._sandbox import wire

__all__ = ["run_program", "run_function_server", "prepare_interpreter", "reset_process_state", "close_except",
           "CLEAN_ENV"]

# The candidate's whole environment: nothing inherited from the trainer.
CLEAN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
             "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
             "MALLOC_ARENA_MAX": "2"}


def prepare_interpreter(visible: list[str], where=lambda path: path) -> None:
    """In the launcher, once: the interpreter state every run starts from (so a fresh run changes nothing here).

    stdio objects on fds 0/1/2 (a run's init points those fds at its own input and pipes), the clean environment,
    ``argv``, big-integer printing (a correct solution may print a 5,000-digit integer), a generous recursion
    limit, and ``sys.path`` cut to the directories that the jail shows (`visible`, the read-only binds), each as
    the jail shows it (`where`)."""
    if dict(os.environ) != CLEAN_ENV:
        os.environ.clear()
        os.environ.update(CLEAN_ENV)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8", errors="replace")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  write_through=False)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  line_buffering=True)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
    sys.argv = ["main.py"]
    sys.set_int_max_str_digits(0)
    sys.setrecursionlimit(10_000)
    sys.path[:] = [where(p) for p in sys.path if any(p == v or p.startswith(v.rstrip("/") + "/") for v in visible)]


def reset_process_state(stdin_fd: int, keep: tuple[int, ...]) -> None:
    """In a confined run: its input on fd 0 and every descriptor above 2 closed but `keep` (the rest of the
    interpreter state was prepared once in the launcher, `prepare_interpreter`)."""
    os.dup2(stdin_fd, 0)
    close_except(keep)


def close_except(keep: tuple[int, ...]) -> None:
    """Close every descriptor from 3 up except those in `keep` (0, 1 and 2 are left alone)."""
    last = 3
    for fd in sorted(keep):
        if fd >= last:
            os.closerange(last, fd)
            last = fd + 1
    os.closerange(last, 1 << 16)


def _finish(status: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 1
    os._exit(status)


def _exec_module(code: str, name: str) -> dict:
    namespace = {"__name__": name, "__builtins__": __builtins__}
    exec(compile(code, "<candidate>", "exec"), namespace)  # the one place model code runs, inside the jail
    return namespace


def run_program(code: str) -> None:
    """Run `code` as a script; exit status 0 on normal completion. Never returns."""
    status = 0
    try:
        _exec_module(code, "__main__")
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 - a script's uncaught error: print it like python would
        import traceback

        traceback.print_exc()
        status = 1
    _finish(status & 0xFF)


def run_function_server(code: str, req_fd: int, rep_fd: int) -> None:
    """Define the candidate's functions, then answer the judge's calls until it closes the pipe. Never returns."""
    try:
        namespace = _exec_module(code, "__candidate__")
    except BaseException:  # noqa: BLE001 - a module that fails to load simply answers no call
        import traceback

        traceback.print_exc()
        _finish(1)
    while True:
        try:
            header, body = wire.read_frame(req_fd)
        except (wire.WireError, OSError):
            _finish(0)
        reply = _call(namespace, header, body)
        sys.stdout.flush()
        wire.write_frame(rep_fd, {"ok": reply[0]}, reply[1])


def _call(namespace: dict, header: dict, body: bytes) -> tuple[bool, bytes]:
    try:
        args, kwargs = wire.decode_value(body)
        fn = namespace.get(header.get("name"))
        if fn is None:
            raise NameError(f"name {header.get('name')!r} is not defined")
        return True, wire.encode_value(fn(*args, **kwargs))
    except BaseException as err:  # noqa: BLE001 - SystemExit included: the judge records a failed call
        if isinstance(err, KeyboardInterrupt):
            _finish(1)
        try:
            return False, wire.encode_value(f"{type(err).__name__}: {err}"[:2000])
        except BaseException:  # noqa: BLE001 - str() of a hostile exception can raise anything
            return False, wire.encode_value("exception")
