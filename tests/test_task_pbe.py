"""The procedural code task `pbe`: programs, splits (held out by behaviour), pretraining mixture, options."""

import json
import random
from pathlib import Path

import pytest

from rlvr.config import config_from_dict
from rlvr.pretraining.pretrain import MAX_POSITIONS
from rlvr.tasks import get_task
from rlvr.tasks.pbe import (
    PREFIX,
    _heldout_sets,
    apply,
    compositions,
    contains_heldout,
    distractor,
    expression,
    heldout_chains,
    heldout_classes,
    is_minimal,
    program,
    signature,
)
from verifiers.options import OptionError

R, U, DF, DL, EO = ("reverse", ""), ("upper", ""), ("drop_first", ""), ("drop_last", ""), ("every_other", "")


REPO = Path(__file__).resolve().parent.parent


def cfg_of(train_size: int = 300, heldout_size: int = 32, task_options: dict | None = None, **kw):
    return config_from_dict({"task": "pbe", "verifier": "code", "heldout_size": heldout_size,
                             "eval_problems": heldout_size,
                             "task_options": {"train_size": train_size, **(task_options or {})}, **kw})


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
    assert [len({c for kinds, c in comp.items() if len(kinds) == d}) for d in (1, 2, 3)] == [7, 33, 139]


def test_no_composition_computes_what_a_shorter_one_computes():
    comp = compositions(3)
    assert ("reverse", "drop_last", "reverse") not in comp  # it is drop_first: no depth-3 class may hold it
    first_depth = {}
    for kinds, c in sorted(comp.items(), key=lambda kv: len(kv[0])):
        assert first_depth.setdefault(c, len(kinds)) == len(kinds)
    rng, cfg = random.Random(7), cfg_of()
    task = cfg.make_task()
    assert all(tuple(k for k, _ in task._train_chain(cfg, rng)) in comp for _ in range(2000))


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
    assert [len(c) for c in heldout_classes(3, 0.2)] == [7, 28]  # 20% of 33 and of 139 classes
    rng, cfg = random.Random(5), cfg_of(heldout_size=64)
    for _ in range(3000):  # no training program belongs to a held-out composition, with any letters
        chain = task._train_chain(cfg, rng)
        assert comp[tuple(k for k, _ in chain)] not in classes and signature(chain) not in functions
    assert {r["question"] for r in held0}.isdisjoint(r["question"] for r in train0)


def test_thousands_of_distinct_training_programs():
    cfg = cfg_of(train_size=20000)
    rng, task = random.Random(0), cfg.make_task()
    functions = {signature(task._train_chain(cfg, rng)) for _ in range(20000)}
    assert len(functions) > 1500  # of 20000 draws (the default train_size): depth 1 and 2 repeat, depth 3 rarely


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
    ({"completion": "body"}, "completion 'body'"),
    ({"depth_weights": [1, 1]}, "depth_weights"),
    ({"max_depth": 2, "heldout_max_depth": 3}, "heldout_max_depth 3 > max_depth 2"),
])
def test_bad_options_are_one_clear_error(options, message):
    with pytest.raises(OptionError, match=message):
        get_task("pbe", options)


# --- completion "expression": the reference carries the prompt "def f(s):return " ----------------------------

def test_expression_completion_reference_carries_the_program_prefix():
    cfg = cfg_of(task_options={"completion": "expression", "max_depth": 2, "examples": 2})
    train, heldout = cfg.make_task().splits(cfg)
    for row in train[:50] + heldout:
        ref = json.loads(row["reference"])
        assert ref["prompt"] == PREFIX == "def f(s):return " and ref["entry_point"] == "f"
        assert len(row["question"].split()) == 2 and ref["test"].count("assert candidate(") == 2 + 4
    assert "prompt" not in json.loads(cfg_of().make_task().splits(cfg_of())[0][0]["reference"])  # default: program
    assert program((R, U)) == PREFIX + expression((R, U)) == "def f(s):return s[::-1].upper()"


def test_expression_pretraining_text_is_the_expression_of_a_mixture():
    cfg = cfg_of(task_options={"completion": "expression"}, pretrain_answer_fraction=0.5)
    task, rng, right = cfg.make_task(), random.Random(2), 0
    for _ in range(400):
        prompt, completion = task.pretrain_text(cfg, rng)
        assert not completion.startswith("def ")
        right += all(run_program(PREFIX + completion, x) == y for x, y in (ex.split(">") for ex in prompt.split()))
    assert abs(right / 400 - 0.5) < 0.08


