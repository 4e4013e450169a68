"""Compare conditions of a study: where is held-out accuracy linear in log RL compute, and where an S?

    result = study_runs(list_run_dirs(["runs/"]))     # {"conditions": {...}, "verdict": "..."}

A *condition* is a group of run folders whose configs differ only in `seed` (`rlvr.analysis.fit.group_runs`),
named by its `experiment`. For each condition this module reports, on one benchmark:

- the aggregate curve (seeds pooled) with the log-linear, sigmoid and power-law fits and their backtest errors
  (`rlvr.analysis.fit.fit_points`), and the family the backtest prefers;
- per difficulty level (the rows' `subsets`, e.g. a reasoning-gym entry's `num_digits`): base and final pass@1
  and the sigmoid take-off compute `C_mid` with its bootstrap interval; a level whose gain is within evaluation
  noise has no take-off (`C_mid` None, with the reason), since a sigmoid through a flat line puts C_mid anywhere;
  `C_mid_in_range` says whether the take-off lies within the evaluated compute (else it is an extrapolation, and
  `takeoff_spread_decades` leaves it out);
- `loglinear_decades`: the widest span of RL compute over which the seed-averaged aggregate stays within
  evaluation noise of a log-linear fit *and rises* (`loglinear_window`).

Evaluation noise of a seed-averaged point is the larger of the sampling error of its pass@1 estimate,
sqrt(q (1 - q) / (n k S)) for n problems x k samples each x S seeds (an upper bound: problems differ), and the
standard error of the mean over the S seeds (training noise). The problem draw itself is not counted: every point
of a curve is measured on the same held-out problems, so it shifts the whole curve, not one point. "Within noise" is
|residual| <= 2 standard errors at every point of the window. A window counts only if it has at least 3 points
and its fitted gain across the window exceeds twice the mean standard error, so a flat stretch (which any
line fits) is not called log-linear.

The verdict tests the hypothesis that an aggregate over levels whose take-offs spread is log-linear over about as
many decades as they spread, and a single level is an S: it is composed from the numbers, never fixed in advance.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["study_runs", "load_evals", "loglinear_decades", "seed_means", "pick_benchmark", "Z_NOISE"]

Z_NOISE = 2.0  # a point is within evaluation noise of a fit when |residual| <= Z_NOISE standard errors


def load_evals(run_dirs: list[Path]) -> list[list[dict]]:
    """Each run's evals.jsonl rows (the last attempt of each step and benchmark), read once for the whole study."""
    from rlvr.runfolder.folder import EVALS, RunFolder
    from rlvr.runfolder.jsonl import latest_per_key

    return [latest_per_key(RunFolder(run).read(EVALS), ("step", "benchmark")) for run in run_dirs]


def pick_benchmark(evals: list[list[dict]], wanted: str | None = None) -> str:
    """The benchmark to study: `wanted`, else the only one, else the one whose name has 'heldout'."""
    names = sorted({str(r.get("benchmark", "heldout")) for rows in evals for r in rows})
    if not names:
        raise ValueError("the runs have no evaluations in evals.jsonl; train them first (rlvr train / rlvr sweep)")
    if wanted is not None:
        if wanted not in names:
            raise ValueError(f"benchmark {wanted!r} is not in the runs' evals.jsonl; they have {names}")
        return wanted
    heldout = [n for n in names if "heldout" in n]
    if len(names) == 1:
        return names[0]
    if len(heldout) == 1:
        return heldout[0]
    raise ValueError(f"the runs have several benchmarks {names}; choose one with --benchmark NAME")


def seed_means(evals: list[list[dict]], bench: str, level: str | None = None) -> list[dict]:
    """Per evaluation, the seed-averaged point: {"step", "steps", "compute", "acc", "se", "seeds", "samples"}.

    Evaluations are paired by rank (each run's first, second, ... evaluation), not by step: they are scheduled at
    log-spaced RL *compute*, and compute per step depends on the sampled lengths, so seed 0 may evaluate at step 17
    where seed 1 does at step 18. `compute` is the mean over seeds, `step` the smallest. Only ranks every run
    reached are kept, so the mean never mixes seeds in and out. `evals`: `load_evals` of the runs; `level` picks a
    subset (a difficulty level)."""
    per_run: list[list[tuple[int, float, float, float]]] = []
    for run_rows in evals:
        rows = []
        for row in run_rows:
            cell = row if level is None else (row.get("subsets") or {}).get(level)
            if str(row.get("benchmark", "heldout")) != bench or not cell:
                continue
            draws = float(cell.get("n") or 1) * float(row.get("samples_per_problem") or 1)
            rows.append((int(row["step"]), float(row["compute_flops"]), float(cell["pass@1"]), draws))
        per_run.append(sorted(rows))
    out = []
    for vals in zip(*per_run, strict=False):  # stops at the shortest run
        steps, compute, acc, draws = (np.array(v) for v in zip(*vals, strict=True))
        q = float(acc.mean())
        binomial = math.sqrt(max(q * (1 - q), 1e-4) / float(draws.sum()))
        between = float(acc.std(ddof=1) / math.sqrt(len(acc))) if len(acc) > 1 else 0.0
        out.append({"step": int(steps.min()), "steps": [int(x) for x in steps], "compute": float(compute.mean()),
                    "acc": q, "se": max(binomial, between), "seeds": len(acc), "samples": int(draws.mean())})
    return out


