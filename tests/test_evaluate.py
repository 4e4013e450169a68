"""Held-out evaluation: sampling, scoring, pass@k rows and evaluation FLOPs on a tiny local model."""

import torch

from rlvr.evaluation.evaluate import EvalSettings, evaluate, prompt_text, sample_completions
from rlvr.training.compute import flops_params
from verifiers import Verdict, Verifier


class ContainsDigit(Verifier):
    name = "digit"
    statuses = ("correct", "wrong", "bad_reference")

    def verify(self, completion, reference):
        if reference == "?":
            return Verdict(None, "bad_reference")
        ok = any(ch.isdigit() for ch in completion)
        return Verdict(1.0 if ok else 0.0, "correct" if ok else "wrong")


def test_samples_shape_and_determinism(model_and_tokenizer):
    model, tok = model_and_tokenizer
    settings = EvalSettings(samples_per_problem=3, max_new_tokens=4, batch_size=4, seed=1)
    model.train()
    a, tokens, sampled = sample_completions(model, tok, ["1+2=", "33+4="], settings)
    b, _, _ = sample_completions(model, tok, ["1+2=", "33+4="], settings)
    assert [len(x) for x in a] == [3, 3] and a == b  # seeded: same samples again
    assert tokens > sampled > 0
    assert model.training  # train mode restored after generating in eval mode
    assert tok.padding_side == "right"  # restored after left-padded generation


def test_row_has_design_fields_and_counts_unscored(model_and_tokenizer):
    model, tok = model_and_tokenizer
    rows = [{"prompt": "1+1=", "reference": "2"}, {"prompt": "2+2=", "reference": "?"}]
    result = evaluate(model, tok, rows, ContainsDigit(), EvalSettings(samples_per_problem=4,
                                                                       max_new_tokens=4))
    row = result.row(step=7, compute_flops=1e9, benchmark="toy", ks=(2, 4))
    for key in ("step", "compute_flops", "benchmark", "pass@1", "n", "pass@k", "samples_per_problem",
                "eval_flops", "time"):
        assert key in row
    assert row["n"] == 2 and row["samples_per_problem"] == 4 and set(row["pass@k"]) == {"2", "4"}
    assert row["unscored"] == 4 and result.counts[1] == (4, 0)  # unscorable samples never count as correct
    assert 0 <= row["pass@1"] <= row["pass@k"]["2"] <= row["pass@k"]["4"] <= 1
    assert row["eval_flops"] > 0 and row["eval_flops"] % (2 * flops_params(model)) == 0
    assert "maj@k" not in row and "subsets" not in row  # no canonical answers, no subset field


def test_chat_prompts_use_the_template(model_and_tokenizer):
    _, tok = model_and_tokenizer
    text = prompt_text(tok, [{"role": "user", "content": "hi"}])
    assert text == "user: hi\nassistant: "
    assert prompt_text(tok, "plain") == "plain"


def test_rng_state_is_restored(model_and_tokenizer):
    model, tok = model_and_tokenizer
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    sample_completions(model, tok, ["1+1="], EvalSettings(samples_per_problem=2, max_new_tokens=2))
    assert torch.equal(torch.rand(1), expected)


class FirstChar(ContainsDigit):
    """Correct when the completion starts with a digit; its canonical answer is the first character."""

    def verify(self, completion, reference):
        ok = completion[:1].isdigit()
        return Verdict(1.0 if ok else 0.0, "correct" if ok else "wrong")

    def canonical(self, completion):
        return completion[:1] or None


def test_maj_at_k_subsets_and_completion_prefix(model_and_tokenizer):
    model, tok = model_and_tokenizer
    rows = [{"prompt": "1+1=", "reference": "2", "level": 1}, {"prompt": "2+2=", "reference": "4", "level": 2},
            {"prompt": "3+3=", "reference": "6", "level": 2, "completion_prefix": "5"}]
    result = evaluate(model, tok, rows, FirstChar(), EvalSettings(samples_per_problem=4, max_new_tokens=3),
                      subset_field="level")
    row = result.row(step=1, compute_flops=1e9, benchmark="toy", ks=(1, 4))
    assert set(row["maj@k"]) == {"1", "4"} and all(0 <= v <= 1 for v in row["maj@k"].values())
    assert result.counts[2] == (4, 4) and row["maj@k"]["4"] >= 1 / 3  # the prefix "5" makes every sample right
    assert row["subsets"] == {"1": {"pass@1": result.counts[0][1] / 4, "n": 1},
                              "2": {"pass@1": (result.counts[1][1] / 4 + 1.0) / 2, "n": 2}}


def test_shared_prefill_samples_like_plain_generate(model_and_tokenizer):
    """Prefilling each prompt once and sharing its KV cache gives the same tokens as copying the prompt n times
    (compared at a near-zero temperature, where sampling is greedy)."""
    model, tok = model_and_tokenizer
    settings = EvalSettings(samples_per_problem=3, max_new_tokens=5, temperature=1e-4)
    prompts = ["1+2=", "33+44=", "5="]  # different lengths: left padding
    shared, tokens_a, sampled_a = sample_completions(model, tok, prompts, settings, share_prefill=True)
    plain, tokens_b, sampled_b = sample_completions(model, tok, prompts, settings, share_prefill=False)
    assert shared == plain and (tokens_a, sampled_a) == (tokens_b, sampled_b)
