"""The `reasoning_gym` verifier: full marks only (partial credit is 0), bad references None, faulty scorers None."""

import json
import os
from pathlib import Path

import pytest
import reasoning_gym
from reasoning_gym.factory import get_score_answer_fn

from verifiers import get_verifier, list_verifiers
from verifiers.options import OptionError
from verifiers.reasoning_gym import extract

DATASETS = ["chain_sum", "basic_arithmetic", "gcd", "lcm", "leg_counting", "count_bits", "products",
            "spell_backward", "word_sorting", "base_conversion"]


def entries(name: str, n: int = 4) -> list[dict]:
    return list(reasoning_gym.create_dataset(name, seed=11, size=n))


def ref_of(entry: dict, name: str | None = None) -> str:
    return json.dumps({"dataset": name or entry["metadata"]["source_dataset"], "entry": entry})


@pytest.fixture(scope="module")
def verifier():
    with get_verifier("reasoning_gym", answer_from="whole") as v:
        yield v


# --- every right answer is 1 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DATASETS)
def test_right_answers_score_one(verifier, name):
    pairs = [(e["answer"], ref_of(e)) for e in entries(name)]
    assert [v.reward for v in verifier.verify_batch(pairs)] == [1.0] * len(pairs)


@pytest.mark.parametrize("completion", ["<answer>{a}</answer>", "think...<answer> {a} </answer>",
                                        "<answer>0</answer> no, <answer>{a}</answer>", "  {a}\n"])
def test_tag_mode_reads_the_last_answer_tag(completion):
    e = entries("chain_sum", 1)[0]
    with get_verifier("reasoning_gym") as v:
        assert v.verify(completion.format(a=e["answer"]), ref_of(e)).reward == 1.0


# --- partial credit is never paid ---------------------------------------------------------------------------------

# (dataset, wrong answer built from the right one): reasoning-gym gives each a score strictly between 0 and 1
PARTIAL = [
    ("chain_sum", "{a}0"), ("chain_sum", "x {a}"), ("chain_sum", "{a}\n{a}"), ("chain_sum", "The answer is {a}"),
    ("basic_arithmetic", "{a}0"), ("basic_arithmetic", "x {a}"),
    ("gcd", "{a}0"), ("gcd", "x {a}"), ("lcm", "{a}0"), ("lcm", "x {a}"),
    ("leg_counting", "{a}0"), ("count_bits", "{a}0"), ("count_bits", "x {a}"), ("products", "{a}0"),
    ("word_sorting", "x {a}"), ("base_conversion", "x {a}"),
]


@pytest.mark.parametrize("name, template", PARTIAL)
def test_partial_credit_scores_zero(verifier, name, template):
    for e in entries(name):
        wrong = template.format(a=e["answer"])
        partial = get_score_answer_fn(name)(wrong, e)
        assert 0.0 < partial < 1.0, f"not a partial-credit case for reasoning-gym: {wrong!r} scores {partial}"
        verdict = verifier.verify(wrong, ref_of(e))
        assert (verdict.reward, verdict.status) == (0.0, "partial")
        assert f"{partial:g}" in verdict.detail


def test_a_score_just_above_one_is_never_paid(verifier):
    # reasoning-gym 0.1.25's spell_backward scores a wrong answer 1.0000000000000002: not exactly 1, not in [0, 1]
    e = entries("spell_backward", 4)
    wrong = [(x, x["answer"] + "0") for x in e if get_score_answer_fn("spell_backward")(x["answer"] + "0", x) > 1.0]
    assert wrong, "no over-one score left to pin; drop this test"
    for entry, answer in wrong:
        assert verifier.verify(answer, ref_of(entry)).reward is None


def test_garbage_that_reasoning_gym_pays_a_little_is_zero(verifier):
    e = [x for x in entries("fraction_simplification", 8)][0]
    assert get_score_answer_fn("fraction_simplification")("xyz", e) > 0.0  # it pays 0.01 for anything
    assert verifier.verify("xyz", ref_of(e)).reward == 0.0


@pytest.mark.parametrize("completion, status", [
    ("", "no_answer"), ("   \n\t ", "no_answer"), ("\x00\xff\ud800", "wrong"), ("7" * 20000, "too_long"),
    ("<answer></answer>", "no_answer"),
])
def test_garbage_is_zero_never_an_exception(completion, status):
    e = entries("chain_sum", 1)[0]
    with get_verifier("reasoning_gym") as v:
        verdict = v.verify(completion, ref_of(e))
    assert (verdict.reward, verdict.status) == (0.0, status)


def test_binary_and_huge_completions_in_one_batch(verifier):
    e = entries("chain_sum", 1)[0]
    pairs = [(os.urandom(4096).decode("latin-1"), ref_of(e)), ("9" * 5000, ref_of(e)), (e["answer"], ref_of(e))]
    assert [v.reward for v in verifier.verify_batch(pairs, workers=2)] == [0.0, 0.0, 1.0]


# --- bad references are None --------------------------------------------------------------------------------------

