"""The procedural math task `add`: question "a+b=", reference str(a+b), operands 0..operand_max (task_options).

    train, heldout = get_task("add").splits(cfg)     # [{"question": "12+34=", "reference": "46"}, ...]

Held-out split: `heldout_size` distinct (a, b) pairs drawn with a fixed split seed (`SPLIT_SEED`, not `cfg.seed`, so
every RL seed is measured on the same benchmark), never trained on, in RL or in pretraining. Training split:
`train_size` pairs drawn with replacement, with `cfg.seed`, from the other pairs.

Pretraining mixture: with probability `pretrain_answer_fraction` the completion is the sum, otherwise a copy of
`a`. Why a distractor mode: RL sharpens what the base model can already sample, so the base model must put real
probability on the right answer (pass@k well above pass@1) without always choosing it. In the issue's trial a
40% sum / 60% copy-of-`a` mixture gave held-out pass@1 0.23 and pass@8 0.77 at temperature 1, and GRPO learned
from it; a near-miss distractor (sum +-1, +-10) was never unlearned.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from rlvr.tasks import Task, register_task
from verifiers.options import option

SPLIT_SEED = 20261122  # fixed: the benchmark does not move with cfg.seed


@functools.lru_cache(maxsize=8)
def heldout_pairs(operand_max: int, heldout_size: int) -> tuple[tuple[int, int], ...]:
    """The held-out (a, b) pairs: distinct, drawn with `SPLIT_SEED` from all (operand_max + 1)**2 pairs."""
    m = operand_max + 1
    if heldout_size >= m * m:
        raise ValueError(f"heldout_size {heldout_size} leaves no training problems for operand_max {operand_max} "
                         f"({m * m} pairs); lower heldout_size or raise operand_max")
    return tuple(divmod(i, m) for i in random.Random(SPLIT_SEED).sample(range(m * m), heldout_size))


@functools.lru_cache(maxsize=8)
def _heldout_set(operand_max: int, heldout_size: int) -> frozenset[tuple[int, int]]:
    return frozenset(heldout_pairs(operand_max, heldout_size))


def _row(a: int, b: int) -> dict:
    return {"question": f"{a}+{b}=", "reference": str(a + b)}


def _draw_unheld(operand_max: int, heldout_size: int, rng: random.Random) -> tuple[int, int]:
    """A uniformly random (a, b) pair that is not held out."""
    held, m = _heldout_set(operand_max, heldout_size), operand_max + 1
    while True:
        pair = (rng.randrange(m), rng.randrange(m))
        if pair not in held:
            return pair


@dataclass(frozen=True)
class AddOptions:
    operand_max: int = option(99, "operands are drawn from 0..operand_max", low=1)
    train_size: int = option(20000, "training problems (drawn with replacement from the non-held-out pairs)", low=1)


@register_task("add")
class AddTask(Task):
    verifier = "math"
    Options = AddOptions

    def splits(self, cfg) -> tuple[list[dict], list[dict]]:
        o = self.options
        heldout = [_row(a, b) for a, b in heldout_pairs(o.operand_max, cfg.heldout_size)]
        rng = random.Random(cfg.seed)
        return [_row(*_draw_unheld(o.operand_max, cfg.heldout_size, rng)) for _ in range(o.train_size)], heldout

    def pretrain_text(self, cfg, rng: random.Random) -> tuple[str, str]:
        a, b = _draw_unheld(self.options.operand_max, cfg.heldout_size, rng)
        completion = str(a + b) if rng.random() < cfg.pretrain_answer_fraction else str(a)
        return cfg.prompt_template.format(question=f"{a}+{b}="), completion
