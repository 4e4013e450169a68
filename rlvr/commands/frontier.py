"""Split one compute budget across pretraining, RL and test-time sampling: the Pareto frontier of total FLOPs.

    rlvr frontier runs/size_ladder/ --output docs/frontier                 # frontier.json + frontier.png
    rlvr frontier runs/size_ladder/ --output /tmp/f --problems-served 1e6 --metric maj@k

Every (model size, RL checkpoint, k) point of the runs (test_time.jsonl from `rlvr eval --samples`, and the RL
curve of evals.jsonl) is placed at total FLOPs = pretraining FLOPs of its base model + RL FLOPs of its checkpoint +
sampling FLOPs per problem at its k x --problems-served (default 10,000). Seeds of one config are averaged.
frontier.json lists every point (run, step, k and the three FLOPs parts), the frontier, the budget ranges where
each split wins and which axis (pretraining, RL, sampling) carries the largest share there. Method and format:
docs/frontier.md.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from rlvr.analysis.frontier import PROBLEMS_SERVED

    parser.add_argument("runs", nargs="+", help="run folders (one or more model sizes, seeds pooled), or parents")
    parser.add_argument("--output", required=True, metavar="DIR", help="write frontier.json and frontier.png here")
    parser.add_argument("--problems-served", default=str(PROBLEMS_SERVED), metavar="N",
                        help=f"problems the model answers after training (default {PROBLEMS_SERVED:,})")
    parser.add_argument("--metric", default="pass@k", help="pass@k (default) or maj@k")
    parser.add_argument("--benchmark", help="benchmark to use (default: the first one of the first run)")
    parser.add_argument("--bins-per-decade", type=int, default=4, help="budgets per decade in `budgets` (default 4)")


def run(args: argparse.Namespace) -> int:
    import math
    from pathlib import Path

    from rlvr.analysis.frontier import expand_runs, flops, frontier_runs, write_json
    from rlvr.analysis.frontier_plots import plot_frontier

    try:
        served = float(args.problems_served)
    except ValueError:
        served = math.nan
    if not (math.isfinite(served) and served > 0):
        raise ValueError(f"--problems-served must be a number > 0 (e.g. 1e4), got {args.problems_served!r}")
    if args.bins_per_decade < 1:
        raise ValueError(f"--bins-per-decade must be at least 1, got {args.bins_per_decade}")
    result = frontier_runs(expand_runs(args.runs), problems_served=served, metric=args.metric,
                           benchmark=args.benchmark, bins_per_decade=args.bins_per_decade)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    print(f"{result['benchmark']} {result['metric']}, {served:g} problems served: {len(result['points'])} points "
          f"from {len(result['sizes'])} model size(s), {len(result['frontier'])} on the frontier")
    for r in result["axis_ranges"]:
        end = flops(r["to_flops"]) if r["to_flops"] is not None else "beyond"
        print(f"  {flops(r['from_flops'])} to {end} FLOPs: {r['axis']} carries the largest share of the best split")
    print(f"wrote {write_json(out / 'frontier.json', result)}")
    print(f"wrote {plot_frontier(result, out / 'frontier.png')}")
    return 0
