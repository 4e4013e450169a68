"""Fitting the saturating sigmoid acc = R0 + (A - R0) / (1 + (C_mid / C)^B) (ScaleRL, arXiv 2510.13786).

    params = fit_sigmoid(points)                 # {"A": ..., "B": ..., "C_mid": ..., "R0": ...}
    acc = predict_profile(points, compute)       # ceiling-averaged prediction, used by the backtest

Why not plain least squares from a few starts: the model is linear in (R0, A) once (B, C_mid) are fixed,
because acc = R0 * (1 - s) + A * s with s = 1 / (1 + (C_mid / C)^B). So every cell of a grid over
(B, log10 C_mid) gets its exact best (R0, A) in closed form (box [0, 1], "variable projection"), the best cell is
the global optimum up to grid resolution, and a short `least_squares` polishes it. That is fast (vectorised numpy)
and has no local-minimum lottery.

Why a ceiling-averaged prediction: when the data show only the rising part of the curve (as in a backtest on
the lower half of the compute range), the ceiling A is not identified: many ceilings fit equally well, and the
one a least-squares run lands on is arbitrary. `predict_profile` profiles the fit over a grid of ceilings and
averages their predictions with weights exp(-chi^2 / 2 phi) (a flat prior on A in [0, 1]; phi >= 1 is the
residual over-dispersion), so an unidentified ceiling gives a hedged, not an arbitrary, extrapolation. When A is
well determined the average collapses onto the best fit.

Residuals are weighted by the binomial standard error sqrt(q (1 - q) / n) of each point (q clipped to
[0.02, 0.98]), so chi^2 is in units of the evaluation noise. The base model (compute 0) enters as R0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fit_sigmoid", "predict_profile", "sigmoid", "binomial_weights"]

B_GRID = np.geomspace(0.1, 12.0, 28)  # slopes of the sigmoid in log10 C
B_BOUNDS = (0.05, 20.0)
CEILINGS = np.linspace(0.0, 1.0, 51)


def sigmoid(compute, A, B, C_mid, R0) -> np.ndarray:
    """R0 + (A - R0) / (1 + (C_mid / C)^B); R0 at compute 0."""
    return R0 + (A - R0) * _share(compute, B, np.log10(C_mid))


def _share(compute, B, log_cmid) -> np.ndarray:
    """s = 1 / (1 + 10^(B (log_cmid - log10 C))), broadcast over B and log_cmid arrays; 0 at C = 0.
    Shapes: B (..., 1) and log_cmid (..., 1) against compute (P,) -> (..., P)."""
    c = np.asarray(compute, dtype=float)
    logc = np.log10(np.where(c > 0, c, 1.0))
    with np.errstate(over="ignore"):
        z = np.clip(np.asarray(B)[..., None] * (np.asarray(log_cmid)[..., None] - logc), -300, 300)
        s = 1.0 / (1.0 + np.power(10.0, z))
    return np.where(c > 0, s, 0.0)


def binomial_weights(acc, n) -> np.ndarray:
    """1 / standard error of each point: sqrt(n / (q (1 - q))), q = acc clipped to [0.02, 0.98]."""
    q = np.clip(np.asarray(acc, dtype=float), 0.02, 0.98)
    return np.sqrt(np.maximum(np.asarray(n, dtype=float), 1.0) / (q * (1 - q)))


def _grid(x_lo: float, x_hi: float):
    """(B, log_cmid) cells, each of shape (G,): C_mid from a decade below to two decades above the data."""
    log_cmid = np.linspace(x_lo - 1.0, x_hi + 2.0, 46)
    b, lc = np.meshgrid(B_GRID, log_cmid, indexing="ij")
    return b.ravel(), lc.ravel()


def _solve_linear(s, y, w, ceiling=None):
    """Best (R0, A) in [0, 1]^2 for fixed shares s (G, P), or best R0 for a fixed `ceiling`. Returns (R0, A, chi2)."""
    u, v = 1.0 - s, s  # acc = R0 u + A v
    w2 = w ** 2

    def chi2(r0, a):
        return np.sum(w2 * (r0[:, None] * u + a[:, None] * v - y) ** 2, axis=1)

    def best_r0(a):  # 1-D weighted least squares for R0 given A, then the box
        num = np.sum(w2 * u * (y - a[:, None] * v), axis=1)
        return np.clip(num / np.maximum(np.sum(w2 * u * u, axis=1), 1e-300), 0.0, 1.0)

    if ceiling is not None:
        a = np.full(len(s), float(ceiling))
        r0 = best_r0(a)
        return r0, a, chi2(r0, a)

    def best_a(r0):
        num = np.sum(w2 * v * (y - r0[:, None] * u), axis=1)
        return np.clip(num / np.maximum(np.sum(w2 * v * v, axis=1), 1e-300), 0.0, 1.0)

    # The optimum of a convex quadratic on a box is interior or on an edge: try both and keep the best.
    suu, svv, suv = (np.sum(w2 * a * b, axis=1) for a, b in ((u, u), (v, v), (u, v)))
    suy, svy = np.sum(w2 * u * y, axis=1), np.sum(w2 * v * y, axis=1)
    det = suu * svv - suv ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        r0_int, a_int = (svv * suy - suv * svy) / det, (suu * svy - suv * suy) / det
    inside = (np.abs(det) > 1e-12) & (r0_int >= 0) & (r0_int <= 1) & (a_int >= 0) & (a_int <= 1)
    candidates = [(np.where(inside, r0_int, 0.5), np.where(inside, a_int, 0.5))]
    for edge in (0.0, 1.0):
        fixed = np.full(len(s), edge)
        candidates += [(fixed, best_a(fixed)), (best_r0(fixed), fixed)]
    scores = np.array([np.where(inside | (i > 0), chi2(r0, a), np.inf) for i, (r0, a) in enumerate(candidates)])
    pick = np.argmin(scores, axis=0)
    r0 = np.choose(pick, [c[0] for c in candidates])
    a = np.choose(pick, [c[1] for c in candidates])
    return r0, a, scores[pick, np.arange(len(s))]


def _setup(p):
    """(log10 compute of the trained points, binomial weights, grid of B, grid of log10 C_mid) for `p`."""
    m = p.trained
    if m.sum() < 3:
        raise ValueError("sigmoid fit needs at least three points with compute > 0")
    x = np.log10(p.compute[m])
    b, lc = _grid(x.min(), x.max())
    return x, binomial_weights(p.acc, p.n), b, lc


def fit_sigmoid(p, polish: bool = True, max_nfev: int = 200) -> dict:
    """Weighted least-squares sigmoid through `p` (a `families.Points`): grid + closed form, then polished."""
    x, w, b, lc = _setup(p)
    r0, a, chi2 = _solve_linear(_share(p.compute, b, lc), p.acc, w)
    i = int(np.argmin(chi2))
    theta = np.array([a[i], b[i], lc[i], r0[i]])
    if polish:
        from scipy.optimize import least_squares

        lo, hi = [0.0, B_BOUNDS[0], x.min() - 1.0, 0.0], [1.0, B_BOUNDS[1], x.max() + 2.0, 1.0]

        def residuals(t):
            return (t[3] + (t[0] - t[3]) * _share(p.compute, t[1], t[2]) - p.acc) * w

        res = least_squares(residuals, np.clip(theta, lo, hi), bounds=(lo, hi), max_nfev=max_nfev)
        if 2 * res.cost <= chi2[i]:
            theta = res.x
    A, B, log_cmid, R0 = (float(v) for v in theta)
    return {"A": A, "B": B, "C_mid": float(10 ** log_cmid), "R0": R0}


def predict_profile(p, compute) -> np.ndarray:
    """Prediction at `compute` averaged over ceilings A on a grid, weighted by their profile likelihood."""
    _, w, b, lc = _setup(p)
    s_data, s_new = _share(p.compute, b, lc), _share(compute, b, lc)
    chi2s, preds = [], []
    for ceiling in CEILINGS:
        r0, a, chi2 = _solve_linear(s_data, p.acc, w, ceiling=ceiling)
        i = int(np.argmin(chi2))
        chi2s.append(chi2[i])
        preds.append(r0[i] + (a[i] - r0[i]) * s_new[i])
    chi2s = np.array(chi2s)
    dispersion = max(1.0, chi2s.min() / max(1, len(p.acc) - 4))
    weights = np.exp(-(chi2s - chi2s.min()) / (2 * dispersion))
    return np.average(np.array(preds), axis=0, weights=weights)
