"""Scaling-law families for accuracy against RL compute, their fits, a binomial bootstrap and a backtest.

Families (C = cumulative RL FLOPs, acc = held-out pass@1):

- log-linear:  acc = a + b * log10(C)                        b is the gain per decade of compute
- sigmoid:     acc = R0 + (A - R0) / (1 + (C_mid / C)^B)     saturating, as in ScaleRL (arXiv 2510.13786);
               A is the ceiling, R0 the accuracy at C -> 0 (the base model), C_mid the half-way compute
- power law:   log(1 - acc) = -k * ln(C) + E                 error falls as a power of compute
               (arXiv 2509.25300); natural logarithms on both sides

`Points` holds (compute, accuracy, n) triples; n is the number of held-out problems behind each accuracy, used
for the binomial noise. The base model (compute 0) enters only the sigmoid (as C -> 0 it predicts R0).
All functions are pure numpy/scipy; the bootstrap takes an explicit `numpy.random.Generator`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Points", "fit_loglinear", "fit_sigmoid", "fit_powerlaw", "predict", "bootstrap", "backtest", "FAMILIES"]

FAMILIES = ("loglinear", "sigmoid", "powerlaw")


@dataclass
class Points:
    compute: np.ndarray  # (P,) FLOPs, 0 for the base model
    acc: np.ndarray  # (P,) pass@1 in [0, 1]
    n: np.ndarray  # (P,) problems behind each value
    group: np.ndarray | None = None  # (P,) run index, for resampling seeds

    @property
    def trained(self) -> np.ndarray:
        return self.compute > 0

    def subset(self, mask: np.ndarray) -> Points:
        return Points(self.compute[mask], self.acc[mask], self.n[mask],
                      None if self.group is None else self.group[mask])


def fit_loglinear(p: Points) -> dict:
    m = p.trained
    x, y = np.log10(p.compute[m]), p.acc[m]
    if len(x) < 2 or np.ptp(x) == 0:
        raise ValueError("log-linear fit needs at least two distinct compute values")
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid ** 2)) / ss_tot if ss_tot > 0 else (1.0 if np.allclose(resid, 0) else 0.0)
    return {"slope_per_decade": float(b), "intercept": float(a), "r2": r2}


def _sigmoid(c, A, B, log_cmid, R0):
    c = np.asarray(c, dtype=float)
    with np.errstate(over="ignore", divide="ignore"):
        ratio = np.where(c > 0, np.power(10.0, B * (log_cmid - np.log10(np.where(c > 0, c, 1.0)))), np.inf)
    return R0 + (A - R0) / (1.0 + ratio)


def fit_sigmoid(p: Points, start: dict | None = None) -> dict:
    """Least squares (weighted by n) from a grid of starts, or from `start` alone (bootstrap warm start)."""
    from scipy.optimize import least_squares

    m = p.trained
    if m.sum() < 3:
        raise ValueError("sigmoid fit needs at least three points with compute > 0")
    x = np.log10(p.compute[m])
    base = p.acc[~m]
    r0_guess = float(base.mean()) if len(base) else float(p.acc[m].min())
    weights = np.sqrt(p.n / np.maximum(p.n.mean(), 1))

    def residuals(theta):
        return (_sigmoid(p.compute, *theta) - p.acc) * weights

    best = None
    lo, hi = x.min() - 1.0, x.max() + 2.0
    if start is not None:
        starts = [[start["A"], start["B"], float(np.clip(math.log10(start["C_mid"]), lo, hi)), start["R0"]]]
    else:
        starts = [[min(0.999, max(p.acc.max(), r0_guess + 0.01)), B, log_cmid, min(r0_guess, 0.99)]
                  for log_cmid in np.linspace(x.min(), x.max() + 1.0, 6) for B in (0.5, 1.5, 4.0)]
    for theta0 in starts:
        theta0 = np.clip(theta0, [0, 0.05, lo, 0], [1, 20, hi, 1])
        try:
            res = least_squares(residuals, theta0, bounds=([0, 0.05, lo, 0], [1, 20, hi, 1]), max_nfev=2000)
        except ValueError:
            continue
        if best is None or res.cost < best.cost:
            best = res
    if best is None:
        raise ValueError("sigmoid fit did not converge")
    A, B, log_cmid, R0 = best.x
    return {"A": float(A), "B": float(B), "C_mid": float(10 ** log_cmid), "R0": float(R0)}


def fit_powerlaw(p: Points) -> dict:
    m = p.trained
    if m.sum() < 2:
        raise ValueError("power-law fit needs at least two points with compute > 0")
    floor = 0.5 / np.maximum(p.n[m], 1)  # keep log(1 - acc) finite at acc = 1
    err = np.clip(1.0 - p.acc[m], floor, 1.0)
    slope, E = np.polyfit(np.log(p.compute[m]), np.log(err), 1)
    return {"k": float(-slope), "E": float(E)}


FITTERS = {"loglinear": fit_loglinear, "sigmoid": fit_sigmoid, "powerlaw": fit_powerlaw}


def predict(family: str, params: dict, compute) -> np.ndarray:
    c = np.asarray(compute, dtype=float)
    if family == "loglinear":
        with np.errstate(divide="ignore"):
            return params["intercept"] + params["slope_per_decade"] * np.log10(c)
    if family == "sigmoid":
        return _sigmoid(c, params["A"], params["B"], math.log10(params["C_mid"]), params["R0"])
    if family == "powerlaw":
        with np.errstate(divide="ignore"):
            return 1.0 - np.exp(params["E"]) * np.power(c, -params["k"])
    raise ValueError(f"unknown family {family!r}")


def resample(p: Points, rng: np.random.Generator) -> Points:
    """One bootstrap replicate: resample runs (seeds) with replacement, then each point's accuracy as
    Binomial(n, acc) / n, so that both the spread between seeds and each point's sampling noise enter."""
    if p.group is not None and len(np.unique(p.group)) > 1:
        runs = np.unique(p.group)
        chosen = rng.choice(runs, size=len(runs), replace=True)
        idx = np.concatenate([np.flatnonzero(p.group == r) for r in chosen])
        p = Points(p.compute[idx], p.acc[idx], p.n[idx], p.group[idx])
    acc = rng.binomial(p.n.astype(int), np.clip(p.acc, 0, 1)) / np.maximum(p.n, 1)
    return Points(p.compute, acc, p.n, p.group)


