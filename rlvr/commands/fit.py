"""Fit accuracy against RL compute: log-linear (slope per decade, 95% CI), sigmoid, power law; backtest; verdict.

    rlvr fit runs/20261122-demo-s0-1a2b3c4d
    rlvr fit runs/sweep-*/ --output docs/size_ladder_fit.json     # several groups (e.g. model sizes)

Runs that differ only in seed are pooled into one group (the bootstrap resamples runs). Each group's fit.json is
written into every run folder of the group; with --output all groups also go into one file. Exits non-zero with
a one-line reason when there are too few points (< 3 with compute > 0) or less than one decade of compute.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", help="run folders (or folders containing run folders)")
    parser.add_argument("--target", type=float, default=0.9, help="accuracy to extrapolate the compute for")
    parser.add_argument("--draws", type=int, default=300, help="bootstrap replicates")
    parser.add_argument("--output", help="also write all groups into this JSON file")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rlvr.fit import fit_runs, group_runs
    from rlvr.jsonl import write_json_atomic
    from rlvr.runfolder import list_run_dirs

    if not 0 < args.target < 1:
        raise ValueError(f"--target must be an accuracy strictly between 0 and 1, got {args.target}")
    if args.draws < 20:
        raise ValueError(f"--draws must be at least 20 for a 95% interval, got {args.draws}")
    groups = group_runs(list_run_dirs(args.runs))
    combined = []
    for runs in groups:
        result = fit_runs(runs, target=args.target, draws=args.draws, seed=args.seed)
        for run_dir in runs:
            write_json_atomic(Path(run_dir) / "fit.json", result)
        combined.append(result)
        for bench, entry in result["benchmarks"].items():
            ll = entry["loglinear"]
            ci = ll.get("ci95") or [float("nan")] * 2
            print(f"{', '.join(Path(r).name for r in runs)} [{bench}]: slope {ll['slope_per_decade']:+.3f}/decade "
                  f"(95% CI {ci[0]:+.3f}..{ci[1]:+.3f}), R^2 {ll['r2']:.2f}, best by backtest: {entry['best']}")
            print(f"  {entry['verdict']}")
    if args.output:
        write_json_atomic(Path(args.output), {"groups": combined})
    print("wrote fit.json into " + ", ".join(str(r) for g in groups for r in g))
    return 0
