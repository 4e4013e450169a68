"""Bootstrap for scaling fits: each replicate redraws every point's accuracy from its binomial noise and, when
several runs (seeds) of one config are pooled, resamples whole runs.

    draws = bootstrap(points, "loglinear", 300, np.random.default_rng(0))   # list of parameter dicts
    lo, hi = np.percentile([d["slope_per_decade"] for d in draws], [2.5, 97.5])

Noise model, and why:
- Evaluation noise: pass@1 over n problems is redrawn as Binomial(n, pass@1) / n. With several samples per problem
  the true variance of pass@1 is at most this, so the band is, if anything, slightly wide.
- Training noise: one run's checkpoints wobble more than their evaluation noise (different RL seeds reach
  different accuracies). With several runs, resampling runs carries that spread. With one run, the binomial
  deviations are scaled by sqrt(dispersion), the family's residual chi^2 per degree of freedom (at least 1), so
  scatter beyond the binomial noise widens the interval instead of being ignored.
"""

from __future__ import annotations

import numpy as np

from rlvr.analysis.families import FITTERS, Points, dispersion

__all__ = ["resample", "bootstrap", "percentile_interval"]


def resample(p: Points, rng: np.random.Generator, scale: float = 1.0) -> Points:
    """One replicate: runs resampled with replacement (if several), then each accuracy redrawn from
    Binomial(n, acc) / n, its deviation from acc multiplied by `scale`."""
    if p.group is not None and len(np.unique(p.group)) > 1:
        runs = np.unique(p.group)
        chosen = rng.choice(runs, size=len(runs), replace=True)
        idx = np.concatenate([np.flatnonzero(p.group == r) for r in chosen])
        p = Points(p.compute[idx], p.acc[idx], p.n[idx], p.group[idx])
    n = np.maximum(p.n, 1)
    drawn = rng.binomial(n.astype(int), np.clip(p.acc, 0, 1)) / n
    return Points(p.compute, np.clip(p.acc + scale * (drawn - p.acc), 0.0, 1.0), p.n, p.group)


def bootstrap(p: Points, family: str, draws: int, rng: np.random.Generator, point: dict | None = None) -> list[dict]:
    """Parameter dicts of `family` fitted to `draws` replicates (failed fits are skipped). `point` is the fit to
    the data, used for the dispersion of a single run; the sigmoid is not polished in replicates, for speed."""
    several_runs = p.group is not None and len(np.unique(p.group)) > 1
    scale = 1.0 if several_runs or point is None else float(np.sqrt(dispersion(p, family, point)))
    fitter = FITTERS[family]
    out = []
    for _ in range(draws):
        replicate = resample(p, rng, scale)
        try:
            out.append(fitter(replicate, polish=False) if family == "sigmoid" else fitter(replicate))
        except (ValueError, RuntimeError, np.linalg.LinAlgError):
            continue
    return out


def percentile_interval(values, min_draws: int = 20) -> list[float] | None:
    """95% percentile interval of the finite `values`, or None with fewer than `min_draws` of them."""
    values = [v for v in values if v is not None and np.isfinite(v)]
    if len(values) < min_draws:
        return None
    lo, hi = np.percentile(values, [2.5, 97.5])
    return [float(lo), float(hi)]
