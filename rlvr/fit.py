"""`rlvr fit`: fit, bootstrap, backtest and judge accuracy against RL compute for one or more run folders.

    result = fit_runs([Path("runs/...-s0-..."), Path("runs/...-s1-...")])   # one group (seeds pooled)

Runs whose configs differ only in `seed` (and where they are written) form one group; their points are pooled
and the bootstrap resamples whole runs, so the interval reflects the spread between seeds as well as each point's
binomial noise. Per benchmark the result holds the three families of `rlvr.scaling`, the backtest, the best family
(lowest backtest error), a one-sentence verdict and the extrapolated compute to reach a target accuracy.
Too few points (fewer than 3 with compute > 0) or less than one decade of compute raise a ValueError with the
reason; the CLI turns it into a one-line message and a non-zero exit.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from rlvr.jsonl import latest_per_key, read_jsonl

__all__ = ["load_points", "fit_points", "fit_runs", "group_runs", "MIN_POINTS", "MIN_DECADES"]

MIN_POINTS = 3
MIN_DECADES = 1.0
DRAWS = 300


def _config(run_dir: Path) -> dict:
    from rlvr.yamlio import load_yaml

    path = run_dir / "config.yaml"
    return (load_yaml(path.read_text(), str(path)) or {}) if path.exists() else {}


def group_runs(run_dirs: list[Path]) -> list[list[Path]]:
    """Group run folders whose configs are equal except for seed and location keys."""
    groups: dict[str, list[Path]] = defaultdict(list)
    for run in run_dirs:
        cfg = {k: v for k, v in _config(run).items() if k not in ("seed", "output_dir", "run_dir", "cache_dir")}
        groups[repr(sorted(cfg.items(), key=lambda kv: kv[0]))].append(run)
    return list(groups.values())


def load_points(run_dirs: list[Path]):
    """{benchmark: Points} pooled over `run_dirs` (the last attempt of each step wins)."""
    from rlvr.scaling import Points

    per_bench: dict[str, list[tuple[float, float, float, int]]] = defaultdict(list)
    for index, run in enumerate(run_dirs):
        rows = latest_per_key(read_jsonl(run / "evals.jsonl"), ("step", "benchmark"))
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


def _interval(values) -> list[float] | None:
    values = [v for v in values if v is not None and math.isfinite(v)]
    if len(values) < 20:
        return None
    lo, hi = np.percentile(values, [2.5, 97.5])
    return [float(lo), float(hi)]


def _compute_to_reach(family: str, params: dict, target: float) -> float | None:
    """Compute at which `family` predicts `target` accuracy (None if never, or beyond 1e300 FLOPs)."""
    log10_c = None
    if family == "loglinear":
        b = params["slope_per_decade"]
        log10_c = (target - params["intercept"]) / b if b > 0 else None
    elif family == "sigmoid":
        A, R0, B = params["A"], params["R0"], params["B"]
        if min(A, R0) < target < max(A, R0):
            log10_c = math.log10(params["C_mid"]) - math.log10((A - R0) / (target - R0) - 1) / B
    elif family == "powerlaw" and params["k"] > 0 and target < 1:
        log10_c = (params["E"] - math.log(1 - target)) / params["k"] / math.log(10)
    return 10 ** log10_c if log10_c is not None and log10_c < 300 else None


def fit_points(p, bench: str = "heldout", target: float = 0.9, draws: int = DRAWS, seed: int = 0) -> dict:
    """The fit.json entry of one benchmark (see module docstring)."""
    from rlvr.scaling import FAMILIES, FITTERS, backtest, bootstrap

    _check_enough(p, bench)
    rng = np.random.default_rng(seed)
    result: dict = {}
    boots: dict[str, list[dict]] = {}
    for family in FAMILIES:
        try:
            result[family] = FITTERS[family](p)
        except (ValueError, RuntimeError) as err:
            result[family] = {"error": str(err)}
            continue
        boots[family] = bootstrap(p, family, draws, rng, start=result[family])
    if "slope_per_decade" in result["loglinear"]:
        result["loglinear"]["ci95"] = _interval([b["slope_per_decade"] for b in boots["loglinear"]])
    if "A" in result["sigmoid"]:
        result["sigmoid"]["A_ci95"] = _interval([b["A"] for b in boots["sigmoid"]])
    if "k" in result["powerlaw"]:
        result["powerlaw"]["k_ci95"] = _interval([b["k"] for b in boots["powerlaw"]])
    result["backtest"] = backtest(p)
    scored = {f: v["mae"] for f, v in result["backtest"].items() if v.get("mae") is not None}
    result["best"] = min(scored, key=scored.get) if scored else None
    result["extrapolation"] = _extrapolate(result, boots, p, target)
    result["points"] = {"n_trained": int(p.trained.sum()), "n_runs": int(len(np.unique(p.group))),
                        "decades": float(math.log10(p.compute[p.trained].max() / p.compute[p.trained].min())),
                        "base_pass@1": float(p.acc[~p.trained].mean()) if (~p.trained).any() else None}
    result["verdict"] = verdict(result, p, target)
    return result


def _extrapolate(result: dict, boots: dict, p, target: float) -> dict:
    family = result["best"] or "loglinear"
    if "error" in result.get(family, {"error": 1}):
        return {"target": target, "family": family, "compute": None, "ci95": None}
    point = _compute_to_reach(family, result[family], target)
    draws = [_compute_to_reach(family, b, target) for b in boots.get(family, [])]
    reached = [math.log10(d) for d in draws if d is not None and d > 0]
    ci = None
    if len(reached) >= 20 and len(reached) >= 0.5 * len(draws):
        lo, hi = np.percentile(reached, [2.5, 97.5])
        ci = [float(10 ** lo), float(10 ** hi)]
    return {"target": target, "family": family, "compute": point, "ci95": ci,
            "reached_in_draws": f"{len(reached)}/{len(draws)}",
            "already_reached": bool((p.acc[p.trained] >= target).any())}


def _fmt(c: float | None) -> str:
    return "never" if c is None else f"{c:.2g} FLOPs"


def verdict(result: dict, p, target: float) -> str:
    """One plain sentence on the log-linear claim over the measured range."""
    ll = result["loglinear"]
    ci = ll.get("ci95")
    decades = math.log10(p.compute[p.trained].max() / p.compute[p.trained].min())
    ex = result["extrapolation"]
    reach = (f" Reaching pass@1 {target:g} is extrapolated at {_fmt(ex['compute'])}"
             + (f" (95% interval {ex['ci95'][0]:.2g} to {ex['ci95'][1]:.2g})" if ex.get("ci95") else "")
             + f" by the {ex['family']} fit.") if not ex.get("already_reached") else (
        f" Pass@1 {target:g} is already reached within the measured range.")
    if ci is None:
        return "Cannot be judged: the bootstrap could not bound the slope (too few usable points)." + reach
    if ci[0] <= 0 <= ci[1]:
        return (f"Cannot be judged: accuracy shows no significant trend with RL compute over {decades:.1f} decades "
                f"(slope {ll['slope_per_decade']:+.3f} per decade, 95% CI {ci[0]:+.3f} to {ci[1]:+.3f}).")
    bt = result["backtest"]
    if result["best"] == "sigmoid" and ll["slope_per_decade"] > 0:
        return (f"Accuracy saturates: a sigmoid with ceiling {result['sigmoid']['A']:.2f} predicts the upper half of "
                f"the compute range better than log-linear (backtest MAE {bt['sigmoid']['mae']:.3f} vs "
                f"{bt['loglinear']['mae']:.3f}), so log-linear does not hold over the whole range." + reach)
    if ll["r2"] >= 0.9 and result["best"] in ("loglinear", "powerlaw"):
        return (f"Log-linear holds over the measured {decades:.1f} decades: {ll['slope_per_decade']:+.3f} pass@1 per "
                f"10x compute (95% CI {ci[0]:+.3f} to {ci[1]:+.3f}, R^2 {ll['r2']:.2f})." + reach)
    return (f"Log-linear is a weak description: slope {ll['slope_per_decade']:+.3f} per decade (95% CI "
            f"{ci[0]:+.3f} to {ci[1]:+.3f}) but R^2 {ll['r2']:.2f}; best backtest: {result['best']}." + reach)


def fit_runs(run_dirs: list[Path], target: float = 0.9, draws: int = DRAWS, seed: int = 0) -> dict:
    """fit.json content for one group of runs: {"benchmarks": {name: entry}, "runs": [...]}."""
    points = load_points(run_dirs)
    return {"benchmarks": {b: fit_points(p, b, target, draws, seed) for b, p in sorted(points.items())},
            "runs": [str(r) for r in run_dirs]}
