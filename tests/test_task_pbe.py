"""The procedural code task `pbe`: programs, splits (held out by behaviour), pretraining mixture, options."""

import json
import random

import pytest

from rlvr.config import config_from_dict
from rlvr.pretrain import MAX_POSITIONS
from rlvr.tasks import get_task
from rlvr.tasks.pbe import (
    _heldout_sets,
    apply,
    compositions,
    distractor,
    heldout_chains,
    heldout_classes,
    is_minimal,
    program,
    signature,
)
from verifiers.options import OptionError

R, U, DF, DL, EO = ("reverse", ""), ("upper", ""), ("drop_first", ""), ("drop_last", ""), ("every_other", "")


def cfg_of(train_size: int = 300, heldout_size: int = 32, **kw):
    return config_from_dict({"task": "pbe", "verifier": "code", "heldout_size": heldout_size,
                             "eval_problems": heldout_size, "task_options": {"train_size": train_size}, **kw})


def run_program(text: str, s: str) -> str:
    scope: dict = {}
    exec(text, scope)  # our own generated programs, never model output
    return scope["f"](s)


# --- programs -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("chain, text, inp, out", [
    ((R,), "def f(s):return s[::-1]", "abc", "cba"),
    ((R, U), "def f(s):return s[::-1].upper()", "abc", "CBA"),
    ((DF, DL), "def f(s):return s[1:][:-1]", "abcd", "bc"),
    ((EO, ("append", "k")), 'def f(s):return (s[::2]+"k")', "abcde", "acek"),
    ((("prepend", "q"), U, R), 'def f(s):return ("q"+s).upper()[::-1]', "ab", "BAQ"),
])
def test_program_text_and_function(chain, text, inp, out):
    assert program(chain) == text
    assert apply(chain, inp) == out == run_program(text, inp)


def test_program_text_computes_what_apply_computes_for_random_chains():
    rng = random.Random(0)
    task, cfg = get_task("pbe"), cfg_of()
    for _ in range(200):
        chain = task._train_chain(cfg, rng)
        assert all(run_program(program(chain), x) == apply(chain, x) for x in ("", "a", "abcdef", "qwertyu"))


@pytest.mark.parametrize("chain, minimal", [
    ((R, U), True), ((R, R), False), ((U, U), False), ((("append", "a"), ("prepend", "b")), True),
    ((("append", "a"), DL), False),  # appending then dropping it is the identity
])
def test_chains_where_a_primitive_does_nothing_are_not_minimal(chain, minimal):
    assert is_minimal(chain) is minimal


def test_signature_identifies_functions_not_texts():
    assert signature((R, U)) == signature((U, R))
    assert signature((DF,)) != signature((DL,))


@pytest.mark.parametrize("kinds_a, kinds_b, same", [
    (("reverse", "upper"), ("upper", "reverse"), True),
    (("append", "reverse"), ("reverse", "prepend"), True),  # any letter: s+k reversed is k + s reversed
    (("append", "prepend"), ("prepend", "append"), True),
    (("reverse", "drop_first"), ("drop_last", "reverse"), True),
    (("reverse", "drop_first"), ("reverse", "drop_last"), False),
    (("every_other", "upper", "append"), ("upper", "every_other", "append"), True),
    (("append", "upper"), ("upper", "append"), False),  # the letter is upper-cased in one only
])
def test_composition_classes_group_compositions_that_compute_one_function(kinds_a, kinds_b, same):
    comp = compositions(3)
    assert (comp[kinds_a] == comp[kinds_b]) is same


def test_compositions_are_minimal_only():
    comp = compositions(3)
    assert ("reverse", "reverse") not in comp and ("append", "drop_last") not in comp
    assert len({c for kinds, c in comp.items() if len(kinds) == 3}) > 100


# --- splits ---------------------------------------------------------------------------------------------------

def test_splits_sizes_depths_and_fit_in_the_model_context():
    cfg = cfg_of(train_size=300, heldout_size=32)
    train, heldout = cfg.make_task().splits(cfg)
    assert (len(train), len(heldout)) == (300, 32)
    assert sorted(len(c) for c in heldout_chains(32, 3, 0.2)) == [2] * 16 + [3] * 16
    longest_program = len('def f(s):return (("k"+s[::-1])+"q").upper()')
    for row in train + heldout:
        assert row["question"].endswith("\n") and len(row["question"].split()) == 3
        assert len(row["question"]) + longest_program + 2 <= MAX_POSITIONS  # + bos + eos
        ref = json.loads(row["reference"])
        assert ref["entry_point"] == "f" and ref["test"].count("assert candidate(") == 7  # 3 shown + 4 hidden


def test_heldout_is_fixed_and_never_trained_on():
    task = get_task("pbe")
    train0, held0 = task.splits(cfg_of(seed=0))
    assert task.splits(cfg_of(seed=0)) == (train0, held0)
    train1, held1 = task.splits(cfg_of(seed=1))
    assert held1 == held0 and train1 != train0  # one benchmark for every RL seed
    chains = heldout_chains(64, 3, 0.2)  # 32 of depth 3 ask all 30 held-out depth-3 classes
    classes, functions = _heldout_sets(64, 3, 0.2)
    comp = compositions(3)
    assert {comp[tuple(k for k, _ in c)] for c in chains} == classes  # every held-out composition is asked
    assert [len(c) for c in heldout_classes(3, 0.2)] == [7, 30]  # 20% of 33 and of 148 classes
    rng, cfg = random.Random(5), cfg_of(heldout_size=64)
    for _ in range(3000):  # no training program belongs to a held-out composition, with any letters
        chain = task._train_chain(cfg, rng)
        assert comp[tuple(k for k, _ in chain)] not in classes and signature(chain) not in functions
    assert {r["question"] for r in held0}.isdisjoint(r["question"] for r in train0)


def test_thousands_of_distinct_training_programs():
    cfg = cfg_of(train_size=5000)
    rng, task = random.Random(0), cfg.make_task()
    functions = {signature(task._train_chain(cfg, rng)) for _ in range(5000)}
    assert len(functions) > 1000  # depth 1 and 2 repeat; depth 3 rarely does


# --- pretraining mixture ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fraction", [0.2, 0.4, 1.0])
def test_pretrain_mixture_right_program_or_one_primitive_off(fraction):
    cfg = cfg_of(pretrain_answer_fraction=fraction)
    task, rng = cfg.make_task(), random.Random(1)
    right = 0
    for _ in range(400):
        prompt, completion = task.pretrain_text(cfg, rng)
        pairs = [ex.split(">") for ex in prompt.split()]
        fits = all(run_program(completion, x) == y for x, y in pairs)
        right += fits
    assert abs(right / 400 - fraction) < 0.08


@pytest.mark.parametrize("chain", [(R,), (R, U), (DF, ("append", "z"), U)])
def test_distractor_is_another_function_one_primitive_off(chain):
    rng = random.Random(0)
    for _ in range(20):
        wrong = distractor(chain, rng)
        assert signature(wrong) != signature(chain)
        assert len(wrong) == max(1, len(chain) - 1)


# --- options ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"min_length": 6, "max_length": 4}, "min_length 6 > max_length 4"),
    ({"max_depth": 4}, "max_depth"),
    ({"max_len": 4}, "max_length"),
])
def test_bad_options_are_one_clear_error(options, message):
    with pytest.raises(OptionError, match=message):
        get_task("pbe", options)