def bootstrap(p: Points, family: str, draws: int, rng: np.random.Generator, start: dict | None = None) -> list[dict]:
    """Parameter dicts of `family` fitted to `draws` bootstrap replicates (failed fits are skipped).
    The sigmoid starts from `start` (the point estimate) instead of a grid, to keep this fast."""
    out = []
    for _ in range(draws):
        try:
            replicate = resample(p, rng)
            out.append(fit_sigmoid(replicate, start) if family == "sigmoid" and start else
                       FITTERS[family](replicate))
        except (ValueError, RuntimeError, np.linalg.LinAlgError):
            continue
    return out


def backtest(p: Points) -> dict:
    """Fit each family on the lower half of the log-compute range, predict the upper half; MAE per family."""
    m = p.trained
    logc = np.log10(p.compute[m])
    mid = (logc.min() + logc.max()) / 2
    lower = ~m | (np.log10(np.where(m, p.compute, 1.0)) <= mid)  # base model point stays in the training half
    upper = m & ~lower
    out = {}
    for family in FAMILIES:
        try:
            params = FITTERS[family](p.subset(lower))
            pred = predict(family, params, p.compute[upper])
            out[family] = {"mae": float(np.mean(np.abs(pred - p.acc[upper]))), "n_fit": int(lower.sum()),
                           "n_test": int(upper.sum())}
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as err:
            out[family] = {"mae": None, "reason": str(err)}
    return out
