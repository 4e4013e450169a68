"""Forecast held-out accuracy at larger RL compute from a run's beginning, and check forecasts against runs.

    rlvr forecast runs/demo-s0-* --fit-decades 1 --at 1e13,5e13       # forecast.json in the run folder
    rlvr forecast docs/demo --fit-until 2e11 --at 1e12 --output out/   # a folder holding just evals.jsonl works
    rlvr forecast --calibrate docs/demo docs/code_demo docs/reasoning_gym --output docs/forecast/

A forecast fits only the evaluations with compute <= the cut (--fit-until FLOPS, or --fit-decades D above the
first evaluation), chooses the family by a backtest on those points, and gives a 95% predictive interval
(bootstrap over seeds and problems, plus the noise of the evaluation that will check it). Where the run has data
past the cut, the observed value and whether it fell inside are added. --calibrate makes forecasts from the
first decade and from the first half of every run, for every later evaluation, and writes calibration.json and
calibration.png (coverage, median absolute error, per family; the widening factor). See docs/forecast.md.
"""

from __future__ import annotations

import argparse

FORECAST, CALIBRATION = "forecast.json", "calibration.json"
# Interval half-widths are multiplied by this by default: the factor at which the raw intervals of every run this
# project has reach 95% coverage (`widen_all` of docs/forecast/calibration.json, made by the command in
# docs/forecast.md; tests/test_forecast.py fails when the two drift apart). --widen 1 gives the raw intervals.
DEFAULT_WIDEN = 2.8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", help="run folders, folders of run folders, or folders with evals.jsonl")
    cut = parser.add_mutually_exclusive_group()
    cut.add_argument("--fit-until", type=float, help="fit on evaluations with compute <= this many FLOPs")
    cut.add_argument("--fit-decades", type=float, help="fit on the first D decades above the first evaluation")
    parser.add_argument("--at", help="target RL compute(s) in FLOPs, comma-separated, e.g. 1e13,5e13")
    parser.add_argument("--calibrate", action="store_true", help="backtest forecasts over the runs (needs --output)")
    parser.add_argument("--output", help="folder for forecast.json / calibration.json (default: each run folder)")
    parser.add_argument("--family", choices=("loglinear", "sigmoid", "powerlaw"), help="force one family "
                        "(default: the backtest on the fitting points chooses)")
    parser.add_argument("--widen", type=float, default=DEFAULT_WIDEN, help="multiply interval half-widths "
                        f"(default {DEFAULT_WIDEN}, calibrated on this project's runs: docs/forecast.md; 1 = raw)")
    parser.add_argument("--draws", type=int, default=300, help="bootstrap replicates (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")


def _targets(text: str | None) -> list[float]:
    if not text:
        raise ValueError("--at is missing: give the target RL compute in FLOPs, e.g. --at 1e13 or --at 1e13,5e13")
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"--at {part!r} is not a number; give FLOPs like 1e13") from None
        if not value > 0 or value != value or value == float("inf"):
            raise ValueError(f"--at {part!r} must be a positive, finite number of FLOPs")
        out.append(value)
    return out


def _check_args(args) -> None:
    if args.draws < 20:
        raise ValueError(f"--draws must be at least 20 for a 95% interval, got {args.draws}")
    if not args.widen >= 1.0:
        raise ValueError(f"--widen must be >= 1 (it only widens intervals), got {args.widen}")
    if args.calibrate:
        if not args.output:
            raise ValueError("--calibrate needs --output DIR for calibration.json and calibration.png")
        if args.at or args.fit_until is not None or args.fit_decades is not None:
            raise ValueError("--calibrate chooses its own cuts and targets; drop --at / --fit-until / --fit-decades")
        return
    if args.fit_until is None and args.fit_decades is None:
        raise ValueError("give the cut: --fit-until FLOPS or --fit-decades D (e.g. --fit-decades 1)")
    if args.fit_until is not None and not args.fit_until > 0:
        raise ValueError(f"--fit-until must be a positive number of FLOPs, got {args.fit_until}")
    if args.fit_decades is not None and not args.fit_decades > 0:
        raise ValueError(f"--fit-decades must be positive, got {args.fit_decades}")


