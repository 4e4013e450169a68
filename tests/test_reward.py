"""The TRL reward adapter: None stays None, statuses are logged, mass failure stops training (C14, C15, B19)."""

import pytest

from rlvr.training.reward import VerifierReward, completion_text
from verifiers import Verdict, Verifier


class TableVerifier(Verifier):
    """Scores by a lookup: 'ok' -> 1, 'bad' -> 0, 'ref?' reference -> None (bad reference)."""

    name = "table"
    statuses = ("correct", "wrong", "bad_reference")

    def verify(self, completion, reference):
        if reference == "ref?":
            return Verdict(None, "bad_reference", "unparseable")
        return Verdict(1.0, "correct") if completion == reference else Verdict(0.0, "wrong")


def call(fn, completions, references, **kw):
    metrics = {}
    rewards = fn(prompts=["p"] * len(completions), completions=completions, references_unused=None,
                 reference=references, log_metric=lambda k, v: metrics.__setitem__(k, v), **kw)
    return rewards, metrics


def test_rewards_in_order_with_none_passed_through():
    fn = VerifierReward(TableVerifier(), max_unscored_fraction=0.5)
    rewards, metrics = call(fn, ["1", "2", "3"], ["1", "x", "ref?"])
    assert rewards == [1.0, 0.0, None]
    assert metrics["verifier/correct"] == 1 and metrics["verifier/wrong"] == 1
    assert metrics["verifier/bad_reference"] == 1 and metrics["verifier/unscored"] == 1
    assert "time/reward_seconds" in metrics
    assert fn.__name__ == "table"  # TRL logs rewards/table/mean


def test_every_known_status_is_logged_even_when_absent():
    _, metrics = call(VerifierReward(TableVerifier()), ["1"], ["1"])
    assert metrics["verifier/wrong"] == 0 and metrics["verifier/bad_reference"] == 0


def test_mostly_unscorable_batch_stops_training():
    fn = VerifierReward(TableVerifier(), max_unscored_fraction=0.5)
    with pytest.raises(RuntimeError, match="could not score 3/4"):
        call(fn, ["1", "2", "3", "4"], ["ref?", "ref?", "ref?", "4"])


def test_missing_reference_column_is_explained():
    fn = VerifierReward(TableVerifier(), reference_column="answer")
    with pytest.raises(KeyError, match="no column 'answer'"):
        call(fn, ["1"], ["1"])


def test_conversational_completions_and_sink():
    seen = []
    fn = VerifierReward(TableVerifier(), on_batch=seen.append)
    rewards, _ = call(fn, [[{"role": "assistant", "content": "7"}]], ["7"], completion_ids=[[1, 2, 3]])
    assert rewards == [1.0]
    assert seen[0]["completions"] == ["7"] and seen[0]["statuses"] == ["correct"]
    assert fn.completion_tokens == 3


@pytest.mark.parametrize("completion, text", [
    ("abc", "abc"), ([{"role": "assistant", "content": "x"}], "x"), (5, "5"),
])
def test_completion_text(completion, text):
    assert completion_text(completion) == text


def test_bad_threshold_rejected():
    with pytest.raises(ValueError, match="max_unscored_fraction"):
        VerifierReward(TableVerifier(), max_unscored_fraction=2)
