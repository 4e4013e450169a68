"""env.json: the exact software and hardware a run used, so numbers can be tied to a stack.

Records Python, the exact versions of torch / transformers / trl / datasets / accelerate / numpy / sympy and rlvr,
the git commit of the working tree and whether it had uncommitted changes, the host, the device and the command.
"""

from __future__ import annotations

import platform
import socket
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

__all__ = ["collect_env", "PACKAGES"]

PACKAGES = ("torch", "transformers", "trl", "datasets", "accelerate", "numpy", "scipy", "sympy", "tokenizers",
            "matplotlib", "pyyaml", "rlvr")


def _git(*args: str) -> str | None:
    repo = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def collect_env() -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    device = "cpu"
    try:
        import torch

        if torch.cuda.is_available():
            device = f"cuda:{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"
        versions["torch_threads"] = torch.get_num_threads()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    status = _git("status", "--porcelain")
    return {
        "python": sys.version.split()[0],
        "versions": versions,
        "git": {"sha": _git("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None},
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "device": device,
        "argv": sys.argv,
        "time": time.time(),
    }
