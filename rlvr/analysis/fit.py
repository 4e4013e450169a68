"""`rlvr fit`: fit, bootstrap, backtest and judge accuracy against RL compute for one or more run folders.

    result = fit_runs([Path("runs/...-s0-..."), Path("runs/...-s1-...")])   # one group (seeds pooled)

Runs whose configs differ only in `seed` (and where they are written) form one group; their points are pooled
and the bootstrap resamples whole runs, so the interval reflects the spread between seeds as well as each point's
binomial noise. Per benchmark the result holds the three families of `rlvr.analysis.families`, the backtest,
the best family (lowest backtest error), a one-sentence verdict (`rlvr.analysis.verdict`), the extrapolated
compute to reach a target
accuracy (by the best family, and `by_family` for all three, each with its bootstrap interval), the curvature of a
quadratic in log C and a summary of the points. Sigmoid fitting is in `rlvr.analysis.sigmoid`, the bootstrap in
`rlvr.analysis.bootstrap`, the families and the backtest in `rlvr.analysis.families`.
Every benchmark of the runs is fitted and judged, and so is each subset (a row's ``subsets`` table, e.g. a
difficulty level) with enough points, under the benchmark's ``subsets`` key.
Too few points (fewer than 3 with compute > 0) or less than one decade of compute raise a ValueError with the
reason; the CLI turns it into a one-line message and a non-zero exit.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from rlvr.analysis.bootstrap import percentile_interval
from rlvr.runfolder.folder import CONFIG, EVALS, RunFolder
from rlvr.runfolder.jsonl import latest_per_key

__all__ = ["load_points", "load_subset_points", "fit_points", "fit_runs", "group_runs", "MIN_POINTS", "MIN_DECADES"]

MIN_POINTS = 3
MIN_DECADES = 1.0
DRAWS = 300


def _config(run_dir: Path) -> dict:
    from rlvr.yamlio import load_yaml

    path = run_dir / CONFIG
    return (load_yaml(path.read_text(), str(path)) or {}) if path.exists() else {}


def group_runs(run_dirs: list[Path]) -> list[list[Path]]:
    """Group run folders whose configs are equal except for seed and location keys."""
    groups: dict[str, list[Path]] = defaultdict(list)
    for run in run_dirs:
        cfg = {k: v for k, v in _config(run).items() if k not in ("seed", "output_dir", "run_dir", "cache_dir")}
        groups[repr(sorted(cfg.items(), key=lambda kv: kv[0]))].append(run)
    return list(groups.values())


def load_subset_points(run_dirs: list[Path]):
    """{benchmark: {subset value: Points}} from the rows' ``subsets`` tables (rows without one are skipped)."""
    from rlvr.analysis.families import Points

    per: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for index, run in enumerate(run_dirs):
        for row in latest_per_key(RunFolder(run).read(EVALS), ("step", "benchmark")):
            for value, cell in (row.get("subsets") or {}).items():
                try:
                    point = (float(row["compute_flops"]), float(cell["pass@1"]), float(cell.get("n") or 1), index)
                except (KeyError, TypeError, ValueError):
                    continue
                per[str(row.get("benchmark", "heldout"))][str(value)].append(point)
    out = {}
    for bench, subsets in per.items():
        out[bench] = {}
        for value, pts in subsets.items():
            arr = np.array(pts, dtype=float)
            out[bench][value] = Points(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3].astype(int))
    return out


def load_points(run_dirs: list[Path]):
    """{benchmark: Points} pooled over `run_dirs` (the last attempt of each step wins)."""
    from rlvr.analysis.families import Points

    per_bench: dict[str, list[tuple[float, float, float, int]]] = defaultdict(list)
    for index, run in enumerate(run_dirs):
        rows = latest_per_key(RunFolder(run).read(EVALS), ("step", "benchmark"))
        if not rows:
            raise ValueError(f"{run} has no evaluations in evals.jsonl; train it first (rlvr train)")
        for row in rows:
            try:
                compute, acc, n = float(row["compute_flops"]), float(row["pass@1"]), float(row.get("n") or 1)
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"{run}/evals.jsonl has a row without numeric compute_flops/pass@1: {row}") from None
            if not (math.isfinite(compute) and compute >= 0 and 0 <= acc <= 1):
                raise ValueError(f"{run}/evals.jsonl: compute_flops must be >= 0 and pass@1 in [0, 1], got {row}")
            per_bench[str(row.get("benchmark", "heldout"))].append((compute, acc, n, index))
    out = {}
    for bench, pts in per_bench.items():
        arr = np.array(pts, dtype=float)
        out[bench] = Points(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3].astype(int))
    return out


def _check_enough(p, bench: str) -> None:
    trained = p.compute[p.trained]
    if len(np.unique(trained)) < MIN_POINTS:
        raise ValueError(f"benchmark {bench!r} has {len(np.unique(trained))} evaluation point(s) with compute > 0; "
                         f"a fit needs at least {MIN_POINTS}. Train longer or raise eval_points_per_decade.")
    decades = math.log10(trained.max() / trained.min())
    if decades < MIN_DECADES:
        raise ValueError(f"benchmark {bench!r} spans {decades:.2f} decades of RL compute; a fit needs at least "
                         f"{MIN_DECADES:g}. Train for more steps (10x the compute of the first evaluation).")


