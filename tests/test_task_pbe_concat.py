"""The procedural code task `pbe_concat`: programs, the held-out split by composition, pretraining mixture, options."""

import json
import random
from pathlib import Path

import pytest

from rlvr.config import config_from_dict, load_config
from rlvr.pretraining.pretrain import MAX_POSITIONS
from rlvr.tasks import get_task
from rlvr.tasks.pbe import PREFIX
from rlvr.tasks.pbe_concat import KINDS, apply, composition, expression, heldout_compositions, replace_one
from verifiers.options import OptionError

REPO = Path(__file__).resolve().parent.parent
R, U, L = ("reverse", ""), ("upper", ""), ("letter", "k")


def cfg_of(train_size: int = 300, heldout_size: int = 32, task_options: dict | None = None, **kw):
    return config_from_dict({"task": "pbe_concat", "verifier": "code", "heldout_size": heldout_size,
                             "eval_problems": heldout_size,
                             "task_options": {"train_size": train_size, **(task_options or {})}, **kw})


def run_expression(text: str, s: str) -> str:
    scope: dict = {}
    exec(PREFIX + text, scope)  # our own generated programs, never model output
    return scope["f"](s)


def shows_examples(prompt: str, completion: str) -> bool:
    """The completion computes every ``input>output`` example of the prompt."""
    return all(run_expression(completion, x) == y for x, y in (ex.split(">") for ex in prompt.split()))


# --- programs -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("program, text, inp, out", [
    ((R,), "s[::-1]", "abc", "cba"),
    ((L,), '"k"', "abc", "k"),
    ((R, U), 's[::-1]+"-"+s.upper()', "abc", "cba-ABC"),
    ((("first", ""), ("last", ""), L), 's[0]+"-"+s[-1]+"-"+"k"', "abcd", "a-d-k"),
    ((("drop_first", ""), ("drop_last", ""), ("every_other", "")), 's[1:]+"-"+s[:-1]+"-"+s[::2]', "abcde",
     "bcde-abcd-ace"),
    ((("copy", ""), ("letter", "q")), 's+"-"+"q"', "xy", "xy-q"),
])
def test_expression_and_function(program, text, inp, out):
    assert expression(program) == text
    assert apply(program, inp) == out == run_expression(text, inp)


def test_every_kind_is_a_distinct_function():
    outputs = {apply(((kind, "z"),), "abcd") for kind in KINDS}
    assert len(outputs) == len(KINDS)


# --- splits ---------------------------------------------------------------------------------------------------

def test_splits_sizes_and_fit_in_the_model_context():
    cfg = cfg_of(train_size=300, heldout_size=32)
    train, heldout = cfg.make_task().splits(cfg)
    assert (len(train), len(heldout)) == (300, 32)
    longest = len('s.upper()+"-"+s.upper()+"-"+s.upper()')
    for row in train + heldout:
        assert row["question"].endswith("\n") and len(row["question"].split()) == 3
        assert len(row["question"]) + longest + 2 <= MAX_POSITIONS  # + bos + eos
        ref = json.loads(row["reference"])
        assert ref["entry_point"] == "f" and ref["prompt"] == PREFIX
        assert ref["test"].count("assert candidate(") == 7  # 3 shown + 4 hidden


@pytest.mark.parametrize("options, n_held", [
    ({}, 146),  # 20% of the 9^3 three-part compositions
    ({"heldout_parts": 2}, 16),  # 20% of the 81 two-part ones
    ({"kinds": ["reverse", "upper", "letter"], "heldout_fraction": 0.1}, 3),
])
def test_heldout_is_fixed_asks_every_heldout_composition_and_is_never_trained_on(options, n_held):
    task = get_task("pbe_concat", options)
    train0, held0 = task.splits(cfg_of(seed=0, task_options=options))
    train1, held1 = task.splits(cfg_of(seed=1, task_options=options))
    assert held1 == held0 and train1 != train0  # one benchmark for every RL seed
    assert len(task.held) == n_held and {len(c) for c in task.held} == {task.options.heldout_parts}
    assert {composition(p) for p in task.heldout_programs(n_held)} == set(task.held)
    rng = random.Random(5)
    for _ in range(3000):  # no training program has a held-out composition, with any letters
        p = task._train_program(rng)
        assert not task.is_heldout(p) and composition(p) not in task.held
        assert set(composition(p)) <= set(task.kinds)
    assert {r["question"] for r in held0}.isdisjoint(r["question"] for r in train0)


def test_every_kind_is_trained_at_every_position():
    task, rng = get_task("pbe_concat"), random.Random(2)
    seen = {(i, kind) for _ in range(5000) for i, kind in enumerate(composition(task._train_program(rng)))}
    assert seen == {(i, kind) for i in range(3) for kind in KINDS}


def test_two_part_heldout_never_occurs_inside_three_part_programs():
    task, rng = get_task("pbe_concat", {"heldout_parts": 2}), random.Random(3)
    for _ in range(3000):
        comp = composition(task._train_program(rng))
        assert not any(comp[i:i + 2] in task.held for i in range(len(comp) - 1))


