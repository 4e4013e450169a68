"""Procedural tasks: registry, and the `add` task's splits and pretraining corpus."""

import random
from collections import Counter

import pytest

from rlvr.config import ExperimentConfig
from rlvr.tasks import Task, get_task, list_tasks, register_task


def cfg_of(operand_max: int = 99, train_size: int = 500, **kw) -> ExperimentConfig:
    base = {"heldout_size": 64, "eval_problems": 64,
            "task_options": {"operand_max": operand_max, "train_size": train_size}}
    return ExperimentConfig(**{**base, **kw})


def pair_of(question: str) -> tuple[int, int]:
    a, b = question.rstrip("=").split("+")
    return int(a), int(b)


# --- registry -------------------------------------------------------------------------------------------------

def test_add_is_registered():
    assert "add" in list_tasks()
    assert isinstance(get_task("add"), Task)


@pytest.mark.parametrize("name, hint", [("ad", "Did you mean 'add'"), ("nope", "Known procedural tasks: add")])
def test_unknown_task_lists_known_names(name, hint):
    with pytest.raises(ValueError, match=hint):
        get_task(name)


def test_registering_a_name_twice_raises():
    get_task("add")  # loads the built-in tasks
    with pytest.raises(ValueError, match="already registered"):
        @register_task("add")
        class Other(Task):
            pass


# --- add: splits -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("operand_max, train_size, heldout_size", [(99, 500, 64), (9, 200, 20), (999, 50, 256)])
def test_splits_sizes_answers_and_disjointness(operand_max, train_size, heldout_size):
    cfg = cfg_of(operand_max=operand_max, train_size=train_size, heldout_size=heldout_size,
                 eval_problems=min(heldout_size, 64))
    train, heldout = cfg.make_task().splits(cfg)
    assert (len(train), len(heldout)) == (train_size, heldout_size)
    for row in train + heldout:
        a, b = pair_of(row["question"])
        assert 0 <= a <= operand_max and 0 <= b <= operand_max
        assert row["reference"] == str(a + b)
    held = {r["question"] for r in heldout}
    assert len(held) == heldout_size  # distinct problems
    assert held.isdisjoint(r["question"] for r in train)


def test_splits_are_deterministic_and_heldout_does_not_move_with_seed():
    task = get_task("add")
    train0, held0 = task.splits(cfg_of(seed=0))
    assert task.splits(cfg_of(seed=0)) == (train0, held0)
    train1, held1 = task.splits(cfg_of(seed=1))
    assert held1 == held0  # one benchmark for every RL seed
    assert train1 != train0


def test_heldout_too_large_is_a_clear_error():
    with pytest.raises(ValueError, match="leaves no training problems"):
        (c := cfg_of(operand_max=3, heldout_size=16, eval_problems=16)).make_task().splits(c)


# --- add: pretraining corpus -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fraction", [0.4, 1.0])
def test_pretrain_text_mixture_and_no_heldout_leak(fraction):
    cfg = cfg_of(pretrain_answer_fraction=fraction)
    _, heldout = cfg.make_task().splits(cfg)
    held = {r["question"] for r in heldout}
    rng, modes = random.Random(0), Counter()
    for _ in range(3000):
        prompt, completion = cfg.make_task().pretrain_text(cfg, rng)
        assert prompt not in held  # the benchmark is never pretrained on
        a, b = pair_of(prompt)
        assert completion in (str(a + b), str(a))
        modes["sum" if completion == str(a + b) else "copy"] += 1  # a copy with b == 0 counts as a sum (1%)
    assert modes["sum"] / 3000 == pytest.approx(fraction + (1 - fraction) / 100, abs=0.03)


def test_pretrain_text_uses_the_prompt_template_and_is_seeded():
    cfg = cfg_of(prompt_template="Q: {question}\nA: ")
    task = get_task("add")
    first = [task.pretrain_text(cfg, random.Random(7)) for _ in range(2)]
    assert first[0] == first[1]
    prompt, _ = first[0]
    assert prompt.startswith("Q: ") and prompt.endswith("=\nA: ")
