"""Starting a launcher process (see `launcher.py`), and starting one early, before the verifier exists.

`spawn` starts the launcher's interpreter and returns at once: the caller waits for its first message later
(`client.Sandbox`), so the launcher's start-up (a fresh interpreter, its imports, the jail's root) overlaps
whatever the caller does meanwhile. A launcher depends only on this interpreter and the isolation mode, never on
a verifier's options, so `rlvr verify --verifier code` calls `prestart` before it imports the verifiers (the
slowest part of its own start-up); the first `Sandbox` takes that launcher over (`take_early`), and one nobody took
is killed at exit.

Standard library only: `rlvr verify` loads this file before the `verifiers` package is imported.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass

__all__ = ["Pending", "spawn", "prestart", "take_early", "isolation_mode"]

# The launcher's environment at start: the hash seed is fixed when an interpreter starts (and every run inherits
# the launcher's), so it must be set here; `child.prepare_interpreter` then sets the runs' whole environment.
_LAUNCHER_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}

# The launcher imports only the sandbox modules: `verifiers` and `verifiers._sandbox` are stand-in packages, so their
# __init__ (the registry, every verifier, the client) never runs there. A smaller launcher is cheaper to fork. It
# starts without `site` (-S: no .pth processing, which only serves editable installs and costs 20 ms); this
# interpreter's site-packages directories are put on its sys.path directly, so a solution can import numpy.
_LAUNCHER_PROGRAM = """\
import os, sys, types
sys.path.extend(p for p in {site_dirs!r} if p not in sys.path)
for name, path in (("verifiers", os.path.dirname({sandbox!r})), ("verifiers._sandbox", {sandbox!r})):
    sys.modules[name] = module = types.ModuleType(name)
    module.__path__ = [path]
from verifiers._sandbox.launcher import main
main({fd}, {root!r}, {site_dirs!r}, {mode!r})
"""

_early: Pending | None = None


def _site_dirs() -> list[str]:
    """This interpreter's site-packages, and those on its path (PYTHONPATH, a virtualenv's, the user's)."""
    paths = sysconfig.get_paths()
    extra = [p for p in sys.path if os.path.basename(os.path.normpath(p)) in ("site-packages", "dist-packages")]
    return list(dict.fromkeys([paths["purelib"], paths["platlib"], *extra]))


def isolation_mode() -> str:
    """``root`` when this process is root of the machine (the initial user namespace, where throw-away uids
    exist), else ``userns``: an ordinary user, or root of a container's user namespace (rootless containers)."""
    if os.geteuid() != 0:
        return "userns"
    try:
        with open("/proc/self/uid_map") as fh:
            full = fh.read().split() == ["0", "0", "4294967295"]
    except OSError:
        full = False
    return "root" if full else "userns"


@dataclass
class Pending:
    """A launcher started but not yet known to be ready: its process, our end of its control socket, the empty
    mount point of its jail and its stderr (shown if it fails)."""

    proc: subprocess.Popen
    control: socket.socket
    root: str
    log: object
    mode: str

    def discard(self) -> None:
        self.control.close()
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)


def spawn(mode: str) -> Pending:
    """Start a launcher in `mode` (``root`` or ``userns``); returns without waiting for it."""
    root = tempfile.mkdtemp(prefix="rlvr-jail-")  # an empty mount point, private to each run
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    log = tempfile.TemporaryFile()
    program = _LAUNCHER_PROGRAM.format(sandbox=os.path.dirname(os.path.abspath(__file__)), fd=theirs.fileno(),
                                       root=root, site_dirs=_site_dirs(), mode=mode)
    try:
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", program], pass_fds=(theirs.fileno(),),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                env=dict(_LAUNCHER_ENV), cwd="/")
    except BaseException:
        ours.close()
        log.close()
        shutil.rmtree(root, ignore_errors=True)
        raise
    finally:
        theirs.close()
    return Pending(proc, ours, root, log, mode)


def prestart() -> None:
    """Start a launcher now for the first `Sandbox` of this process to take (Linux only; a no-op elsewhere or
    when one is already waiting). Anything that goes wrong is left for that `Sandbox` to meet and report."""
    global _early
    if _early is None and sys.platform.startswith("linux"):
        try:
            _early = spawn(isolation_mode())
        except OSError:
            return
        atexit.register(_discard_early)


def take_early(mode: str) -> Pending | None:
    """The launcher `prestart` started, if there is one for `mode` (then it is the caller's)."""
    global _early
    early, _early = _early, None
    if early is not None and early.mode != mode:
        early.discard()
        return None
    return early


def _discard_early() -> None:
    early = take_early("")
    if early is not None:
        early.discard()
