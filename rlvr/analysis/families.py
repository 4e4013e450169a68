"""Scaling-law families for held-out accuracy against RL compute: point fits, predictions and the backtest.

Families (C = cumulative RL FLOPs, acc = held-out pass@1):

- log-linear:  acc = a + b * log10(C)                        b is the gain per decade (10x) of compute
- sigmoid:     acc = R0 + (A - R0) / (1 + (C_mid / C)^B)     saturating, as in ScaleRL (arXiv 2510.13786);
               A is the ceiling, R0 the accuracy at C -> 0 (the base model), C_mid the half-way compute
- power law:   log(1 - acc) = -k * ln(C) + E                 error falls as a power of compute
               (arXiv 2509.25300); natural logarithms on both sides

`Points` holds (compute, accuracy, n, run) rows; n is the number of held-out problems behind each accuracy (its
binomial noise), run the index of the run folder (for resampling seeds). Only points with compute > 0 enter the
log-linear and power-law fits (log C is undefined at 0); the base model enters the sigmoid as R0.
`quadratic` (acc = a + b x + c x^2 in centred log10 C) is not a family but the test of curvature the verdict uses.

    p = Points(compute, acc, n)
    fit_loglinear(p)   # {"slope_per_decade": 0.1, "intercept": -0.8, "r2": 0.97}
    backtest(p)        # {"loglinear": {"mae": 0.02, ...}, "sigmoid": {...}, "powerlaw": {...}}
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rlvr.analysis.sigmoid import binomial_weights, fit_sigmoid, predict_profile, sigmoid

__all__ = ["Points", "fit_loglinear", "fit_sigmoid", "fit_powerlaw", "fit_quadratic", "predict", "backtest",
           "dispersion", "FAMILIES", "FITTERS"]

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


def _xy(p: Points, what: str, need: int = 2):
    m = p.trained
    x = np.log10(p.compute[m])
    if len(np.unique(x)) < need:
        raise ValueError(f"{what} fit needs at least {need} distinct compute values > 0")
    return x, p.acc[m], m


def fit_loglinear(p: Points) -> dict:
    """Ordinary least squares of pass@1 on log10 C over the points with compute > 0."""
    x, y, _ = _xy(p, "log-linear")
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid ** 2)) / ss_tot if ss_tot > 0 else (1.0 if np.allclose(resid, 0) else 0.0)
    return {"slope_per_decade": float(b), "intercept": float(a), "r2": r2}


def fit_quadratic(p: Points) -> dict:
    """acc = a + b x + c x^2 with x = log10 C centred on the data; c < 0 means gains per decade shrink."""
    x, y, _ = _xy(p, "quadratic", need=3)
    center = float(x.mean())
    c, b, a = np.polyfit(x - center, y, 2)
    return {"curvature": float(c), "slope": float(b), "intercept": float(a), "center": center}


def fit_powerlaw(p: Points) -> dict:
    """Least squares of ln(1 - acc) on ln C; accuracies of 1 are floored at half a problem of error."""
    x, y, m = _xy(p, "power-law")
    floor = 0.5 / np.maximum(p.n[m], 1)  # keep log(1 - acc) finite at acc = 1
    err = np.clip(1.0 - y, floor, 1.0)
    slope, E = np.polyfit(x * math.log(10), np.log(err), 1)
    return {"k": float(-slope), "E": float(E)}


FITTERS = {"loglinear": fit_loglinear, "sigmoid": fit_sigmoid, "powerlaw": fit_powerlaw, "quadratic": fit_quadratic}
N_PARAMS = {"loglinear": 2, "sigmoid": 4, "powerlaw": 2, "quadratic": 3}


def predict(family: str, params: dict, compute) -> np.ndarray:
    """Accuracy predicted by `family` with `params` at `compute` (FLOPs; may be an array)."""
    c = np.asarray(compute, dtype=float)
    with np.errstate(divide="ignore"):
        if family == "loglinear":
            return params["intercept"] + params["slope_per_decade"] * np.log10(c)
        if family == "sigmoid":
            return sigmoid(c, params["A"], params["B"], params["C_mid"], params["R0"])
        if family == "powerlaw":
            return 1.0 - np.exp(params["E"]) * np.power(c, -params["k"])
        if family == "quadratic":
            x = np.log10(c) - params["center"]
            return params["intercept"] + params["slope"] * x + params["curvature"] * x ** 2
    raise ValueError(f"unknown family {family!r}")


def dispersion(p: Points, family: str, params: dict) -> float:
    """Pearson chi^2 per degree of freedom of `family`'s residuals in units of binomial noise, at least 1.

    About 1 when the points scatter as their n problems predict; larger when something else moves them
    (training noise between checkpoints, or a family that does not fit). The bootstrap widens its noise by it."""
    m = p.trained if family != "sigmoid" else np.ones(len(p.acc), bool)
    dof = int(m.sum()) - N_PARAMS[family]
    if dof < 2:
        return 1.0
    resid = (predict(family, params, p.compute[m]) - p.acc[m]) * binomial_weights(p.acc[m], p.n[m])
    return max(1.0, float(np.sum(resid ** 2)) / dof)


def backtest(p: Points) -> dict:
    """Fit each family on the lower half of the log-compute range, predict the upper half: MAE per family.

    The base-model point stays in the fitting half. The sigmoid predicts with `predict_profile` (averaged over
    the ceilings the lower half allows), because the lower half alone rarely pins the ceiling down."""
    m = p.trained
    logc = np.log10(np.where(m, p.compute, 1.0))
    mid = (logc[m].min() + logc[m].max()) / 2
    lower = ~m | (logc <= mid)
    upper = m & ~lower
    low = p.subset(lower)
    out = {}
    for family in FAMILIES:
        try:
            if family == "sigmoid":
                pred = predict_profile(low, p.compute[upper])
            else:
                pred = predict(family, FITTERS[family](low), p.compute[upper])
            out[family] = {"mae": float(np.mean(np.abs(pred - p.acc[upper]))), "n_fit": int(lower.sum()),
                           "n_test": int(upper.sum())}
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as err:
            out[family] = {"mae": None, "reason": str(err)}
    return out
