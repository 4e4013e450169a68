"""The procedural code task `linfn`: write a one-line Python function from input/output examples.

Prompt: three examples of an integer function f(x) = a*x + b, e.g. ``f(1)=5 f(2)=8 f(4)=14\\n``; the completion
is a whole program, ``def f(x):return 3*x+2``, scored by the `code` verifier against a HumanEval-style reference
(``check(candidate)`` asserts f on the shown inputs and on hidden ones). Coefficients: a in 1..coefficient_max,
b in 0..coefficient_max (task_options).

Held-out split: functions (a, b) chosen with a fixed split seed, never trained on or pretrained on. Pretraining
mixture: with probability `pretrain_answer_fraction` the correct body ``a*x+b``, else a distractor that fits only
the first example (``x+(f(x1)-x1)``), so that the base model can sample the right program without preferring it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from rlvr.tasks import Task, register_task
from verifiers.options import option

SPLIT_SEED = 20261123
SHOWN_X = (1, 2, 4)
HIDDEN_X = (0, 3, 7, 10, -2)


def _coefficients(top: int) -> list[tuple[int, int]]:
    return [(a, b) for a in range(1, top + 1) for b in range(0, top + 1)]


@dataclass(frozen=True)
class LinfnOptions:
    coefficient_max: int = option(10, "f(x) = a*x + b with a in 1..coefficient_max, b in 0..coefficient_max", low=2)
    train_size: int = option(5000, "training problems (drawn with replacement from the non-held-out functions)",
                             low=1)


@register_task("linfn")
class LinearFunctionTask(Task):
    verifier = "code"
    Options = LinfnOptions

    @staticmethod
    def question(a: int, b: int) -> str:
        return " ".join(f"f({x})={a * x + b}" for x in SHOWN_X) + "\n"

    @staticmethod
    def reference(a: int, b: int) -> str:
        lines = [f"    assert candidate({x}) == {a * x + b}" for x in SHOWN_X + HIDDEN_X]
        return json.dumps({"test": "def check(candidate):\n" + "\n".join(lines) + "\n", "entry_point": "f"})

    def _split(self, cfg) -> tuple[list, set]:
        top = self.options.coefficient_max
        pairs = _coefficients(top)
        if cfg.heldout_size >= len(pairs):
            raise ValueError(f"heldout_size {cfg.heldout_size} leaves no training functions: linfn has {len(pairs)} "
                             f"for coefficient_max {top}; lower heldout_size or raise coefficient_max")
        held = random.Random(SPLIT_SEED).sample(pairs, cfg.heldout_size)
        return held, set(held)

    def splits(self, cfg) -> tuple[list[dict], list[dict]]:
        held, held_set = self._split(cfg)
        pool = [p for p in _coefficients(self.options.coefficient_max) if p not in held_set]
        rng = random.Random(cfg.seed)
        train = [pool[rng.randrange(len(pool))] for _ in range(self.options.train_size)]
        row = lambda a, b: {"question": self.question(a, b), "reference": self.reference(a, b)}
        return [row(a, b) for a, b in train], [row(a, b) for a, b in held]

    def pretrain_text(self, cfg, rng: random.Random) -> tuple[str, str]:
        _, held_set = self._split(cfg)
        pool = [p for p in _coefficients(self.options.coefficient_max) if p not in held_set]
        a, b = pool[rng.randrange(len(pool))]
        if rng.random() < cfg.pretrain_answer_fraction:
            body = f"{a}*x+{b}"
        else:
            x1 = SHOWN_X[0]
            body = f"x+{a * x1 + b - x1}"  # right on the first example only
        return cfg.prompt_template.format(question=self.question(a, b)), f"def f(x):return {body}"