def _tasks(runs) -> None:
    from rlvr.analysis.fit import _config

    tasks = {str(r): _config(r).get("task") for r in runs}
    known = {t for t in tasks.values() if t is not None}
    if len(known) > 1:
        shown = ", ".join(f"{r} ({t})" for r, t in tasks.items())
        raise ValueError(f"runs of different tasks cannot be forecast together: {shown}; give one task's runs")


def _calibrate(args, runs) -> int:
    from pathlib import Path

    from rlvr.analysis.calibration import calibrate
    from rlvr.analysis.forecast_plots import plot_calibration
    from rlvr.runfolder.jsonl import write_json_atomic

    result = calibrate(runs, draws=args.draws, seed=args.seed)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / CALIBRATION, result)
    plot_calibration(result, out / "calibration.png")
    for label, fig in (("raw", result["raw"]), ("widened", result["widened"])):
        print(f"{label}: {fig['forecasts']} forecasts, 95% interval coverage {fig['coverage95']:.2f}, "
              f"median |error| {fig['median_abs_error']:.3f}")
        for fam, f in fig["per_family"].items():
            print(f"  {fam}: {f['forecasts']} forecasts, coverage {f['coverage95']:.2f}, "
                  f"median |error| {f['median_abs_error']:.3f}")
    first = result["first_decade"]
    print(f"from the first decade: {first['forecasts']} forecasts, coverage {first['coverage95']:.2f} raw, "
          f"{first['widened']['coverage95']:.2f} widened, median |error| {first['median_abs_error']:.3f}")
    for fam, f in first["per_family"].items():
        print(f"  {fam}: {f['forecasts']} forecasts, coverage {f['coverage95']:.2f}, "
              f"median |error| {f['median_abs_error']:.3f}")
    print(f"widening factor for new runs (all runs): {result['widen_all']}")
    for why in result["skipped"]:
        print(f"skipped: {why}")
    print(f"wrote {out / CALIBRATION} and {out / 'calibration.png'}")
    return 0


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rlvr.analysis.fit import group_runs, load_points
    from rlvr.analysis.forecast import cut_of, forecast_points, sentence
    from rlvr.runfolder.folder import list_run_dirs
    from rlvr.runfolder.jsonl import write_json_atomic

    _check_args(args)
    runs = list_run_dirs(args.runs)
    if args.calibrate:  # each folder is forecast and scored alone (never pooled), so runs of any task mix
        return _calibrate(args, runs)
    _tasks(runs)
    targets = _targets(args.at)
    with_config = [r for r in runs if (Path(r) / "config.yaml").is_file()]
    # A folder holding only evals.jsonl (docs/demo) says nothing of its config: it is never pooled as a seed.
    groups = group_runs(with_config) + [[r] for r in runs if r not in with_config]
    results = []
    for group in groups:
        names = [str(r) for r in group]
        label = ", ".join(names)
        result = {"runs": names, "fit_until": args.fit_until, "fit_decades": args.fit_decades, "benchmarks": {}}
        for bench, p in load_points(group).items():
            cut = cut_of(p, args.fit_until, args.fit_decades)
            try:
                entry = forecast_points(p, cut, targets, args.draws, args.seed, args.family, args.widen, names)
            except ValueError as err:
                raise ValueError(f"{label} [{bench}]: {err}") from None
            result["benchmarks"][bench] = {**entry, "sentence": sentence(bench, entry)}
            print(sentence(bench, entry))
            if not any("observed" in t for t in entry["targets"]) and not (p.compute > cut).any():
                print(f"  ({label} has no evaluation past the cut: nothing to check the forecast against yet)")
        results.append(result)
        for dest in ([] if args.output else group):
            write_json_atomic(Path(dest) / FORECAST, result)
            print(f"wrote {Path(dest) / FORECAST}")
    if args.output:  # one file: the group's result, or every group's under "groups"
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out / FORECAST, results[0] if len(results) == 1 else {"groups": results})
        print(f"wrote {out / FORECAST}")
    return 0
