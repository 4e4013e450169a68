"""Run folders: naming, lookup, and the "complete" marker.

A run folder is named ``<YYYYMMDD>-<experiment>[-<key>=<value>...]-s<seed>-<hash>`` where ``hash`` is a short
hash of the fully resolved config (everything but where it is written). Re-running the same command finds the
folder with the same hash under ``output_dir`` (whatever its date) and resumes it, so a run's identity is its
config, not the day it started. ``summary.json`` is written last: its presence means the run is complete.

    cfg, overrides = load_config("configs/demo.yaml", ["--seed", "1"])
    run_dir = find_or_name_run_dir(cfg, overrides)   # runs/20261122-demo-seed=1-s1-3fa2b1c0
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from rlvr.config import ExperimentConfig, config_hash

__all__ = ["identity_hash", "find_or_name_run_dir", "is_complete", "SUMMARY", "CONFIG", "list_run_dirs"]

SUMMARY = "summary.json"
CONFIG = "config.yaml"
# Keys that say where a run is written, not what it is.
_LOCATION_KEYS = {"output_dir", "run_dir", "cache_dir"}
_MAX_SHOWN = 3  # overrides spelled out in a folder name; keeps names readable


def identity_hash(cfg: ExperimentConfig) -> str:
    """Hash of the values that differ from the defaults (location keys excluded). Keys added to the config later
    with a default therefore leave existing runs' identities, and their resumability, unchanged."""
    defaults = ExperimentConfig().to_dict()
    values = {k: v for k, v in cfg.to_dict().items() if k not in _LOCATION_KEYS and v != defaults.get(k)}
    return config_hash(values)


def _slug(value) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", str(value))[:24]


def find_or_name_run_dir(cfg: ExperimentConfig, overrides: dict | None = None) -> Path:
    """The run folder for `cfg`: `cfg.run_dir` if set, else an existing folder with the same config hash, else a
    new name (not created here)."""
    if cfg.run_dir:
        return Path(cfg.run_dir)
    parent = Path(cfg.output_dir)
    digest = identity_hash(cfg)
    if parent.is_dir():
        matches = sorted(p for p in parent.iterdir() if p.is_dir() and p.name.endswith(f"-{digest}"))
        if matches:
            return matches[-1]
    shown = {k: v for k, v in (overrides or {}).items() if k not in _LOCATION_KEYS | {"seed", "experiment"}}
    parts = [time.strftime("%Y%m%d"), _slug(cfg.experiment)]
    parts += [f"{_slug(k)}={_slug(v)}" for k, v in sorted(shown.items())[:_MAX_SHOWN]]  # the hash says the rest
    parts += [f"s{cfg.seed}", digest]
    return parent / "-".join(parts)


def is_complete(run_dir: str | Path) -> bool:
    return (Path(run_dir) / SUMMARY).is_file()


def list_run_dirs(paths: list[str | Path]) -> list[Path]:
    """Expand the arguments of `rlvr fit/plot`: run folders, or parents of run folders."""
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise FileNotFoundError(f"run folder {str(p)!r} does not exist")
        if (p / "evals.jsonl").exists() or (p / CONFIG).exists():
            out.append(p)
        else:
            children = sorted(c for c in p.iterdir() if (c / "evals.jsonl").exists())
            if not children:
                raise ValueError(f"{str(p)!r} is not a run folder (no evals.jsonl) and contains none")
            out.extend(children)
    return out
