"""The TRL adapter: turns a `verifiers.Verifier` into a GRPO reward function.

    reward_fn = VerifierReward(get_verifier("math"), reference_column="reference", workers=2)
    GRPOTrainer(..., reward_funcs=[reward_fn])

TRL calls ``reward_fn(prompts=..., completions=..., completion_ids=..., **dataset_columns)`` and expects one float
or None per completion. The adapter

- reads each completion's reference from the dataset column `reference_column`;
- scores the whole batch through the verifier's batch path (`verify_batch`), so worker pools are reused;
- returns None for samples the verifier cannot score (bad reference, infrastructure failure): TRL turns None into
  NaN and masks the sample, so it is never silently a 0 or a 1;
- is named after the verifier, so TRL logs ``rewards/<name>/mean``; logs ``verifier/<status>`` counts for every
  status the verifier knows, ``verifier/unscored`` and ``time/reward_seconds`` through TRL's ``log_metric``.
  TRL averages a logged metric over processes, so counts are logged times the number of processes: the logged
  value is the count over the whole generation batch of every process (not rank 0's share);
- raises (stopping training loudly) when more than `max_unscored_fraction` of a batch cannot be scored, because a
  run trained on mostly masked rewards would be measuring the verifier's failures, not RL;
- hands each batch to an optional `on_batch` sink (the run folder's samples.jsonl writer).
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable

from verifiers import Verifier

__all__ = ["VerifierReward", "completion_text"]

logger = logging.getLogger(__name__)


def completion_text(completion) -> str:
    """Plain text of a TRL completion: a string, or a conversational list of messages (last assistant content)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        content = completion[-1].get("content", "")
        return content if isinstance(content, str) else str(content)
    return str(completion)


class VerifierReward:
    """Callable TRL reward function backed by a verifier (see module docstring)."""

    def __init__(self, verifier: Verifier, reference_column: str = "reference", workers: int = 1,
                 max_unscored_fraction: float = 0.5, on_batch: Callable[[dict], None] | None = None):
        if not 0 <= max_unscored_fraction <= 1:
            raise ValueError(f"max_unscored_fraction must be in [0, 1], got {max_unscored_fraction}")
        self.verifier = verifier
        self.reference_column = reference_column
        self.workers = workers
        self.max_unscored_fraction = max_unscored_fraction
        self.on_batch = on_batch
        self.__name__ = verifier.name or type(verifier).__name__  # TRL: rewards/<__name__>/mean
        self.totals: Counter = Counter()  # statuses over the whole run (this process)
        self.completion_tokens = 0  # independent token tally, cross-checked against the compute ledger in tests
        self.batches = 0

    def __call__(self, prompts, completions, completion_ids=None, log_metric=None, **columns) -> list[float | None]:
        if self.reference_column not in columns:
            shown = sorted(k for k in columns if not k.startswith(("trainer_", "log_")))
            raise KeyError(f"the training dataset has no column {self.reference_column!r} with references; "
                           f"columns passed by TRL: {shown}")
        references = columns[self.reference_column]
        texts = [completion_text(c) for c in completions]
        hits0 = getattr(self.verifier, "hits", None)  # a CachedVerifier counts verdicts served without a run
        t0 = time.perf_counter()
        verdicts = self.verifier.verify_batch(list(zip(texts, references, strict=True)), workers=self.workers)
        seconds = time.perf_counter() - t0
        rewards = [v.reward for v in verdicts]
        counts = Counter(v.status for v in verdicts)
        unscored = sum(r is None for r in rewards)
        self.totals.update(counts)
        self.batches += 1
        if completion_ids is not None:
            self.completion_tokens += sum(len(ids) for ids in completion_ids)
        if log_metric is not None:
            world = int(os.environ.get("WORLD_SIZE", "1"))  # TRL logs the mean over processes; we want the sum
            for status in sorted(set(self.verifier.statuses) | set(counts)):
                log_metric(f"verifier/{status}", float(counts.get(status, 0) * world))
            log_metric("verifier/unscored", float(unscored * world))
            log_metric("time/reward_seconds", seconds)
            if isinstance(hits0, int):
                log_metric("reward_cache/hits", float((self.verifier.hits - hits0) * world))
        if self.on_batch is not None:
            self.on_batch({"prompts": list(prompts), "completions": texts, "references": list(references),
                           "rewards": rewards, "statuses": [v.status for v in verdicts]})
        if verdicts and unscored / len(verdicts) > self.max_unscored_fraction:
            raise RuntimeError(
                f"the {self.__name__!r} verifier could not score {unscored}/{len(verdicts)} completions "
                f"(statuses {dict(counts)}); stopping instead of training on masked rewards. Check the references "
                f"with `rlvr audit` and the verifier's infrastructure.")
        if unscored == len(verdicts) and verdicts:
            logger.warning("no completion of this batch could be scored: %s", dict(counts))
        return rewards