def _compute_to_reach(family: str, params: dict, target: float) -> float | None:
    """Compute at which `family` predicts `target` accuracy (None if never, or beyond 1e300 FLOPs)."""
    log10_c = None
    if family == "loglinear":
        b = params["slope_per_decade"]
        log10_c = (target - params["intercept"]) / b if b > 0 else None
    elif family == "sigmoid":
        A, R0, B = params["A"], params["R0"], params["B"]
        if min(A, R0) < target < max(A, R0) and A > R0:
            log10_c = math.log10(params["C_mid"]) - math.log10((A - R0) / (target - R0) - 1) / B
    elif family == "powerlaw" and params["k"] > 0 and target < 1:
        log10_c = (params["E"] - math.log(1 - target)) / params["k"] / math.log(10)
    return 10 ** log10_c if log10_c is not None and log10_c < 300 else None


def _reach(family: str, point: dict, draws: list[dict], target: float) -> dict:
    """Compute to reach `target` by one family, with the 95% interval over bootstrap draws (in log10 C).
    The interval is given only when most draws reach the target; otherwise `reached_in_draws` says how many."""
    compute = _compute_to_reach(family, point, target)
    reached = [math.log10(c) for c in (_compute_to_reach(family, d, target) for d in draws) if c]
    ci = percentile_interval(reached) if len(reached) >= 0.9 * max(len(draws), 1) else None
    return {"compute": compute, "ci95": None if ci is None else [10 ** ci[0], 10 ** ci[1]],
            "reached_in_draws": f"{len(reached)}/{len(draws)}"}


def fit_points(p, bench: str = "heldout", target: float = 0.9, draws: int = DRAWS, seed: int = 0) -> dict:
    """The fit.json entry of one benchmark (see module docstring)."""
    from rlvr.analysis.bootstrap import bootstrap
    from rlvr.analysis.families import FAMILIES, FITTERS, backtest
    from rlvr.analysis.verdict import verdict

    _check_enough(p, bench)
    rng = np.random.default_rng(seed)
    result: dict = {}
    boots: dict[str, list[dict]] = {}
    for family in (*FAMILIES, "quadratic"):
        try:
            point = FITTERS[family](p)
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as err:
            result[family] = {"error": str(err)}
            continue
        boots[family] = bootstrap(p, family, draws, rng, point=point)
        result[family] = point
    intervals = {"loglinear": "slope_per_decade", "sigmoid": "A", "powerlaw": "k", "quadratic": "curvature"}
    for family, key in intervals.items():
        if family in boots:
            name = "ci95" if family == "loglinear" else f"{key}_ci95"
            result[family][name] = percentile_interval([b[key] for b in boots[family]])
    if "sigmoid" in boots:  # take-off compute: the interval is taken in log10 C, where the draws spread evenly
        ci = percentile_interval([math.log10(b["C_mid"]) for b in boots["sigmoid"] if b["C_mid"] > 0])
        result["sigmoid"]["C_mid_ci95"] = None if ci is None else [10 ** ci[0], 10 ** ci[1]]
    curvature = result.pop("quadratic")
    result["backtest"] = backtest(p)
    scored = {f: v["mae"] for f, v in result["backtest"].items() if v.get("mae") is not None}
    result["best"] = min(scored, key=scored.get) if scored else None
    result["curvature"] = curvature
    by_family = {f: _reach(f, result[f], boots[f], target) for f in FAMILIES if f in boots}
    result["extrapolation"] = {"target": target, "family": result["best"], **by_family.get(result["best"], {}),
                               "by_family": by_family}
    trained = p.compute[p.trained]
    result["points"] = {"n_trained": int(p.trained.sum()), "n_runs": int(len(np.unique(p.group))),
                        "compute_range": [float(trained.min()), float(trained.max())],
                        "decades": float(math.log10(trained.max() / trained.min())),
                        "max_pass@1": float(p.acc[p.trained].max()),
                        "noise_se": float(np.mean(np.sqrt(p.acc * (1 - p.acc) / np.maximum(p.n, 1))[p.trained])),
                        "base_pass@1": float(p.acc[~p.trained].mean()) if (~p.trained).any() else None}
    result["verdict"] = verdict(result, target)
    return result


def fit_runs(run_dirs: list[Path], target: float = 0.9, draws: int = DRAWS, seed: int = 0) -> dict:
    """fit.json content for one group of runs: {"benchmarks": {name: entry}, "runs": [...]}.

    A benchmark that cannot be fitted (too few points, too little range) gets {"error": reason} and the others are
    still fitted; if none can be, the first reason is raised as a ValueError."""
    points = load_points(run_dirs)
    subsets = load_subset_points(run_dirs)
    benchmarks, errors = {}, []
    for bench, p in sorted(points.items()):
        try:
            benchmarks[bench] = fit_points(p, bench, target, draws, seed)
        except ValueError as err:
            benchmarks[bench] = {"error": str(err)}
            errors.append(str(err))
        fitted = {}
        for value, sp in sorted(subsets.get(bench, {}).items()):
            try:  # only subsets with enough points; the others are named with the reason
                fitted[value] = fit_points(sp, f"{bench}[{value}]", target, draws, seed)
            except ValueError as err:
                fitted[value] = {"error": str(err)}
        if fitted:
            benchmarks[bench]["subsets"] = fitted
    if errors and len(errors) == len(benchmarks):
        raise ValueError(errors[0] if len(errors) == 1 else "; ".join(errors))
    return {"benchmarks": benchmarks, "runs": [str(r) for r in run_dirs]}
