"""What this machine computes natively, read without torch (config loading stays torch-free)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["native_bf16"]

_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """True when this CPU computes bfloat16 matmuls in hardware (avx512_bf16 or amx_bf16: torch's oneDNN path is
    then about 2x fp32 at the tiny models' sizes); False elsewhere (emulated bf16 is slower than fp32) and where the
    CPU cannot be read (macOS, containers without /proc)."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return any(f in flags for f in _BF16_FLAGS)
    return False
