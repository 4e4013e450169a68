"""The shared prefill (`rlvr.training.prefill`): each distinct prompt run once, its last token included, and
`generate`'s own prefill step answered from it."""

from __future__ import annotations

import pytest
import torch
from _llama_helpers import left_padded, tiny_llama


@pytest.mark.parametrize("prompts, rows", [
    ([[5, 6, 7], [8, 9]], [0, 0, 0, 1, 1]),          # left padding, two prompts
    ([[5, 6, 7, 8]], [0, 0, 0]),                      # one prompt, three samples
    ([[3], [4, 5], [6, 7, 8]], [2, 0, 1, 1]),        # any order of rows
])
def test_prefill_rows_gives_each_row_what_its_own_forward_gives(prompts, rows):
    from transformers import DynamicCache

    from rlvr.training.prefill import prefill_rows

    model = tiny_llama()
    ids, mask = left_padded(prompts)
    index = torch.tensor(rows)
    with torch.no_grad():
        shared = prefill_rows(model, ids, mask, index)
        cache = DynamicCache(config=model.config)
        positions = (mask.long().cumsum(-1) - 1).clamp(min=0)
        own = model(input_ids=ids[index], attention_mask=mask[index], position_ids=positions[index], cache=cache,
                    use_cache=True)
    assert shared.logits.shape == (len(rows), 1, 40)
    torch.testing.assert_close(shared.logits, own.logits[:, -1:], rtol=1e-5, atol=1e-5)
    for a, b in zip(shared.cache.layers, cache.layers, strict=True):
        torch.testing.assert_close(a.keys, b.keys, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(a.values, b.values, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fails", [False, True])
def test_first_step_from_answers_one_prefill_and_leaves_the_model_as_it_was(fails):
    from rlvr.training.prefill import first_step_from

    model = tiny_llama()
    seen = []
    model._prefill = lambda *args, **kwargs: seen.append(args) or "own"  # the prefill the block must fall back to
    own = model._prefill
    marker = object()
    with pytest.raises(RuntimeError) if fails else torch.no_grad():
        with first_step_from(model, marker):
            assert model._prefill("ids", "config", {}) is marker and not seen
            assert model._prefill("ids", "config", {}) == "own" and seen == [("ids", "config", {})]
            if fails:
                raise RuntimeError("generate failed")
    assert model._prefill is own  # put back, whether the block failed or not
    del model._prefill
    with first_step_from(model, marker):
        model._prefill("ids", "config", {})
    assert "_prefill" not in vars(model)  # the class's method again


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_evaluation_samples_the_same_with_and_without_the_shared_prefill(temperature, model_and_tokenizer):
    from rlvr.evaluation.evaluate import EvalSettings, sample_completions

    model, tok = model_and_tokenizer
    settings = EvalSettings(samples_per_problem=4, max_new_tokens=5, temperature=temperature)
    prompts = ["1+2=", "33+44=", "5="]
    shared = sample_completions(model, tok, prompts, settings, share_prefill=True)  # seeded by settings.seed
    plain = sample_completions(model, tok, prompts, settings, share_prefill=False)
    assert shared == plain
