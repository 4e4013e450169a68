"""The `reasoning_gym` task: rows, disjoint fixed held-out split, difficulty levels, pretraining mixture, limits."""

import json
import logging
import random
from collections import Counter

import pytest

from rlvr.config import ExperimentConfig
from rlvr.tasks import get_task, list_tasks
from verifiers import get_verifier
from verifiers.options import OptionError

CHAIN = {"dataset": "chain_sum", "config": {"min_terms": 2, "max_terms": 3, "min_digits": 1, "max_digits": 2},
         "train_size": 400, "subset_field": "num_terms", "question_from": "expression"}


def cfg_of(task_options: dict | None = None, **kw) -> ExperimentConfig:
    base = {"task": "reasoning_gym", "heldout_size": 100, "eval_problems": 64, "prompt_template": "{question} =",
            "task_options": {**CHAIN, **(task_options or {})}}
    return ExperimentConfig(**{**base, **kw})


def value_of(expression: str) -> int:
    """The value of a chain_sum expression like '12 - 7 + 30' (no eval)."""
    tokens = expression.split()
    total = int(tokens[0])
    for op, number in zip(tokens[1::2], tokens[2::2], strict=True):
        total += int(number) if op == "+" else -int(number)
    return total


def test_registered_with_its_verifier():
    assert "reasoning_gym" in list_tasks()
    assert get_task("reasoning_gym").verifier == "reasoning_gym"
    assert cfg_of().verifier == "reasoning_gym"  # the task's default verifier


# --- rows ---------------------------------------------------------------------------------------------------------

def test_rows_carry_question_reference_and_level():
    cfg = cfg_of()
    task = cfg.make_task()
    train, heldout = task.splits(cfg)
    assert len(train) == 400 and 90 <= len(heldout) <= 100
    assert task.default_subset_field == "num_terms"
    for row in train + heldout:
        ref = json.loads(row["reference"])
        assert ref["dataset"] == "chain_sum"
        assert row["question"] == ref["entry"]["metadata"]["expression"]
        assert ref["entry"]["answer"] == str(value_of(row["question"]))
        assert row["num_terms"] == ref["entry"]["metadata"]["num_terms"] == len(row["question"].split()) // 2 + 1
    assert set(Counter(r["num_terms"] for r in heldout)) == {2, 3}


def test_without_question_from_the_generators_question_is_the_prompt():
    cfg = cfg_of({"question_from": None, "subset_field": None})
    task = cfg.make_task()
    _, heldout = task.splits(cfg)
    assert heldout[0]["question"].startswith("State the final answer")
    assert task.default_subset_field is None and set(heldout[0]) == {"question", "reference"}


@pytest.mark.parametrize("name, config", [("basic_arithmetic", {"max_terms": 3, "max_digits": 2}),
                                          ("gcd", {}), ("count_bits", {"max_n": 1000})])
def test_other_datasets_round_trip_through_the_verifier(name, config):
    cfg = cfg_of({"dataset": name, "config": config, "subset_field": None, "question_from": None, "train_size": 20},
                 heldout_size=20, eval_problems=8, prompt_template="{question}")
    train, heldout = cfg.make_task().splits(cfg)
    with get_verifier("reasoning_gym") as v:
        verdicts = v.verify_batch([(json.loads(r["reference"])["entry"]["answer"], r["reference"])
                                   for r in train + heldout])
    assert {x.status for x in verdicts} == {"correct"}


def test_composite_mixtures_name_the_sub_dataset_in_each_reference():
    config = {"datasets": [{"name": "chain_sum", "weight": 1, "config": {"max_terms": 2, "max_digits": 2}},
                           {"name": "basic_arithmetic", "weight": 1, "config": {"max_terms": 2, "max_digits": 2}}]}
    cfg = cfg_of({"dataset": "composite", "config": config, "subset_field": "source_dataset", "question_from": None,
                  "train_size": 50}, heldout_size=40, eval_problems=8, prompt_template="{question}")
    train, heldout = cfg.make_task().splits(cfg)
    names = [json.loads(r["reference"])["dataset"] for r in train + heldout]
    assert set(names) == {"chain_sum", "basic_arithmetic"}
    assert [r["source_dataset"] for r in train + heldout] == names
    with get_verifier("reasoning_gym") as v:
        rewards = [x.reward for x in v.verify_batch([(json.loads(r["reference"])["entry"]["answer"], r["reference"])
                                                     for r in heldout])]
    assert rewards == [1.0] * len(heldout)


# --- splits -------------------------------------------------------------------------------------------------------