def test_thousands_of_distinct_training_programs():
    task, rng = get_task("pbe_concat", {"part_weights": [1, 2, 4]}), random.Random(0)
    assert len({expression(task._train_program(rng)) for _ in range(20000)}) > 3000  # of the default 20,000 draws


def test_part_weights_set_the_mix():
    task, rng = get_task("pbe_concat", {"part_weights": [0, 0, 1]}), random.Random(0)
    assert {len(task._train_program(rng)) for _ in range(300)} == {3}


def test_heldout_compositions_are_a_fixed_fraction():
    assert heldout_compositions(3, 0.2) == heldout_compositions(3, 0.2)
    assert len(heldout_compositions(2, 0.001)) == 1  # at least one


# --- pretraining mixture ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fraction", [0.2, 0.5, 1.0])
def test_pretrain_mixture_right_program_or_one_part_off_never_heldout(fraction):
    cfg = cfg_of(pretrain_answer_fraction=fraction)
    task, rng = cfg.make_task(), random.Random(1)
    right = 0
    held_texts = {expression(p) for p in task.heldout_programs(146)}
    for _ in range(400):
        prompt, completion = task.pretrain_text(cfg, rng)
        right += shows_examples(prompt, completion)
        assert completion not in held_texts
    assert abs(right / 400 - fraction) < 0.08


@pytest.mark.parametrize("distractor, program, text", [
    ("copy", (R, U, L), "s"),
    ("first_part", (R, U, L), "s[::-1]"),
    ("no_separator", (R, U, L), 's[::-1]+s.upper()+"k"'),
    ("no_separator", (R,), "s[::-1]"),  # one part: no separator to leave out, the right program
])
def test_distractor_is_wrong_the_same_way_on_every_program(distractor, program, text):
    task = get_task("pbe_concat", {"distractor": distractor})
    assert task._distractor(program, random.Random(0)) == text


@pytest.mark.parametrize("distractor", ["copy", "first_part", "no_separator"])
def test_pretrain_mixture_with_a_one_way_distractor(distractor):
    cfg = cfg_of(pretrain_answer_fraction=0.3, task_options={"distractor": distractor, "part_weights": [0, 0, 1]})
    task, rng = cfg.make_task(), random.Random(2)
    right = 0
    for _ in range(400):
        prompt, completion = task.pretrain_text(cfg, rng)
        ok = shows_examples(prompt, completion)
        right += ok
        if completion.count('"-"') < 2:  # the distractor: never right on a 3-part program
            assert not ok
    assert abs(right / 400 - 0.3) < 0.08


@pytest.mark.parametrize("program", [(R,), (R, U), (("first", ""), L, U)])
def test_replace_one_changes_exactly_one_part(program):
    rng = random.Random(0)
    for _ in range(30):
        wrong = replace_one(program, rng)
        assert len(wrong) == len(program) and sum(a != b for a, b in zip(wrong, program, strict=True)) == 1


# --- options ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"min_length": 6, "max_length": 4}, "min_length 6 > max_length 4"),
    ({"max_parts": 5}, "max_parts"),
    ({"max_parts": 2, "heldout_parts": 3}, "heldout_parts 3 > max_parts 2"),
    ({"kinds": ["reverse", "rot13"]}, "unknown: \\['rot13'\\]"),
    ({"kinds": ["reverse"]}, "at least two"),
    ({"completion": "body"}, "completion 'body'"),
    ({"part_weights": [1, 1]}, "part_weights"),
    ({"held_out_parts": 2}, "heldout_parts"),
    ({"distractor": "swap"}, "distractor 'swap' is not one of"),
])
def test_bad_options_are_one_clear_error(options, message):
    with pytest.raises(OptionError, match=message):
        get_task("pbe_concat", options)


def test_program_completion_writes_the_whole_function():
    cfg = cfg_of(task_options={"completion": "program"})
    task, rng = cfg.make_task(), random.Random(0)
    assert task.pretrain_text(cfg, rng)[1].startswith(PREFIX)
    assert "prompt" not in json.loads(task.splits(cfg)[1][0]["reference"])


# --- the demo config ------------------------------------------------------------------------------------------

def test_demo_config_thousands_of_distinct_training_programs_and_fits_the_context():
    cfg, _ = load_config(str(REPO / "configs" / "code_demo.yaml"), [])
    task = cfg.make_task()
    _, heldout = task.splits(cfg)
    assert cfg.task == "pbe_concat" and task.options.completion == "expression" and len(heldout) == cfg.heldout_size
    rng = random.Random(0)
    programs = [task._train_program(rng) for _ in range(task.options.train_size)]
    assert len({expression(p) for p in programs}) >= 2000
    assert not any(task.is_heldout(p) for p in programs)
    held = task.heldout_programs(cfg.heldout_size)
    assert max(len(expression(p)) for p in programs + held) + 1 <= cfg.max_completion_length  # + eos
    texts = [task.pretrain_text(cfg, rng) for _ in range(3000)]
    assert max(len(p) + len(c) for p, c in texts) + 2 <= MAX_POSITIONS  # + bos + eos
