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

`run_parallel(sweep, points, jobs)` runs up to `jobs` points at once (``rlvr sweep ... --jobs 2``): each child gets
one CPU thread (``OMP_NUM_THREADS=1``, as pretraining already uses: on a 2-core machine two 2-thread trainers
oversubscribe the cores), its output goes to ``<output_dir>/sweep-logs/<run name>.log``, and one combined
progress line (each running point's step from its metrics.jsonl) is printed as points start, finish, and every
`PROGRESS_SECONDS`. Skip and resume rules are those of the sequential loop: a complete run is skipped, a partial one
resumes.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rlvr.config import ExperimentConfig, load_config
from rlvr.errors import UserError
from rlvr.yamlio import load_yaml

__all__ = ["Sweep", "load_sweep", "SweepPoint", "run_parallel", "PROGRESS_SECONDS"]

PROGRESS_SECONDS = 30.0  # combined progress line at least this often while points run

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
    """A config value as one command-line token that `parse_overrides` reads back to the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value)):
        return json.dumps(value, separators=(", ", ": "))  # YAML flow: task_options presets, nested configs
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
        from rlvr.runfolder.folder import RunFolder

        cfg, overrides = self.config(point)
        return RunFolder.for_config(cfg, overrides).path

    def run_point(self, point: SweepPoint) -> int:
        """Run one point in a subprocess (resuming if interrupted); returns its exit status."""
        return subprocess.call(self.child_argv(point))

    def child_argv(self, point: SweepPoint) -> list[str]:
        return [sys.executable, "-m", "rlvr.cli", *point.argv(self.base)[1:]]


@dataclass
class _Running:
    point: SweepPoint
    run_dir: Path
    log: Path
    proc: subprocess.Popen
    started: float = field(default_factory=time.monotonic)


def _progress(job: _Running, max_steps: dict[int, int]) -> str:
    """'p3 120/256' from the last line of the run's metrics.jsonl ('p3 starting' before its first step)."""
    step = None
    try:
        with open(job.run_dir / "metrics.jsonl", "rb") as fh:
            fh.seek(max(0, fh.seek(0, 2) - 4096))
            for line in fh.read().splitlines()[::-1]:
                try:
                    step = json.loads(line)["step"]
                    break
                except (ValueError, KeyError, TypeError):
                    continue
    except OSError:
        pass
    if step is not None:
        return f"p{job.point.index} {step}/{max_steps[job.point.index]}"
    return f"p{job.point.index} {_pretraining(job.log) or 'starting'}"


_PRETRAIN_BAR = re.compile(rb"pretrain:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)")


def _pretraining(log: Path) -> str | None:
    """'pretraining 371/1500' from the pretraining progress bar at the end of a point's log, if it is there."""
    try:
        with open(log, "rb") as fh:
            fh.seek(max(0, fh.seek(0, 2) - 4096))
            found = _PRETRAIN_BAR.findall(fh.read())
    except OSError:
        return None
    return f"pretraining {int(found[-1][0])}/{int(found[-1][1])}" if found else None


def run_parallel(sweep: Sweep, points: list[SweepPoint], jobs: int, out=None) -> list[tuple[int, int]]:
    """Run `points` (none complete) with up to `jobs` at once; returns [(index, exit status)] of the failed ones."""
    from rlvr.runfolder.folder import RunFolder

    out = out or sys.stdout
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    waiting, running, failed, finished = list(points), [], [], 0
    max_steps = {p.index: sweep.config(p)[0].max_steps for p in points}
    run_dirs = {p.index: sweep.run_dir(p) for p in points}  # named once: naming loads the config
    say = lambda text: print(text, file=out, flush=True)  # noqa: E731
    last_report = time.monotonic()
    try:
        while waiting or running:
            for point in list(waiting):
                run_dir = run_dirs[point.index]
                if len(running) >= jobs:
                    break
                if run_dir in {j.run_dir for j in running}:  # one process per run folder: wait for the other
                    continue
                waiting.remove(point)
                if RunFolder(run_dir).is_complete():  # a duplicate point whose run just finished: skip, as in order
                    finished += 1
                    say(f"skipped p{point.index}: {run_dir} is complete")
                    continue
                log = run_dir.parent / "sweep-logs" / f"{run_dir.name}.log"
                log.parent.mkdir(parents=True, exist_ok=True)
                with open(log, "ab") as fh:
                    proc = subprocess.Popen(sweep.child_argv(point), stdout=fh, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=env)
                running.append(_Running(point, run_dir, log, proc))
                say(f"started p{point.index} ({len(running)} running, {len(waiting)} waiting); log: {log}")
            time.sleep(0.5)
            for job in [j for j in running if j.proc.poll() is not None]:
                running.remove(job)
                finished += 1
                code, seconds = job.proc.returncode, time.monotonic() - job.started
                if code == 0:
                    say(f"finished p{job.point.index} in {seconds:.0f} s ({finished}/{len(points)} done)")
                else:
                    failed.append((job.point.index, code))
                    say(f"point {job.point.index} failed with exit status {code} after {seconds:.0f} s; "
                        f"continuing. Last lines of {job.log}:\n{_tail(job.log)}")
            if running and time.monotonic() - last_report >= PROGRESS_SECONDS:
                last_report = time.monotonic()
                say(f"[sweep {finished}/{len(points)} done, {len(waiting)} waiting] "
                    + " | ".join(_progress(j, max_steps) for j in running))
    except BaseException:  # Ctrl-C or an error here: stop the children (they resume on the next sweep)
        for job in running:
            job.proc.terminate()
        for job in running:
            try:
                job.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                job.proc.kill()
        raise
    return failed


def _tail(path: Path, lines: int = 10) -> str:
    try:
        text = path.read_text(errors="replace").replace("\r", "\n")
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


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
