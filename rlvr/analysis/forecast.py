"""`rlvr forecast`: predict held-out accuracy at a larger RL compute from the evaluations up to a cut.

    out = forecast_points(points, cut=1e12, targets=[1e13])   # {"family": ..., "targets": [{"point": ...}, ...]}

Method, and why:
- Fit on the evaluations with compute <= cut only (the base model's point included), never on later ones.
- Family: each family `rlvr fit` knows (log-linear, sigmoid, power law) is backtested on the fitting points alone
  (fit the lower half of their log-compute range, predict the upper half); the lowest backtest error wins. With too
  few points for a backtest the log-linear family is used (the fewest parameters). `family=` forces one.
- Interval: a predictive 95% interval for a *measured* value. Each bootstrap replicate (`rlvr.analysis.bootstrap`:
  whole runs resampled when several seeds are pooled, each point's pass@1 redrawn from Binomial(n, pass@1) / n, i.e.
  problems resampled parametrically, since evals.jsonl keeps no per-problem verdicts) is refitted and predicts the
  target; the prediction is then redrawn as a measurement over the same number of problems (Binomial(n, p) / n), so
  the interval holds both the fit's uncertainty and the noise of the evaluation that will check it.
- Widening: the half-widths around the point forecast are multiplied by `widen` (default 1: raw). `rlvr forecast
  --calibrate` measures how often raw intervals cover the truth and chooses the factor by leave-one-run-out (see
  `rlvr.analysis.calibration`); pass it back with `--widen`.
- Observed value at a target: the mean pass@1 of the evaluations (any seed) within 0.05 decades of the target;
  else the log-compute interpolation between the two evaluations that bracket it; else none (no data there).
Every number names the rows it came from: `fit_rows` lists (run, step, compute) of every fitting point.
"""

from __future__ import annotations

import math

import numpy as np

from rlvr.analysis.bootstrap import bootstrap
from rlvr.analysis.families import FAMILIES, FITTERS, Points, backtest, predict

__all__ = ["forecast_points", "observed_at", "widened", "sentence", "cut_of", "MIN_FIT_POINTS", "NEAR_DECADES"]

MIN_FIT_POINTS = 3  # evaluations with compute > 0 at or below the cut
NEAR_DECADES = 0.05  # an evaluation this close (in log10 compute) to a target observes it
DRAWS = 300


def cut_of(p: Points, fit_until: float | None = None, fit_decades: float | None = None) -> float:
    """The cut in FLOPs: `fit_until` itself, or `fit_decades` decades above the first evaluation with compute > 0."""
    if fit_until is not None:
        return float(fit_until)
    first = float(p.compute[p.trained].min()) if p.trained.any() else 0.0
    return first * 10 ** float(fit_decades)


def _choose(fit: Points) -> tuple[str, dict]:
    try:
        scores = {f: e["mae"] for f, e in backtest(fit).items()
                  if isinstance(e, dict) and isinstance(e.get("mae"), float) and math.isfinite(e["mae"])}
    except (ValueError, RuntimeError, np.linalg.LinAlgError):
        scores = {}
    return (min(scores, key=scores.get) if scores else "loglinear"), scores


def widened(point: float, raw: list[float], s: float) -> list[float]:
    """The raw interval with each side's distance from the point multiplied by `s` (never narrower than raw: a
    point outside its raw interval, e.g. clipped at 1, keeps the raw side), clipped to [0, 1]."""
    lo, hi = raw
    return [max(0.0, min(lo, point - s * max(point - lo, 0.0))), min(1.0, max(hi, point + s * max(hi - point, 0.0)))]


def _at(family: str, params: dict, compute: float) -> float:
    return float(np.asarray(predict(family, params, compute), dtype=float).reshape(-1)[0])


def observed_at(p: Points, target: float) -> dict | None:
    """The measured pass@1 at `target` FLOPs (see module docstring), with the compute values it came from."""
    m = p.trained
    if not m.any():
        return None
    logc, acc = np.log10(p.compute[m]), p.acc[m]
    lt = math.log10(target)
    near = np.abs(logc - lt) <= NEAR_DECADES
    if near.any():
        return {"value": float(acc[near].mean()), "how": "measured", "n_rows": int(near.sum()),
                "compute": [float(c) for c in p.compute[m][near]]}
    below, above = logc < lt, logc > lt
    if below.any() and above.any():
        i = int(np.flatnonzero(below)[np.argmax(logc[below])])
        j = int(np.flatnonzero(above)[np.argmin(logc[above])])
        w = (lt - logc[i]) / (logc[j] - logc[i])
        return {"value": float(acc[i] + w * (acc[j] - acc[i])), "how": "interpolated", "n_rows": 2,
                "compute": [float(p.compute[m][i]), float(p.compute[m][j])]}
    return None


