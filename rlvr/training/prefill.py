"""Sampling many completions of few prompts: each distinct prompt prefilled once, its cache and first logits copied.

GRPO samples `num_generations` completions of every prompt, and the evaluation `samples_per_problem`; `generate`
would prefill each copy of a prompt again. `prefill_rows` runs each distinct prompt once, all its tokens, and
gives every row its prompt's KV cache and its prompt's last-position logits; `first_step_from` then hands those
logits to `generate` as the result of its own prefill step, so `generate` samples the first token from them and
decodes from there exactly as it would have (the same random draws in the same order). The numbers differ from a
per-row prefill only by float rounding (the same matmuls at a different batch size).

Prefilling the last prompt token in the shared pass, not per row, saves one forward over every row per batch:
a quarter of the demo's sampling forwards, whose answers are 3-4 tokens long (docs/performance.md).
"""

from __future__ import annotations

import contextlib

__all__ = ["first_step_from", "prefill_rows", "sharing_rows"]


def sharing_rows(input_ids, attention_mask):
    """(first row of each run of identical consecutive rows, each row's run) or None when nothing repeats."""
    import torch

    same = (input_ids[1:] == input_ids[:-1]).all(1) & (attention_mask[1:] == attention_mask[:-1]).all(1)
    starts = torch.cat([same.new_ones(1), ~same])
    if bool(starts.all()):
        return None
    return starts, starts.long().cumsum(0) - 1


def prefill_rows(model, input_ids, attention_mask, rows, reserve: int = 0):
    """Run `input_ids` (the distinct prompts, left-padded) through `model` once; the model output whose `cache`
    and `logits` (the last position, one row per entry of `rows`) belong to the rows, `rows[i]` naming row i's
    prompt. With `reserve` > 0 the cache's layers are `ReservedLayer`s with room for that many more positions."""
    from transformers import DynamicCache

    from rlvr.training.kv_cache import reserve_cache

    positions = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)  # generate's positions for left padding
    cache = DynamicCache(config=model.config)
    extra = {"logits_to_keep": 1} if model._supports_logits_to_keep() else {}
    out = model(input_ids=input_ids, attention_mask=attention_mask, position_ids=positions, cache=cache,
                use_cache=True, return_dict=True, **extra)
    cache.batch_select_indices(rows)
    if reserve > 0:
        reserve_cache(cache, reserve)
    out["logits"] = out.logits[:, -1:][rows]
    out["cache"] = cache
    return out


@contextlib.contextmanager
def first_step_from(model, output):
    """Within the block, `model.generate`'s prefill step (transformers' `_prefill`) returns `output` once instead
    of running the model; later calls run as usual. Pass ``cache=output.cache`` to that `generate` call."""
    own = vars(model).get("_prefill")  # an instance attribute of its own, put back after
    original = model._prefill
    used = []

    def prefill(*args, **kwargs):
        if used:
            return original(*args, **kwargs)
        used.append(True)
        return output

    model._prefill = prefill
    try:
        yield
    finally:
        if own is not None:
            model._prefill = own
        else:
            vars(model).pop("_prefill", None)
