"""Resource budgets of one sandboxed run, validated where they enter (options, environment variables).

A limit of 0, a negative number, None, NaN or a non-numeric string would silently *disable* a limit in many
harnesses (EvalPlus treats -1 as "no limit"); here every one of them is a `ValueError` naming the knob and
the accepted range. Environment variables (``RLVR_CODE_<FIELD>``, e.g. ``RLVR_CODE_WALL_SECONDS=4``) override the
defaults and are parsed and range-checked the same way, at construction time, never later.

The budgets are for the child alone: memory is measured from the child's own baseline (a fork of the small
launcher), so a correct solution that imports numpy, runs a few threads or prints a 5,000-digit integer fits.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass, field, fields

__all__ = ["Limits", "ENV_PREFIX", "JAIL_UIDS", "fresh_uid"]

ENV_PREFIX = "RLVR_CODE_"
_MiB = 1 << 20
_PACKED = struct.Struct("<d7q")  # wall_seconds, then the integer limits in field order
JAIL_UIDS = range(0x20000000, 0x30000000)  # uids (and gids) of jailed processes: no account uses them


def fresh_uid() -> int:
    """A uid no account uses, different for every run, so RLIMIT_NPROC counts this run alone."""
    return JAIL_UIDS.start + int.from_bytes(os.urandom(4), "little") % len(JAIL_UIDS)


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = field(default=6.0, metadata={
        "help": "wall-clock limit of one run (a whole function-style submission, or one stdin/stdout case), "
                "enforced by the trusted verifier with SIGKILL", "range": (0.05, 3600.0)})
    cpu_seconds: int = field(default=5, metadata={
        "help": "RLIMIT_CPU of the candidate (SIGXCPU, then SIGKILL)", "range": (1, 3600)})
    memory_bytes: int = field(default=1024 * _MiB, metadata={
        "help": "address-space budget of the candidate above its own baseline (RLIMIT_AS)",
        "range": (32 * _MiB, 1 << 40)})
    output_bytes: int = field(default=4 * _MiB, metadata={
        "help": "stdout + stderr bytes read from one run; more is `output_limit`", "range": (1024, 1 << 30)})
    file_bytes: int = field(default=16 * _MiB, metadata={
        "help": "largest file the candidate may write (RLIMIT_FSIZE)", "range": (4096, 1 << 34)})
    tmp_bytes: int = field(default=64 * _MiB, metadata={
        "help": "size of the candidate's private tmpfs /tmp (its only writable place)", "range": (1 << 16, 1 << 34)})
    processes: int = field(default=32, metadata={
        "help": "tasks (processes + threads) one run may hold (RLIMIT_NPROC, counted per run: a fresh uid as "
                "root, a user namespace of its own otherwise)",
        "range": (2, 4096)})
    open_files: int = field(default=256, metadata={
        "help": "RLIMIT_NOFILE of the candidate", "range": (16, 65536)})

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _check(f.name, getattr(self, f.name), f.type, f.metadata["range"]))

    @classmethod
    def from_env(cls, environ=None, env_wins: bool = False, **overrides) -> Limits:
        """Defaults, then ``RLVR_CODE_*`` environment variables, then explicit keyword `overrides`
        (with `env_wins`: defaults, then `overrides`, then the environment)."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            key = ENV_PREFIX + f.name.upper()
            if key in environ:
                values[f.name] = _parse(key, environ[key])
        unknown = set(overrides) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown sandbox limit(s) {sorted(unknown)}; known: {[f.name for f in fields(cls)]}")
        values = {**values, **overrides} if not env_wins else {**overrides, **values}
        return cls(**values)

    def pack(self) -> bytes:
        return _PACKED.pack(*(getattr(self, name) for name in _NAMES))

    @classmethod
    def unpack(cls, data: bytes) -> Limits:
        """The inverse of `pack`, without re-validation (`pack` took validated values): cheap in a fresh run."""
        limits = object.__new__(cls)
        for name, value in zip(_NAMES, _PACKED.unpack(data), strict=True):
            object.__setattr__(limits, name, value)
        return limits


_NAMES = tuple(f.name for f in fields(Limits))
PACKED_SIZE = _PACKED.size


def _parse(key: str, text: str) -> float:
    try:
        return float(str(text).strip())
    except ValueError:
        raise ValueError(f"environment variable {key}={text!r} is not a number; unset it or give a positive "
                         f"number") from None


def _check(name: str, value, kind: str, bounds: tuple) -> float | int:
    lo, hi = bounds
    fix = f"give a number in [{lo}, {hi}]"
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"sandbox limit {name}={value!r} must be a number ({fix}); None or 0 would disable it")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"sandbox limit {name}={value!r} must be positive and finite ({fix}); "
                         f"0, negative or infinite values would disable the limit")
    if not lo <= value <= hi:
        raise ValueError(f"sandbox limit {name}={value!r} is out of range; {fix}")
    if kind == "int":
        if value != int(value):
            raise ValueError(f"sandbox limit {name}={value!r} must be a whole number")
        return int(value)
    return float(value)
