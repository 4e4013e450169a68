"""Fit accuracy against RL compute: log-linear (slope per decade, 95% CI), sigmoid, power law; backtest; verdict.

    rlvr fit runs/20261122-demo-s0-1a2b3c4d                     # writes runs/.../fit.json
    rlvr fit runs/demo-s0-* runs/demo-s1-* runs/demo-s2-*        # seeds pooled: one fit, into each run folder
    rlvr fit runs/size_ladder/ --output docs/size_ladder_fit.json   # several groups (e.g. model sizes)

Where fit.json goes: runs whose configs differ only in `seed` form one group, fitted together (the bootstrap
resamples runs); the group's fit.json is written into every run folder of the group, so each folder stays
self-describing. `--output FILE` also writes every group into one file ({"groups": [...]}); `--no-write` writes
only that file. Exit status: 0 when everything was fitted; 2 with a one-line reason when a benchmark or group has
too few points (< 3 with compute > 0) or less than one decade of compute (the others are still written).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", help="run folders (or folders containing run folders)")
    parser.add_argument("--target", type=float, default=0.9, help="accuracy to extrapolate the compute for "
                                                                  "(default 0.9)")
    parser.add_argument("--draws", type=int, default=300, help="bootstrap replicates (default 300)")
    parser.add_argument("--output", help="also write all groups into this JSON file")
    parser.add_argument("--no-write", action="store_true", help="do not write fit.json into the run folders "
                                                                "(needs --output)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")


def _report(runs, result) -> list[str]:
    """Print the summary of one group; return the error lines."""
    from pathlib import Path

    names = ", ".join(Path(r).name for r in runs)
    errors = []
    for bench, entry in result["benchmarks"].items():
        if "error" in entry:
            errors.append(f"{names} [{bench}]: {entry['error']}")
            continue
        ll = entry["loglinear"]
        ci = ll.get("ci95") or [float("nan")] * 2
        print(f"{names} [{bench}]: slope {ll['slope_per_decade']:+.3f}/decade (95% CI {ci[0]:+.3f}..{ci[1]:+.3f}), "
              f"R^2 {ll['r2']:.2f}, best by backtest: {entry['best']}")
        print(f"  {entry['verdict']}")
    return errors


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rlvr.analysis.fit import fit_runs, group_runs
    from rlvr.runfolder.folder import FIT, RunFolder, list_run_dirs
    from rlvr.runfolder.jsonl import write_json_atomic

    if not 0 < args.target < 1:
        raise ValueError(f"--target must be an accuracy strictly between 0 and 1, got {args.target}")
    if args.draws < 20:
        raise ValueError(f"--draws must be at least 20 for a 95% interval, got {args.draws}")
    if args.no_write and not args.output:
        raise ValueError("--no-write needs --output FILE, or nothing would be written")
    groups = group_runs(list_run_dirs(args.runs))
    combined, errors, written = [], [], []
    for runs in groups:
        try:
            result = fit_runs(runs, target=args.target, draws=args.draws, seed=args.seed)
        except ValueError as err:
            if len(groups) == 1:
                raise
            errors.append(f"{', '.join(Path(r).name for r in runs)}: {err}")
            continue
        errors += _report(runs, result)
        if not args.no_write:
            for run_dir in runs:
                written.append(str(RunFolder(run_dir).write_json(FIT, result)))
        combined.append(result)
    if args.output and combined:
        write_json_atomic(Path(args.output), {"groups": combined})
        written.append(args.output)
    for path in written:
        print(f"wrote {path}")
    for line in errors:
        print(f"rlvr fit: error: {line}", file=sys.stderr)
    return 2 if errors else 0
