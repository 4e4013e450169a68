"""Plot held-out accuracy (with fits) and training reward against RL compute.

    rlvr plot runs/20261122-demo-s0-1a2b3c4d                     # PNGs into the run folder
    rlvr plot runs/size_ladder/ --output docs/                    # several runs/sizes overlaid

Run `rlvr fit` first to draw the fitted curves (without fit.json only the points are drawn).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", help="run folders (or folders containing run folders)")
    parser.add_argument("--output", help="folder for the PNGs (default: the run folder, for a single run)")
    parser.add_argument("--no-families", action="store_true", help="draw only the log-linear fit")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rlvr.analysis.plots import plot_runs
    from rlvr.runfolder.folder import list_run_dirs

    runs = list_run_dirs(args.runs)
    if args.output:
        out = Path(args.output)
    elif len(runs) == 1:
        out = runs[0]
    else:
        raise ValueError("several runs: pass --output DIR for the PNGs")
    for path in plot_runs(runs, out, families=not args.no_families):
        print(f"wrote {path}")
    return 0
