"""pass@k: the unbiased estimator of Chen et al. (2021), "Evaluating Large Language Models Trained on Code".

With n samples of which c are correct, the probability that at least one of k samples drawn without
replacement is correct is ``1 - C(n-c, k) / C(n, k)``, computed as a stable product. pass@1 reduces to c/n.

    pass_at_k(n=8, c=2, k=4)        # 0.7857...
    mean_pass_at_k([(8, 2), (8, 0)], k=1)   # 0.125
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["pass_at_k", "mean_pass_at_k"]


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
