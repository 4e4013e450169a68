"""Shared helpers for the code-verifier tests: references and "nothing survived" probes (not a test module)."""

from __future__ import annotations

import importlib.util
import json
import os

from verifiers._sandbox.limits import JAIL_UIDS  # fresh_uid draws the jailed processes' uids from here


def load_bench(name: str):
    """Import `bench/<name>.py` as a module (bench/ is a folder of scripts, not a package)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", f"{name}.py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fn_ref(test: str, entry_point: str) -> str:
    return json.dumps({"test": test, "entry_point": entry_point})


def io_ref(*cases: tuple[str, str]) -> str:
    return json.dumps({"stdin_stdout": [{"input": i, "output": o} for i, o in cases]})


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return int(fh.read().rsplit(b")", 1)[1].split()[1])
    except OSError:
        return 0


def jailed_processes(ancestor: int | None = None) -> list[int]:
    """Live jailed processes (candidates and judges): with `ancestor` (a launcher), every process descended from
    it, whatever its uid (in userns mode they run under the caller's own uid; other sandboxes on a shared machine
    are not ours); without, every process under a jail uid (root mode). Must hold only idle judges between
    verdicts."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == ancestor:
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                uid = next(int(line.split()[1]) for line in fh if line.startswith(b"Uid:"))
        except (OSError, StopIteration):
            continue
        if ancestor is None and uid not in JAIL_UIDS:
            continue
        pid = int(name)
        while ancestor is not None and pid > 1 and pid != ancestor:
            pid = _ppid(pid)
        if ancestor is None or pid == ancestor:
            pids.append(int(name))
    return pids


def children_of(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(name))
    return out


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))
