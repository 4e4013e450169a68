"""Contracts every registered verifier and every registered task keeps, checked over all of them: a new verifier or
task is tested by adding nothing here.

Verifiers: deterministic; total on garbage and huge input (a Verdict, never an exception); a reference that is not
one gives reward None, never 0 or 1; `verify` and `verify_batch` agree; `check_reference` agrees with `verify`.
Tasks: deterministic splits; held-out disjoint from training; every reference accepted by the task's verifier.
"""

from __future__ import annotations

import dataclasses

import pytest

from rlvr.config import ExperimentConfig
from rlvr.tasks import get_task_class, list_tasks
from verifiers import Verdict, get_verifier, get_verifier_class, list_verifiers

GARBAGE = ["", " ", "\x00\x01\x02", "\ud800 lone surrogate", "💥" * 1000, "{" * 5000, "1" * 200_000,
           "```python\n" + "x = 1\n" * 20_000 + "```", "\\boxed{" * 300, "<answer></answer>"]
NOT_A_REFERENCE = "\x00{not a reference"


@pytest.fixture(scope="module", params=list_verifiers())
def verifier(request):
    v = get_verifier(request.param)
    yield v
    v.close()


def test_every_verifier_declares_options_and_statuses(verifier):
    cls = type(verifier)
    assert dataclasses.is_dataclass(cls.Options) and cls.Options.__dataclass_params__.frozen
    for f in dataclasses.fields(cls.Options):
        assert f.metadata.get("help"), f"option {f.name} of {verifier.name} has no help text"
    assert verifier.statuses and "bad_reference" in verifier.statuses


def test_unknown_option_names_the_plugin_and_the_closest_option(verifier):
    fields = [f.name for f in dataclasses.fields(type(verifier).Options)]
    if not fields:
        pytest.skip(f"{verifier.name} has no options")
    pattern = rf"unknown option '{fields[0]}x' for verifier '{verifier.name}'.*'{fields[0]}'"
    with pytest.raises(ValueError, match=pattern):
        get_verifier_class(verifier.name)(**{fields[0] + "x": 1})


def test_total_on_garbage_and_deterministic(verifier):
    pairs = [(c, r) for c in GARBAGE for r in (NOT_A_REFERENCE, "3")]
    first = verifier.verify_batch(pairs, workers=2)
    assert all(isinstance(v, Verdict) and v.status in verifier.statuses for v in first)
    assert verifier.verify_batch(pairs, workers=1) == first  # same verdicts, any worker count
    assert [verifier.verify(c, r) for c, r in pairs[:6]] == first[:6]  # verify agrees with verify_batch


def test_a_bad_reference_is_none_never_zero_or_one(verifier):
    assert verifier.check_reference(NOT_A_REFERENCE) is not None
    for completion in ("3", "\\boxed{3}", "def f(x):\n    return x\n"):
        verdict = verifier.verify(completion, NOT_A_REFERENCE)
        assert verdict.reward is None and verdict.status == "bad_reference"


# --- tasks -------------------------------------------------------------------------------------------------------

def small_config(task: str) -> ExperimentConfig:
    options = {f.name for f in dataclasses.fields(get_task_class(task).Options)}
    task_options = {"train_size": 64} if "train_size" in options else {}
    return ExperimentConfig(task=task, task_options=task_options, heldout_size=16, eval_problems=16)


@pytest.fixture(scope="module", params=list_tasks())
def task_cfg(request):
    return small_config(request.param)


def test_splits_are_deterministic_and_heldout_is_disjoint(task_cfg):
    train, heldout = task_cfg.make_task().splits(task_cfg)
    assert (train, heldout) == task_cfg.make_task().splits(task_cfg)
    assert train and len(heldout) == task_cfg.heldout_size
    assert {r["question"] for r in heldout}.isdisjoint(r["question"] for r in train)
    assert all(isinstance(r["question"], str) and isinstance(r["reference"], str) for r in train + heldout)


def test_every_reference_is_accepted_by_the_tasks_verifier(task_cfg):
    train, heldout = task_cfg.make_task().splits(task_cfg)
    with task_cfg.make_verifier() as verifier:
        for row in train[:16] + heldout:
            assert verifier.check_reference(row["reference"]) is None, row


def test_pretraining_text_never_shows_a_heldout_question(task_cfg):
    import random

    task = task_cfg.make_task()
    _, heldout = task.splits(task_cfg)
    held = {task_cfg.prompt_template.format(question=r["question"]) for r in heldout}
    rng = random.Random(0)
    for _ in range(200):
        prompt, completion = task.pretrain_text(task_cfg, rng)
        assert prompt not in held and isinstance(completion, str)
