"""The sigmoid fitter: exact on noise-free curves (grid + closed form + polish), bounded, and a ceiling-averaged
prediction that hedges when the data do not pin the ceiling."""

import numpy as np
import pytest

from rlvr.analysis.families import Points
from rlvr.analysis.sigmoid import fit_sigmoid, predict_profile, sigmoid

COMPUTE = np.r_[0.0, np.logspace(10, 14, 9)]


@pytest.mark.parametrize("A, B, C_mid, R0", [
    (0.8, 1.5, 1e12, 0.2), (0.6, 0.7, 3e11, 0.05), (0.95, 3.0, 1e13, 0.3), (0.3, 1.0, 1e12, 0.6),  # last: falls
])
def test_noise_free_parameters_are_recovered(A, B, C_mid, R0):
    p = Points(COMPUTE, sigmoid(COMPUTE, A, B, C_mid, R0), np.full(10, 1000.0))
    fit = fit_sigmoid(p)
    assert fit["A"] == pytest.approx(A, abs=2e-3) and fit["R0"] == pytest.approx(R0, abs=2e-3)
    assert fit["B"] == pytest.approx(B, rel=0.02)
    assert np.log10(fit["C_mid"]) == pytest.approx(np.log10(C_mid), abs=0.02)


def test_parameters_stay_in_bounds_on_odd_data():
    p = Points(COMPUTE, np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]), np.full(10, 50.0))
    fit = fit_sigmoid(p)
    assert 0 <= fit["A"] <= 1 and 0 <= fit["R0"] <= 1 and fit["B"] > 0 and fit["C_mid"] > 0


def test_identified_ceiling_predicts_like_the_fit():
    p = Points(COMPUTE, sigmoid(COMPUTE, 0.8, 1.5, 1e11, 0.2), np.full(10, 1000.0))
    assert predict_profile(p, np.array([1e15, 1e16])) == pytest.approx([0.8, 0.8], abs=0.01)


def test_unidentified_ceiling_is_hedged():
    # Only the onset of the curve (a bend two decades past the data): ceilings from ~0.3 to 1 fit alike, so the
    # prediction far out sits between them rather than at an arbitrary end.
    low = COMPUTE[:6]
    p = Points(low, sigmoid(low, 0.8, 1.5, 1e14, 0.2), np.full(6, 1000.0))
    far = predict_profile(p, np.array([1e16]))[0]
    assert 0.4 < far < 0.95


def test_too_few_points():
    with pytest.raises(ValueError, match="three points"):
        fit_sigmoid(Points(COMPUTE[:3], np.array([0.1, 0.2, 0.3]), np.full(3, 100.0)))