def test_heldout_is_fixed_across_seeds_and_disjoint_from_training():
    runs = [cfg_of(seed=s) for s in (0, 1)]
    (train0, held0), (train1, held1) = [c.make_task().splits(c) for c in runs]
    assert held0 == held1
    assert [r["question"] for r in train0] != [r["question"] for r in train1]
    questions = {r["question"] for r in held0}
    assert len(questions) == len(held0)  # distinct
    assert questions.isdisjoint(r["question"] for r in train0 + train1)


def test_small_problem_spaces_keep_their_levels_and_stay_disjoint(caplog):
    # 1-digit two-term sums: 200 distinct questions, so duplicates and collisions are certain
    cfg = cfg_of({"config": {"min_terms": 2, "max_terms": 2, "min_digits": 1, "max_digits": 1},
                  "train_size": 2000}, heldout_size=100, eval_problems=32)
    with caplog.at_level(logging.INFO, logger="rlvr.tasks.reasoning_gym"):
        train, heldout = cfg.make_task().splits(cfg)
    assert len(train) == 2000 and len(heldout) < 100
    assert {r["question"] for r in heldout}.isdisjoint(r["question"] for r in train)
    assert f"dropped {100 - len(heldout)} of 100 held-out items" in caplog.text
    assert "skipped" in caplog.text and "training items whose question is held out" in caplog.text


def test_a_config_with_every_question_held_out_is_an_error():
    cfg = cfg_of({"config": {"min_terms": 1, "max_terms": 1, "min_digits": 1, "max_digits": 1},
                  "train_size": 10, "subset_field": None}, heldout_size=200, eval_problems=5)
    with pytest.raises(ValueError, match="too few distinct problems"):
        cfg.make_task().splits(cfg)


# --- pretraining --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("distractor", ["other_answer", "first_number"])
def test_pretraining_mixture_and_no_heldout_question(distractor):
    cfg = cfg_of({"distractor": distractor}, pretrain_answer_fraction=0.4)
    task = cfg.make_task()
    held = {r["question"] for r in task.splits(cfg)[1]}
    rng, kinds, n = random.Random(0), Counter(), 2000
    for _ in range(n):
        prompt, completion = task.pretrain_text(cfg, rng)
        question = prompt.removesuffix(" =")
        assert question not in held
        right, first = completion == str(value_of(question)), completion == question.split()[0]
        kinds["right" if right else "first" if first else "other"] += 1
    assert 0.35 < kinds["right"] / n < 0.47  # 40% right, plus the rare distractor that happens to be right
    if distractor == "first_number":
        assert kinds["other"] == 0
    else:
        assert kinds["other"] > 0.45 * n


# --- errors a user can cause -------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, error, message", [
    ({"dataset": "chain_summ"}, ValueError, "Did you mean 'chain_sum'"),
    ({"config": {"min_terms": 3, "max_terms": 2}}, ValueError, "rejects config"),
    ({"config": {"no_such_key": 1}}, ValueError, "rejects config"),
    ({"subset_field": "level"}, ValueError, "no metadata key 'level'; their keys are"),
    ({"question_from": "expr"}, ValueError, "no metadata key 'expr'"),
])
def test_bad_options_are_clear_errors(options, error, message):
    cfg = cfg_of(options)
    with pytest.raises(error, match=message):
        cfg.make_task().splits(cfg)


@pytest.mark.parametrize("options, message", [({"config": {"seed": 3}}, "must not set"),
                                              ({"distractor": "random"}, "distractor must be one of")])
def test_bad_option_values_are_option_errors(options, message):
    with pytest.raises(OptionError, match=message):
        get_task("reasoning_gym", options)


def test_a_prompt_longer_than_the_tiny_model_is_an_error_naming_task_length_and_limit():
    cfg = cfg_of({"dataset": "leg_counting", "config": {}, "question_from": None, "subset_field": None,
                  "train_size": 10}, heldout_size=10, eval_problems=5, prompt_template="{question}")
    task = cfg.make_task()
    with pytest.raises(ValueError, match=r"task 'reasoning_gym' \(leg_counting\).* tokens.*limit of 128 positions"):
        task.splits(cfg)
    with pytest.raises(ValueError, match="limit of 128 positions"):
        task.pretrain_text(cfg, random.Random(0))


def test_a_hub_model_has_no_tiny_model_limits():
    cfg = cfg_of({"dataset": "leg_counting", "config": {}, "question_from": None, "subset_field": None,
                  "train_size": 10}, heldout_size=10, eval_problems=5, prompt_template="{question}",
                 model_name_or_path="some/hub-model")
    assert len(cfg.make_task().splits(cfg)[0]) == 10


def test_characters_outside_the_vocabulary_are_an_error():
    cfg = cfg_of(prompt_template="\u2192 {question} =")
    with pytest.raises(ValueError, match="outside the tiny model's vocabulary"):
        cfg.make_task().splits(cfg)
