"""pass@k against brute-force enumeration of every k-subset of samples; maj@k on hand-made votes."""

import itertools
import math

import pytest

from rlvr.evaluation.passk import majority_at_k, mean_pass_at_k, pass_at_k


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


@pytest.mark.parametrize("n", [1, 4, 16, 64])
def test_pass_at_k_never_falls_as_k_grows(n):
    for c in range(n + 1):
        values = [pass_at_k(n, c, k) for k in range(1, n + 1)]
        assert all(a <= b + 1e-12 for a, b in zip(values, values[1:], strict=False))


# (answer, correct) per sample; "7" is right, others wrong, None: no parsable answer (does not vote)
R, W, X, NONE = ("7", True), ("8", False), ("9", False), (None, False)
VOTES = [
    ([R, R, W], 3, 1.0),                 # one group of 3: 7 wins 2-1
    ([R, W, W], 3, 0.0),                 # 8 wins
    ([R, W, X], 3, 1 / 3),               # three-way tie: credit 1/3
    ([R, W], 2, 0.5),                    # two-way tie
    ([R, NONE, NONE], 3, 1.0),           # the only vote wins
    ([NONE, NONE], 2, 0.0),              # nobody votes: wrong
    ([R, W, R, R, W, W], 3, 0.5),        # groups [R W R] -> right, [R W W] -> wrong
    ([R, W, X, W], 1, 0.25),             # maj@1 is pass@1 when every answer is scored
    ([R, W, R, W, R, W, R, W], 8, 0.5),  # 4-4 tie over all 8
]


@pytest.mark.parametrize("votes, k, expected", VOTES)
def test_majority_at_k_on_hand_made_votes(votes, k, expected):
    assert majority_at_k(votes, k) == pytest.approx(expected)


def brute_force_majority(votes, k) -> float:
    """Expected majority-vote credit over every k-subset (ties shared)."""
    total, subsets = 0.0, list(itertools.combinations(votes, k))
    for subset in subsets:
        tally = {}
        for answer, _ in subset:
            if answer is not None:
                tally[answer] = tally.get(answer, 0) + 1
        if tally:
            top = max(tally.values())
            winners = [a for a, c in tally.items() if c == top]
            total += winners.count("7") / len(winners)
    return total / len(subsets)


@pytest.mark.parametrize("votes, k", [([R, R, W, X, W, NONE], 2), ([R, R, W, X, W, NONE], 3), ([R, W, W, X], 2)])
def test_majority_groups_are_unbiased_over_orderings(votes, k):
    """Averaged over every order of the samples, the disjoint-group estimate equals maj@k over all k-subsets."""
    orders = list(itertools.permutations(votes))
    mean = sum(majority_at_k(list(o), k) for o in orders) / len(orders)
    assert mean == pytest.approx(brute_force_majority(votes, k))


def test_majority_rejects_bad_k():
    with pytest.raises(ValueError):
        majority_at_k([R, W], 3)
