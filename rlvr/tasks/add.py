"""The procedural math task `add`: "a+b=" -> "a+b", operands 0..operand_max, scored by the `math` verifier.

Held-out split: `heldout_size` (a, b) pairs chosen with a fixed split seed, never used for training or
pretraining. Training split: `train_size` pairs drawn (with replacement) from the rest with `cfg.seed`.

Pretraining mixture: with probability `pretrain_answer_fraction` the completion is the sum, otherwise a copy of
`a`. Why a distractor mode: RL sharpens what the base model can already sample, so the base model must put real
probability on the right answer (pass@k well above pass@1) without always choosing it. A trial found that a
near-miss distractor (sum +-1, +-10) was never unlearned, while copy-of-`a` (40/60) rose from pass@1 0.23 to 0.69.
"""

from __future__ import annotations

import random

from rlvr.tasks import Task, register_task

SPLIT_SEED = 20261122  # fixed: the benchmark does not move with cfg.seed


@register_task("add")
class AddTask(Task):
    verifier = "math"

    def _heldout_pairs(self, cfg) -> list[tuple[int, int]]:
        m = cfg.operand_max + 1
        if cfg.heldout_size >= m * m:
            raise ValueError(f"heldout_size {cfg.heldout_size} leaves no training problems for operand_max "
                             f"{cfg.operand_max} ({m * m} pairs); lower heldout_size or raise operand_max")
        indices = random.Random(SPLIT_SEED).sample(range(m * m), cfg.heldout_size)
        return [divmod(i, m) for i in indices]

    @staticmethod
    def _row(a: int, b: int) -> dict:
        return {"question": f"{a}+{b}=", "reference": str(a + b)}

    def splits(self, cfg) -> tuple[list[dict], list[dict]]:
        heldout = self._heldout_pairs(cfg)
        held = set(heldout)
        m = cfg.operand_max + 1
        rng = random.Random(cfg.seed)
        train = []
        while len(train) < cfg.train_size:
            pair = (rng.randrange(m), rng.randrange(m))
            if pair not in held:
                train.append(self._row(*pair))
        return train, [self._row(a, b) for a, b in heldout]

    def pretrain_text(self, cfg, rng: random.Random) -> tuple[str, str]:
        held = getattr(self, "_held_cache", None)
        if held is None or self._held_key != (cfg.operand_max, cfg.heldout_size):
            self._held_cache = held = set(self._heldout_pairs(cfg))
            self._held_key = (cfg.operand_max, cfg.heldout_size)
        m = cfg.operand_max + 1
        while True:
            a, b = rng.randrange(m), rng.randrange(m)
            if (a, b) not in held:
                break
        completion = str(a + b) if rng.random() < cfg.pretrain_answer_fraction else str(a)
        return cfg.prompt_template.format(question=f"{a}+{b}="), completion