def loglinear_decades(points: list[dict], z: float = Z_NOISE) -> dict:
    """Widest window of trained points (>= 3) within `z` standard errors of its own log-linear fit and rising.

    Returns {"decades": d, "window": [C_lo, C_hi] or None, "slope_per_decade": b or None}."""
    pts = sorted((p for p in points if p["compute"] > 0), key=lambda p: p["compute"])
    x = np.log10([p["compute"] for p in pts])
    y = np.array([p["acc"] for p in pts])
    se = np.array([p["se"] for p in pts])
    best = {"decades": 0.0, "window": None, "slope_per_decade": None}
    for i in range(len(pts)):
        for j in range(i + 2, len(pts)):
            xs, ys, ss = x[i:j + 1], y[i:j + 1], se[i:j + 1]
            if np.ptp(xs) <= best["decades"] or np.ptp(xs) == 0:
                continue
            b, a = np.polyfit(xs, ys, 1)
            within = bool(np.all(np.abs(ys - (a + b * xs)) <= z * ss))
            rising = b * np.ptp(xs) > z * float(ss.mean())
            if within and rising:
                best = {"decades": float(np.ptp(xs)), "window": [float(10 ** xs[0]), float(10 ** xs[-1])],
                        "slope_per_decade": float(b)}
    return best


def _level_entry(evals: list[list[dict]], bench: str, level: str, fitted: dict) -> dict:
    """Base/final pass@1 of one level and its sigmoid take-off compute (None when it did not rise)."""
    pts = seed_means(evals, bench, level)
    base = next((p for p in pts if p["compute"] == 0), None)
    final = pts[-1] if pts else None
    entry = {"base_pass@1": base and base["acc"], "final_pass@1": final and final["acc"],
             "samples": final and final["samples"], "C_mid": None, "C_mid_ci95": None, "sigmoid": None, "points": pts}
    if base is None or final is None:
        entry["reason"] = "no base-model or final evaluation for this level"
        return entry
    gain, noise = final["acc"] - base["acc"], math.hypot(final["se"], base["se"])
    entry["gain"] = gain
    if "error" in fitted:
        entry["reason"] = fitted["error"]
    elif gain <= Z_NOISE * noise:
        entry["reason"] = f"no take-off: gain {gain:+.3f} is within {Z_NOISE:g} standard errors ({noise:.3f})"
        entry["sigmoid"] = fitted["sigmoid"]
    else:
        sig = fitted["sigmoid"]
        entry.update(C_mid=sig.get("C_mid"), C_mid_ci95=sig.get("C_mid_ci95"), sigmoid=sig)
        trained = [p["compute"] for p in pts if p["compute"] > 0]
        entry["C_mid_in_range"] = bool(trained) and min(trained) <= sig["C_mid"] <= max(trained)
    return entry


