"""Sweeps: a grid of configs, each point its own run folder; completed runs are skipped, interrupted ones resume.

A sweep file names a base config, fixed overrides and a grid::

    base: configs/demo.yaml
    overrides: {max_steps: 128}
    grid:
      seed: [0, 1, 2]
      model:                       # a grid entry whose values are mappings sets several keys at once
        - {hidden_size: 64, num_layers: 2, intermediate_size: 256}
        - {hidden_size: 128, num_layers: 4, intermediate_size: 512}

`expand(sweep)` lists the points (cartesian product, in file order) as override lists; each runs as
``rlvr train BASE --key value ...`` in a subprocess, so a failure of one point never takes down the others and
every run is exactly what the printed command would do by hand (or on a SLURM array task with ``--index``).
"""

from __future__ import annotations

import itertools
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rlvr.config import ExperimentConfig, load_config
from rlvr.errors import UserError
from rlvr.yamlio import load_yaml

__all__ = ["Sweep", "load_sweep", "SweepPoint"]

_KEYS = {"base", "overrides", "grid"}
_FIELDS = set(ExperimentConfig.__dataclass_fields__)


@dataclass
class SweepPoint:
    index: int
    overrides: dict

    def argv(self, base: Path) -> list[str]:
        args = ["rlvr", "train", str(base)]
        for key, value in self.overrides.items():
            args += [f"--{key}", _cli_value(value)]
        return args


def _cli_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "null" if value is None else str(value)


@dataclass
class Sweep:
    path: Path
    base: Path
    points: list[SweepPoint]

    def command(self, point: SweepPoint) -> str:
        return shlex.join(point.argv(self.base))

    def config(self, point: SweepPoint):
        return load_config(self.base, point.argv(self.base)[3:])

    def run_dir(self, point: SweepPoint) -> Path:
        from rlvr.runfolder import RunFolder

        cfg, overrides = self.config(point)
        return RunFolder.for_config(cfg, overrides).path

    def run_point(self, point: SweepPoint) -> int:
        """Run one point in a subprocess (resuming if interrupted); returns its exit status."""
        argv = [sys.executable, "-m", "rlvr.cli", *point.argv(self.base)[1:]]
        return subprocess.call(argv)


def _check_key(key: str, where: str) -> None:
    if key not in _FIELDS:
        import difflib

        close = difflib.get_close_matches(key, sorted(_FIELDS), n=2)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UserError(f"{where}: unknown config key {key!r}.{hint}")


def load_sweep(path: str | Path) -> Sweep:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"sweep file {str(path)!r} not found")
    spec = load_yaml(path.read_text(), str(path))
    if not isinstance(spec, dict):
        raise UserError(f"{path} must be a mapping with keys base, overrides, grid")
    unknown = set(spec) - _KEYS
    if unknown:
        raise UserError(f"{path}: unknown sweep key(s) {sorted(unknown)}; allowed: base, overrides, grid")
    if "base" not in spec or not isinstance(spec["base"], str):
        raise UserError(f"{path}: 'base' must name the base config YAML, e.g. base: configs/demo.yaml")
    base = Path(spec["base"])
    if not base.is_file() and (path.parent / base).is_file():
        base = path.parent / base
    if not base.is_file():
        raise UserError(f"{path}: base config {spec['base']!r} not found")
    fixed = spec.get("overrides") or {}
    grid = spec.get("grid") or {}
    if not isinstance(fixed, dict) or not isinstance(grid, dict):
        raise UserError(f"{path}: 'overrides' and 'grid' must be mappings")
    for key in fixed:
        _check_key(key, f"{path} overrides")
    axes = []
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise UserError(f"{path}: grid entry {key!r} must be a non-empty list of values")
        options = []
        for value in values:
            if isinstance(value, dict):  # a preset: several keys at once
                for sub in value:
                    _check_key(sub, f"{path} grid entry {key!r}")
                options.append(dict(value))
            else:
                _check_key(key, f"{path} grid")
                options.append({key: value})
        axes.append(options)
    points = []
    for i, combo in enumerate(itertools.product(*axes) if axes else [()]):
        overrides = dict(fixed)
        for part in combo:
            overrides.update(part)
        points.append(SweepPoint(i, overrides))
    sweep = Sweep(path, base, points)
    for point in points:  # every point must be a valid config before anything runs
        try:
            sweep.config(point)
        except ValueError as err:
            raise UserError(f"{path}: point {point.index} ({point.overrides}) is not a valid config: {err}") from None
    return sweep