def test_code_verifier_runs_prefix_plus_expression_in_the_sandbox():
    from verifiers import get_verifier

    cfg = cfg_of(heldout_size=8, task_options={"completion": "expression", "max_depth": 2})
    _, held = cfg.make_task().splits(cfg)
    rng, pairs = random.Random(0), []
    for chain, row in zip(heldout_chains(8, 2, 0.2), held, strict=True):
        pairs += [(expression(chain), row["reference"]), (expression(distractor(chain, rng)), row["reference"]),
                  (program(chain), row["reference"]), ("s", row["reference"])]
    verifier = get_verifier("code")
    try:
        verdicts = verifier.verify_batch(pairs)
        bad = verifier.verify("s", json.dumps({"test": "def check(c): pass", "entry_point": "f", "prompt": 3}))
    finally:
        verifier.close()
    assert [v.reward for v in verdicts] == [1.0, 0.0, 0.0, 0.0] * 8  # a whole program after the prefix is wrong
    assert (bad.reward, bad.status) == (None, "bad_reference") and "prompt" in bad.detail


# --- depths --------------------------------------------------------------------------------------------------

def test_heldout_max_depth_asks_depth_two_only_and_holds_out_every_depth():
    cfg = cfg_of(heldout_size=64, task_options={"max_depth": 3, "heldout_max_depth": 2})
    task = cfg.make_task()
    _, heldout = task.splits(cfg)
    chains = heldout_chains(64, 3, 0.2, 2)
    assert len(heldout) == 64 and {len(c) for c in chains} == {2}
    assert chains[:8] == heldout_chains(64, 2, 0.2)[:8]  # depth-2 classes do not depend on max_depth
    classes, _ = _heldout_sets(64, 3, 0.2, 2)
    comp, rng = compositions(3), random.Random(3)
    assert classes == set(heldout_classes(3, 0.2)[0] + heldout_classes(3, 0.2)[1])
    for _ in range(2000):  # never a held-out composition, not even two neighbouring primitives inside a chain
        chain = task._train_chain(cfg, rng)
        kinds = tuple(k for k, _ in chain)
        assert comp[kinds] not in classes
        assert all(comp.get(kinds[i:i + 2]) not in classes for i in range(len(kinds) - 1))


def test_pretraining_never_writes_a_heldout_composition_not_even_as_a_distractor():
    cfg = cfg_of(heldout_size=64, pretrain_answer_fraction=0.01)
    task, rng, comp = cfg.make_task(), random.Random(6), compositions(3)
    classes, _ = _heldout_sets(64, 3, 0.2)
    wrong = 0
    for _ in range(3000):
        chain, shown = task._pretrain_chains(cfg, rng)
        assert not contains_heldout(shown, comp, classes)
        wrong += signature(shown) != signature(chain)
    assert wrong > 2900


def test_contains_heldout_looks_inside_longer_chains():
    comp, classes = compositions(3), frozenset(heldout_classes(3, 0.2)[0])
    held_pair = next(kinds for kinds, c in comp.items() if c in classes)  # e.g. (reverse, drop_last)
    chain = tuple((k, "a" if k in ("append", "prepend") else "") for k in (*held_pair, "upper"))
    assert contains_heldout(chain, comp, classes)
    assert not contains_heldout((R, U), comp, classes)


def test_depth_weights_set_the_depth_mix():
    cfg = cfg_of(task_options={"max_depth": 3, "depth_weights": [1, 3, 0]})
    task, rng = cfg.make_task(), random.Random(4)
    depths = [len(task._train_chain(cfg, rng)) for _ in range(2000)]
    assert 3 not in depths and 0.15 < depths.count(1) / len(depths) < 0.4  # held-out depth-2 draws are redrawn


def test_heldout_inside_false_keeps_only_whole_heldout_compositions_out():
    cfg = cfg_of(heldout_size=64, task_options={"max_depth": 3, "heldout_max_depth": 2, "heldout_inside": False})
    task, rng, comp = cfg.make_task(), random.Random(8), compositions(3)
    classes, _ = _heldout_sets(64, 3, 0.2, 2)
    chains = [task._train_chain(cfg, rng) for _ in range(3000)]
    assert not any(comp[tuple(k for k, _ in c)] in classes for c in chains)
    assert any(contains_heldout(c, comp, classes) for c in chains)  # a held-out pair inside a depth-3 chain
    for _ in range(1000):
        _, shown = task._pretrain_chains(cfg, rng)
        assert comp.get(tuple(k for k, _ in shown)) not in classes
