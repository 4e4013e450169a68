"""Compare the conditions of a study: aggregate fits, per-level take-off compute, log-linear span, verdict.

    rlvr study runs/*difficulty_* --output docs/difficulty_study/    # results.json, aggregate.png, levels.png

Run folders whose configs differ only in `seed` form one condition, named by its `experiment` (e.g. the narrow
and broad presets of configs/sweeps/difficulty_study.yaml). See `rlvr.analysis.study` for every quantity.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", help="run folders (or folders containing run folders)")
    parser.add_argument("--output", required=True, help="folder for results.json and the PNGs")
    parser.add_argument("--benchmark", help="benchmark to study (default: the only one, or the one named *heldout*)")
    parser.add_argument("--draws", type=int, default=300, help="bootstrap replicates (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rlvr.analysis.study import study_runs
    from rlvr.analysis.study_plots import plot_study
    from rlvr.runfolder.folder import list_run_dirs
    from rlvr.runfolder.jsonl import write_json_atomic

    if args.draws < 20:
        raise ValueError(f"--draws must be at least 20 for a 95% interval, got {args.draws}")
    result = study_runs(list_run_dirs(args.runs), benchmark=args.benchmark, draws=args.draws, seed=args.seed)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for name, cond in result["conditions"].items():
        print(f"{name}: {len(cond['runs'])} run(s), pass@1 {cond['base_pass@1']:.3f} -> {cond['final_pass@1']:.3f}, "
              f"best {cond['best']}, log-linear within noise over {cond['loglinear_decades']:.2f} decades")
        for level, entry in cond["levels"].items():
            mid = f"C_mid {entry['C_mid']:.3g}" if entry["C_mid"] else entry.get("reason", "")
            print(f"  level {level}: base {entry['base_pass@1']:.3f} -> final {entry['final_pass@1']:.3f}; {mid}")
    print(result["verdict"])
    write_json_atomic(out / "results.json", result)
    print(f"wrote {out / 'results.json'}")
    for path in plot_study(result, out):
        print(f"wrote {path}")
    return 0