@pytest.mark.parametrize("reference, why", [
    ("", "not JSON"), ("3", "JSON object"), ("[1, 2]", "JSON object"), ('{"dataset": "chain_sum"}', "JSON object"),
    ('{"dataset": "chain_sum", "entry": "3"}', "JSON object"), ('{"dataset": 3, "entry": {}}', "JSON object"),
    ('{"dataset": "no_such_dataset", "entry": {"answer": "3"}}', "unknown reasoning-gym dataset"),
    (None, "JSON string"),
])
def test_bad_references_are_none(verifier, reference, why):
    for completion in ("3", ""):  # an empty answer must not hide a bad reference
        verdict = verifier.verify(completion, reference)
        assert (verdict.reward, verdict.status) == (None, "bad_reference")
        assert why in verdict.detail
    assert why in verifier.check_reference(reference)


def test_good_reference_checks(verifier):
    assert verifier.check_reference(ref_of(entries("chain_sum", 1)[0])) is None


# --- a scorer that hangs, raises or lies is None, never 0 or 1 ---------------------------------------------------

@pytest.fixture(scope="module")
def faulty(monkeypatch_module):
    plugins = str(Path(__file__).parent / "plugins")
    monkeypatch_module.setenv("PYTHONPATH", os.pathsep.join(filter(None, [plugins, os.environ.get("PYTHONPATH")])))
    with get_verifier("reasoning_gym", timeout=1.0, plugins=["rg_faulty_datasets"]) as v:
        yield v


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def faulty_ref(name: str) -> str:
    return json.dumps({"dataset": name, "entry": {"question": "q", "answer": "1", "metadata": {}}})


@pytest.mark.parametrize("name, status, detail", [
    ("faulty_hang", "timeout", "1 s limit"), ("faulty_raise", "error", "ZeroDivisionError"),
    ("faulty_exit", "error", "died"), ("faulty_sysexit", "error", "SystemExit"),
    ("faulty_text", "error", "not a number"), ("faulty_nan", "error", "outside [0, 1]"),
    ("faulty_big", "error", "outside [0, 1]"),
])
def test_faulty_scorers_give_none(faulty, name, status, detail):
    verdict = faulty.verify("1", faulty_ref(name))
    assert (verdict.reward, verdict.status) == (None, status)
    assert detail in verdict.detail
    assert faulty.verify("1", faulty_ref("faulty_print")).reward == 1.0  # the pool is healthy afterwards


def test_scorer_output_on_stdout_does_not_corrupt_verdicts(faulty):
    pairs = [("1", faulty_ref("faulty_print")), ("2", faulty_ref("faulty_print"))] * 5
    assert [v.reward for v in faulty.verify_batch(pairs, workers=2)] == [1.0, 0.0] * 5


def test_a_hang_in_a_batch_costs_only_its_own_verdict(faulty):
    pairs = [("1", faulty_ref("faulty_print")), ("1", faulty_ref("faulty_hang")), ("1", faulty_ref("faulty_print"))]
    assert [v.status for v in faulty.verify_batch(pairs)] == ["correct", "timeout", "correct"]


def test_a_plugin_that_fails_to_import_is_error_not_zero():
    with get_verifier("reasoning_gym", plugins=["no_such_module_xyz"]) as v:
        verdict = v.verify("1", ref_of(entries("chain_sum", 1)[0]))
    assert (verdict.reward, verdict.status) == (None, "error")
    assert "no_such_module_xyz" in verdict.detail


# --- extraction and options ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("completion, mode, answer", [
    ("<answer>12</answer>", "tag", "12"), ("a <answer>1</answer> b <answer> 2 </answer>", "tag", "2"),
    ("no tags 5 ", "tag", "no tags 5"), ("<answer>unclosed", "tag", "<answer>unclosed"),
    ("work\n\n  42  \n\n", "last_line", "42"), ("", "last_line", ""), (" 7 \n", "whole", "7"),
    ("<answer>1</answer>", "whole", "<answer>1</answer>"),
])
def test_extract(completion, mode, answer):
    assert extract(completion, mode) == answer


@pytest.mark.parametrize("options, message", [
    ({"answer_from": "first"}, "answer_from must be one of"), ({"timeout": 0}, "timeout"),
    ({"timeout": float("inf")}, "timeout"), ({"workers": 0}, "out of range"),
])
def test_bad_options_are_errors(options, message):
    with pytest.raises(OptionError, match=message):
        get_verifier("reasoning_gym", **options)


def test_registered():
    assert "reasoning_gym" in list_verifiers()


def test_every_status_is_declared_and_rewards_follow_the_contract(faulty):
    e = entries("chain_sum", 1)[0]
    pairs = [(e["answer"], ref_of(e)), (e["answer"] + "0", ref_of(e)), ("zzz", ref_of(e)), ("", ref_of(e)),
             ("9" * 20000, ref_of(e)), ("1", faulty_ref("faulty_raise")), ("1", "nope"),
             ("1", faulty_ref("faulty_hang"))]
    verdicts = faulty.verify_batch(pairs)
    assert [v.status for v in verdicts] == ["correct", "partial", "wrong", "no_answer", "too_long", "error",
                                            "bad_reference", "timeout"]
    assert set(faulty.statuses) == {v.status for v in verdicts}
    assert [v.reward for v in verdicts] == [1.0, 0.0, 0.0, 0.0, 0.0, None, None, None]
