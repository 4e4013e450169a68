"""pass@k against brute-force enumeration of every k-subset of samples."""

import itertools
import math

import pytest

from rlvr.passk import mean_pass_at_k, pass_at_k


def brute_force(n: int, c: int, k: int) -> float:
    samples = [1] * c + [0] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


CASES = [(n, c, k) for n in (1, 2, 5, 8, 10) for c in range(n + 1) for k in range(1, n + 1)]


@pytest.mark.parametrize("n, c, k", CASES)
def test_matches_enumeration(n, c, k):
    assert pass_at_k(n, c, k) == pytest.approx(brute_force(n, c, k), abs=1e-12)


@pytest.mark.parametrize("n, c", [(8, 3), (100, 7), (1, 1)])
def test_pass_at_1_is_fraction_correct(n, c):
    assert pass_at_k(n, c, 1) == pytest.approx(c / n)


def test_large_n_is_stable():
    assert pass_at_k(1000, 1, 500) == pytest.approx(0.5)
    assert 0 <= pass_at_k(10_000, 3, 10) <= 1
    assert not math.isnan(pass_at_k(10_000, 0, 10_000))


@pytest.mark.parametrize("n, c, k", [(4, 5, 1), (4, -1, 1), (4, 2, 0), (4, 2, 5)])
def test_invalid_arguments(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_mean_over_problems():
    assert mean_pass_at_k([(8, 2), (8, 0)], 1) == pytest.approx(0.125)
    with pytest.raises(ValueError):
        mean_pass_at_k([], 1)
