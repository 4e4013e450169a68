"""pass@k: the unbiased estimator of Chen et al. (2021), "Evaluating Large Language Models Trained on Code".

With n samples of which c are correct, the probability that at least one of k samples drawn without
replacement is correct is ``1 - C(n-c, k) / C(n, k)``, computed as a stable product. pass@1 reduces to c/n.

    pass_at_k(n=8, c=2, k=4)        # 0.7857...
    mean_pass_at_k([(8, 2), (8, 0)], k=1)   # 0.125
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["pass_at_k", "mean_pass_at_k", "majority_at_k"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem with `n` samples, `c` correct."""
    if not (0 <= c <= n) or not (1 <= k <= n):
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    prob_all_wrong = 1.0
    for i in range(n - c + 1, n + 1):  # C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k/i)
        prob_all_wrong *= 1.0 - k / i
    return 1.0 - prob_all_wrong


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int) -> float:
    """Mean over problems of pass@k, from (n, c) per problem."""
    counts = list(counts)
    if not counts:
        raise ValueError("pass@k over zero problems is undefined")
    return sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)


def majority_at_k(votes: list[tuple[object, bool]], k: int) -> float:
    """maj@k of one problem from its n samples' (canonical answer, correct) pairs.

    The samples are cut, in order, into n // k disjoint groups of k; in each group the most frequent canonical
    answer (None does not vote) wins, a tie between t answers giving credit 1/t to each; a group scores the
    credit of the correct answer(s). The problem scores the mean over groups (unbiased: samples are i.i.d.).
    An answer counts as correct when most of the samples that gave it were verified correct.
    """
    n = len(votes)
    if not 1 <= k <= n:
        raise ValueError(f"maj@k needs 1 <= k <= n, got n={n}, k={k}")
    totals: dict = {}
    for answer, ok in votes:
        if answer is not None:
            right, seen = totals.get(answer, (0, 0))
            totals[answer] = (right + bool(ok), seen + 1)
    correct = {a for a, (right, seen) in totals.items() if 2 * right > seen}
    groups = n // k
    score = 0.0
    for g in range(groups):
        tally: dict = {}
        for answer, _ in votes[g * k:(g + 1) * k]:
            if answer is not None:
                tally[answer] = tally.get(answer, 0) + 1
        if not tally:
            continue
        top = max(tally.values())
        winners = [a for a, c in tally.items() if c == top]
        score += sum(a in correct for a in winners) / len(winners)
    return score / groups
