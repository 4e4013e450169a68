"""Run a grid of experiments, one run folder per point; completed runs are skipped, interrupted ones resume.

    rlvr sweep configs/sweeps/size_ladder.yaml            # run every point here, one after another
    rlvr sweep configs/sweeps/size_ladder.yaml --jobs 2   # two points at once, one CPU thread each
    rlvr sweep configs/sweeps/size_ladder.yaml --list     # one shell command per point (for any scheduler)
    rlvr sweep configs/sweeps/size_ladder.yaml --index 3  # run only point 3 (e.g. $SLURM_ARRAY_TASK_ID)

A failing point does not stop the others; the exit status is non-zero if any point failed. With ``--jobs N`` (N > 1)
each point's output goes to a log file beside its run folder and one combined progress line is printed instead.
"""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sweep", help="sweep YAML (base, overrides, grid)")
    parser.add_argument("--list", action="store_true", help="print one `rlvr train` command per point and exit")
    parser.add_argument("--index", type=int, help="run only this point (0-based)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="points run at once, each in its own process with one CPU thread (default 1)")
    parser.add_argument("--dry-run", action="store_true", help="show each point's run folder and status; run nothing")


def _reader_left() -> int:
    """`rlvr sweep X --list | head -1`: the reader closed the pipe. End quietly (no traceback at exit either)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BrokenPipeError:
        if args.list or args.dry_run:
            return _reader_left()
        raise


def _run(args: argparse.Namespace) -> int:
    from rlvr.runfolder.folder import RunFolder
    from rlvr.training.sweep import load_sweep, run_parallel

    if args.jobs < 1:
        raise ValueError(f"--jobs {args.jobs} must be 1 or more (points run at once)")
    sweep = load_sweep(args.sweep)
    if args.list:
        for point in sweep.points:
            print(sweep.command(point), flush=True)
        return 0
    points = sweep.points
    if args.index is not None:
        if not 0 <= args.index < len(points):
            raise ValueError(f"--index {args.index} is out of range: the sweep has {len(points)} points (0.."
                             f"{len(points) - 1})")
        points = [points[args.index]]
    failed, todo = [], []
    for point in points:
        run_dir = sweep.run_dir(point)
        status = "complete" if RunFolder(run_dir).is_complete() else ("partial" if run_dir.exists() else "new")
        print(f"[{point.index + 1}/{len(sweep.points)}] {status:8s} {run_dir}  <- {sweep.command(point)}", flush=True)
        if args.dry_run or status == "complete":
            continue
        if args.jobs > 1:
            todo.append(point)
            continue
        code = sweep.run_point(point)
        if code != 0:
            failed.append((point.index, code))
            print(f"point {point.index} failed with exit status {code}; continuing", flush=True)
    if todo:
        failed = run_parallel(sweep, todo, args.jobs)
    if failed:
        print(f"{len(failed)} point(s) failed: {failed}")
        return 1
    return 0