def _condition(runs: list[Path], evals: list[list[dict]], bench: str, draws: int, seed: int) -> dict:
    from rlvr.analysis.fit import _config, fit_runs

    fit = fit_runs(runs, draws=draws, seed=seed)["benchmarks"].get(bench) or {}
    if "error" in fit or not fit:
        raise ValueError(f"{', '.join(r.name for r in runs)}: {fit.get('error', f'no benchmark {bench!r}')}")
    agg = seed_means(evals, bench)
    levels = {lv: _level_entry(evals, bench, lv, sub) for lv, sub in sorted(fit.get("subsets", {}).items(),
                                                                          key=lambda kv: _level_key(kv[0]))}
    bases = [v["base_pass@1"] for v in levels.values() if v["base_pass@1"] is not None]
    # a take-off the data do not contain (C_mid beyond the last evaluation) is an extrapolation: not compared
    takeoffs = [math.log10(v["C_mid"]) for v in levels.values() if v["C_mid"] and v.get("C_mid_in_range")]
    window = loglinear_decades(agg)
    cfgs = [_config(r) for r in runs]
    return {
        "seeds": sorted(c.get("seed") for c in cfgs),
        "runs": [str(r) for r in runs],
        "benchmark": bench,
        "levels": levels,
        "base_spread": (max(bases) / max(min(bases), 1e-9)) if bases else None,
        "takeoff_spread_decades": (max(takeoffs) - min(takeoffs)) if len(takeoffs) > 1 else None,
        "backtest_mae": {f: v.get("mae") for f, v in fit["backtest"].items()},
        "best": fit["best"],
        "loglinear_decades": window["decades"],
        "loglinear_window": window["window"],
        "decades": fit["points"]["decades"],
        "base_pass@1": agg[0]["acc"] if agg and agg[0]["compute"] == 0 else None,
        "final_pass@1": agg[-1]["acc"] if agg else None,
        "fits": {f: fit[f] for f in ("loglinear", "sigmoid", "powerlaw")},
        "points": agg,
    }


def _level_key(level: str):
    try:
        return (0, float(level), level)
    except ValueError:
        return (1, 0.0, level)


def _name(runs: list[Path], taken: set[str]) -> str:
    from rlvr.analysis.fit import _config

    name = str(_config(runs[0]).get("experiment") or runs[0].name)
    base, i = name, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name


def verdict(conditions: dict) -> str:
    """One paragraph from the numbers: each condition's shape, then whether the hypothesis holds."""
    parts = []
    for name, c in conditions.items():
        spread = c["base_spread"]
        takeoff = c["takeoff_spread_decades"]
        parts.append(
            f"{name}: pass@1 {c['base_pass@1']:.3f} -> {c['final_pass@1']:.3f} over {c['decades']:.2f} decades; "
            f"within noise of a log-linear fit over {c['loglinear_decades']:.2f} decades; backtest prefers "
            f"{c['best']}; {len(c['levels']) or 1} level(s)"
            + (f", base pass@1 spread x{spread:.1f}" if spread and len(c["levels"]) > 1 else "")
            + (f", take-offs spread {takeoff:.2f} decades" if takeoff is not None else "") + ".")
    if len(conditions) >= 2:
        ranked = sorted(conditions.items(), key=lambda kv: kv[1]["base_spread"] or 1.0)
        (narrow_name, narrow), (broad_name, broad) = ranked[0], ranked[-1]
        wider = broad["loglinear_decades"] - narrow["loglinear_decades"]
        shapes = broad["best"] == "loglinear" and narrow["best"] != "loglinear"
        if wider >= 0.5 and shapes:
            word = "supported"
        elif wider < 0.5 and not shapes:
            word = "not supported"
        else:
            word = "partly supported"
        parts.append(
            f"Hypothesis (a mix of difficulties is log-linear over more decades than a single one, which is an S): "
            f"{word} here: {broad_name} (the wider base spread) stays log-linear {wider:+.2f} decades longer than "
            f"{narrow_name}, and the backtest prefers {broad['best']} for {broad_name} and {narrow['best']} for "
            f"{narrow_name}.")
        spread = broad["takeoff_spread_decades"]
        if spread is None:
            parts.append(f"Fewer than two levels of {broad_name} took off within the measured compute, so the "
                         "mechanism (staggered take-offs) cannot be checked.")
        else:
            span = broad["loglinear_decades"]
            how = ("about as wide as" if abs(span - spread) <= 0.5 else
                   "wider than" if span > spread else "narrower than")
            parts.append(f"Mechanism: {broad_name}'s levels that took off within the measured compute did so "
                         f"{spread:.2f} decades apart, and its log-linear "
                         f"span ({span:.2f} decades) is {how} that spread"
                         + (", as the hypothesis says." if how.startswith("about") else
                            ", so staggered take-offs do not account for it."))
    return " ".join(parts)


def study_runs(run_dirs: list[Path], benchmark: str | None = None, draws: int = 300, seed: int = 0) -> dict:
    """results.json content for the run folders of a study (see module docstring)."""
    from rlvr.analysis.fit import group_runs

    evals = dict(zip(run_dirs, load_evals(run_dirs), strict=True))
    bench = pick_benchmark(list(evals.values()), benchmark)
    conditions: dict[str, dict] = {}
    for runs in group_runs(run_dirs):
        conditions[_name(runs, set(conditions))] = _condition(runs, [evals[r] for r in runs], bench, draws, seed)
    return {"conditions": conditions, "verdict": verdict(conditions)}