def forecast_points(p: Points, cut: float, targets: list[float], draws: int = DRAWS, seed: int = 0,
                    family: str | None = None, widen: float = 1.0, run_names: list[str] | None = None,
                    steps: np.ndarray | None = None) -> dict:
    """Forecasts at each of `targets` FLOPs from the points with compute <= `cut` (ValueError when too few)."""
    fit_mask = p.compute <= cut
    fit = p.subset(fit_mask)
    n_trained = int(np.sum(fit.compute > 0))
    if len(np.unique(fit.compute[fit.compute > 0])) < MIN_FIT_POINTS:
        raise ValueError(f"only {n_trained} evaluation(s) with compute > 0 at or below the cut {cut:.3g} FLOPs; "
                         f"a forecast needs {MIN_FIT_POINTS}: move the cut later (--fit-until / --fit-decades)")
    chosen, scores = (family, {}) if family else _choose(fit)
    if chosen not in FAMILIES:
        raise ValueError(f"unknown family {chosen!r}; use one of {', '.join(FAMILIES)}")
    params = FITTERS[chosen](fit)
    rng = np.random.default_rng(seed)
    reps = bootstrap(fit, chosen, draws, rng, params)
    n_obs = int(np.median(fit.n[fit.compute > 0]))
    out_targets = []
    for target in targets:
        point = float(np.clip(_at(chosen, params, target), 0.0, 1.0))
        preds = np.clip([_at(chosen, r, target) for r in reps], 0.0, 1.0)
        preds = preds[np.isfinite(preds)]
        entry = {"compute": float(target), "point": point, "interval_raw": None, "interval": None}
        if len(preds) >= 20:
            measured = rng.binomial(n_obs, preds) / n_obs
            lo, hi = (float(v) for v in np.percentile(measured, [2.5, 97.5]))
            entry["interval_raw"] = [lo, hi]
            entry["interval"] = widened(point, [lo, hi], widen)
        obs = observed_at(p.subset(~fit_mask), target) if (~fit_mask).any() else None
        if obs is not None:
            entry["observed"] = obs
            if entry["interval"] is not None:
                entry["inside"] = bool(entry["interval"][0] <= obs["value"] <= entry["interval"][1])
        out_targets.append(entry)
    idx = np.flatnonzero(fit_mask)
    rows = [{"run": (run_names[int(p.group[i])] if run_names and p.group is not None else None),
             "step": (int(steps[i]) if steps is not None else None), "compute": float(p.compute[i]),
             "pass@1": float(p.acc[i]), "n": int(p.n[i])} for i in idx]
    return {"cut": float(cut), "family": chosen, "params": params, "backtest_mae": scores,
            "draws": len(reps), "widen": widen, "problems_per_measurement": n_obs,
            "noise_model": "bootstrap over seeds (whole runs) and problems (parametric Binomial(n, pass@1)/n), "
                           "then measurement noise Binomial(n, forecast)/n",
            "fit_rows": rows, "targets": out_targets}


def sentence(bench: str, result: dict) -> str:
    """One plain sentence per benchmark, like `rlvr fit`'s verdict."""
    parts = []
    for t in result["targets"]:
        iv = t["interval"]
        text = f"at {t['compute']:.2g} FLOPs pass@1 forecast {t['point']:.2f}"
        text += f" (95% {iv[0]:.2f}-{iv[1]:.2f}" if iv else " (no interval: too few bootstrap fits"
        text += f", {result['family']})"
        if "observed" in t:
            verdict = "" if "inside" not in t else (": inside" if t["inside"] else ": OUTSIDE")
            text += f", observed {t['observed']['value']:.2f}{verdict}"
        parts.append(text)
    n_fit = sum(r["compute"] > 0 for r in result["fit_rows"])
    return f"{bench}: " + "; ".join(parts) + f" (fitted on {n_fit} evaluations up to {result['cut']:.2g} FLOPs)."
