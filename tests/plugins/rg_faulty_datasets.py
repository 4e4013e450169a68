"""reasoning-gym datasets with misbehaving scorers, for tests/test_reasoning_gym_verifier.py.

Imported inside the verifier's scorer workers through the option ``plugins: [rg_faulty_datasets]`` (the test puts
this folder on PYTHONPATH). Each dataset's scorer fails in one way: hangs, raises, exits the process, returns a
non-number, returns a number outside [0, 1], or prints to stdout before answering correctly.
"""

import math
import os
import sys
import time
from dataclasses import dataclass

from reasoning_gym.factory import ProceduralDataset, register_dataset


@dataclass
class _Config:
    seed: int | None = None
    size: int = 10


def _dataset(name: str, score):
    class Faulty(ProceduralDataset):
        def __init__(self, config: _Config):
            super().__init__(config=config, seed=config.seed, size=config.size)

        def __getitem__(self, idx: int) -> dict:
            return {"question": f"q{idx}", "answer": "1", "metadata": {"source_dataset": name, "level": idx % 2}}

        def score_answer(self, answer, entry) -> float:
            return score(answer)

    register_dataset(name, Faulty, _Config)


def _print_then_right(answer):
    print("scorer chatter on stdout")
    sys.stdout.flush()
    os.write(1, b"raw bytes on fd 1\n")
    return 1.0 if answer == "1" else 0.0


_dataset("faulty_hang", lambda answer: time.sleep(3600))
_dataset("faulty_raise", lambda answer: 1 / 0)
_dataset("faulty_exit", lambda answer: os._exit(3))
_dataset("faulty_sysexit", lambda answer: sys.exit(0))
_dataset("faulty_text", lambda answer: "1.0")
_dataset("faulty_nan", lambda answer: math.nan)
_dataset("faulty_big", lambda answer: 2.0)
_dataset("faulty_print", _print_then_right)
