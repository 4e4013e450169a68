"""The exact speed options of the sampling cache and the log-prob head: `reserve_kv_cache` (a KV cache written in
place, rlvr/training/kv_cache.py) and `fit_logprob_chunk` (TRL's fused log-prob head tiled in one vocabulary-sized
chunk). Both must give the very same numbers as the paths they replace."""

from __future__ import annotations

import pytest
import torch

from rlvr.config import ExperimentConfig
from rlvr.training.speed import IDENTITY_BASELINE, PLAIN


def _tiny_llama(attn: str = "eager"):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=40, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=64, pad_token_id=0, eos_token_id=1,
                         bos_token_id=2, attn_implementation=attn)
    return LlamaForCausalLM(config).eval()


def _prompts(groups: int, size: int, width: int, padded_rows: int):
    gen = torch.Generator().manual_seed(7)
    ids = torch.randint(3, 40, (groups, width), generator=gen).repeat_interleave(size, 0)
    mask = torch.ones_like(ids)
    mask[:padded_rows * size, :2] = 0  # the first groups left-padded
    return ids.masked_fill(mask == 0, 0), mask


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize("reserve, new_tokens", [
    (7, 6),    # room for the whole completion: no copy after the first
    (2, 9),    # announced too short: the buffer grows (doubling) mid-generation
    (1, 1),    # a single new token
])
def test_reserved_cache_samples_exactly_what_the_concatenating_cache_samples(attn, reserve, new_tokens):
    from transformers import DynamicCache, GenerationConfig

    from rlvr.training.kv_cache import ReservedLayer, reserve_cache

    model = _tiny_llama(attn)
    ids, mask = _prompts(groups=3, size=4, width=6, padded_rows=1)
    config = GenerationConfig(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=True, top_k=0,
                              pad_token_id=0, eos_token_id=1)

    def sample(reserved: bool):
        cache = DynamicCache(config=model.config)
        with torch.no_grad():
            model(input_ids=ids[:, :-1], attention_mask=mask[:, :-1], cache=cache, use_cache=True)
        if reserved:
            reserve_cache(cache, reserve)
            assert all(type(layer) is ReservedLayer for layer in cache.layers)
        torch.manual_seed(5)
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, cache=cache, generation_config=config,
                                 return_dict_in_generate=True, output_logits=True)
        return out, cache

    (plain, plain_cache), (fast, fast_cache) = sample(False), sample(True)
    assert torch.equal(plain.sequences, fast.sequences)
    assert all(torch.equal(a, b) for a, b in zip(plain.logits, fast.logits, strict=True))
    for a, b in zip(plain_cache.layers, fast_cache.layers, strict=True):
        assert torch.equal(a.keys, b.keys) and torch.equal(a.values, b.values)
        assert a.get_seq_length() == b.get_seq_length() == ids.shape[1] + new_tokens - 1


@pytest.mark.parametrize("operation", ["batch_select_indices", "crop", "batch_repeat_interleave", "reorder_cache"])
def test_reserved_layer_follows_transformers_cache_operations(operation):
    """After an operation that rebuilds the tensors (transformers' own code), the next update is still exact."""
    from transformers.cache_utils import DynamicLayer

    from rlvr.training.kv_cache import ReservedLayer

    gen = torch.Generator().manual_seed(0)
    steps = [torch.randn(4, 2, n, 8, generator=gen) for n in (5, 1, 1)]
    plain, fast = DynamicLayer(), ReservedLayer(reserve=3)
    args = {"batch_select_indices": (torch.tensor([3, 0, 0, 2]),), "crop": (-2,), "batch_repeat_interleave": (1,),
            "reorder_cache": (torch.tensor([1, 0, 3, 2]),)}[operation]
    for i, states in enumerate(steps):
        if i == 2:
            getattr(plain, operation)(*args)
            getattr(fast, operation)(*args)
        k_plain, v_plain = plain.update(states, states * 2)
        k_fast, v_fast = fast.update(states, states * 2)
        assert torch.equal(k_plain, k_fast) and torch.equal(v_plain, v_fast)
        assert plain.get_seq_length() == fast.get_seq_length()


def test_reserve_cache_leaves_other_layer_kinds_alone():
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicSlidingWindowLayer

    from rlvr.training.kv_cache import ReservedLayer, reserve_cache

    cache = DynamicCache()
    cache.layers = [DynamicSlidingWindowLayer(sliding_window=4), *cache.layers]
    reserve_cache(cache, 8)
    assert type(cache.layers[0]) is DynamicSlidingWindowLayer
    assert all(type(layer) is ReservedLayer for layer in cache.layers[1:])


def _logps_and_grads(model, ids, mask, keep: int):
    model.zero_grad()
    labels = ids.masked_fill(mask == 0, -100)
    labels[:, :-keep] = -100
    out = model(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
    (out.log_probs.sum() + out.entropy.sum()).backward()
    return out.log_probs.detach(), out.entropy.detach(), [p.grad.clone() for p in model.parameters()]


def test_fitted_logprob_chunk_gives_the_same_numbers_and_restores_trl(monkeypatch):
    import trl.trainer.utils as trl_utils
    from trl.trainer.utils import add_fused_lm_head

    from rlvr.training.trainer import fitted_logprob_chunk

    model = _tiny_llama().train()
    add_fused_lm_head(model, temperature=0.7, outputs=("log_probs", "entropy"))
    ids, mask = _prompts(groups=2, size=3, width=9, padded_rows=1)
    default = trl_utils._CHUNKED_LOGPROB_CHUNK_SIZE
    assert default > 40  # TRL's chunk is wider than the tiny vocabulary: the case the option is for
    reference = _logps_and_grads(model, ids, mask, keep=4)
    seen = []
    apply = trl_utils._ChunkedLogProbFunction.apply
    monkeypatch.setattr(trl_utils._ChunkedLogProbFunction, "apply", lambda *a: seen.append(a[5]) or apply(*a))
    with fitted_logprob_chunk(40):
        fitted = _logps_and_grads(model, ids, mask, keep=4)
    monkeypatch.undo()
    assert seen == [40] and trl_utils._CHUNKED_LOGPROB_CHUNK_SIZE == default
    assert torch.equal(fitted[0], reference[0]) and torch.equal(fitted[1], reference[1])
    assert all(torch.equal(a, b) for a, b in zip(fitted[2], reference[2], strict=True))
    assert any(g.abs().sum() > 0 for g in reference[2])
    with fitted_logprob_chunk(10 ** 9):  # a vocabulary wider than TRL's chunk keeps TRL's chunk
        assert trl_utils._CHUNKED_LOGPROB_CHUNK_SIZE == default


@pytest.mark.parametrize("key", ["reserve_kv_cache", "fit_logprob_chunk", "fast_batch_prep"])
def test_exact_options_are_on_by_default_off_in_the_plain_path_and_outside_the_identity(key):
    assert getattr(ExperimentConfig(), key) is True and PLAIN[key] is False and key not in IDENTITY_BASELINE
    assert ExperimentConfig(**{key: False}).identity() == ExperimentConfig(**{key: True}).identity()
