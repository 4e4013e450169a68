"""The bootstrap's 95% intervals cover the truth about 95% of the time, with binomial noise alone and with
extra (training-like) noise; several seeds are resampled as whole runs."""

import numpy as np
import pytest

from rlvr.analysis.bootstrap import bootstrap, percentile_interval, resample
from rlvr.analysis.families import Points, fit_loglinear

COMPUTE = np.logspace(10, 14, 9)
TRUTH = 0.2 + 0.1 * (np.log10(COMPUTE) - 10)  # slope 0.1 per decade


def coverage(rng, extra_sd: float, trials: int = 150, draws: int = 100) -> float:
    covered = 0
    for _ in range(trials):
        acc = np.clip(rng.binomial(400, TRUTH) / 400 + rng.normal(0, extra_sd, len(TRUTH)), 0, 1)
        p = Points(COMPUTE, acc, np.full(9, 400.0), np.zeros(9, dtype=int))
        lo, hi = percentile_interval([d["slope_per_decade"] for d in
                                      bootstrap(p, "loglinear", draws, rng, point=fit_loglinear(p))])
        covered += lo <= 0.1 <= hi
    return covered / trials


def test_coverage_with_binomial_noise_is_about_95_percent():
    assert 0.88 <= coverage(np.random.default_rng(6), 0.0) <= 0.995


def test_coverage_holds_when_points_scatter_more_than_binomial():
    # sd 0.03 of extra noise on top of the binomial 0.024: without the dispersion factor coverage drops to ~70%
    assert 0.85 <= coverage(np.random.default_rng(7), 0.03) <= 0.995


def test_runs_are_resampled_whole():
    p = Points(np.tile(COMPUTE, 3), np.repeat([0.2, 0.5, 0.8], 9), np.full(27, 1e9), np.repeat([0, 1, 2], 9))
    rep = resample(p, np.random.default_rng(0))
    for run in np.unique(rep.group):  # a run's points come as a block, at the run's level (n huge: no noise)
        assert np.ptp(rep.acc[rep.group == run]) == pytest.approx(0, abs=1e-3)
    assert len(rep.acc) == 27


def test_interval_needs_enough_draws():
    assert percentile_interval([0.1] * 5) is None
    assert percentile_interval(list(np.linspace(0, 1, 101))) == pytest.approx([0.025, 0.975])
