"""Exact, vectorised stand-ins for two per-row loops in TRL's batch building (config key `fast_batch_prep`).

A GRPO step of the demo builds its batch from 256 rows that are 32 prompts repeated 8 times, with completions of
3-4 tokens; at that size TRL's per-row Python costs as much as a decode step (measured in docs/performance.md):

* `pad`: TRL's `trl.trainer.utils.pad` writes each row into the padded tensor with two indexing calls, about
  1.1 ms for 256 short rows, six times per step. `fast_pad` makes the same tensor with one
  `torch.nn.utils.rnn.pad_sequence` call (0.4 ms) for the 1-D rows the batch is made of, and hands anything else
  (several dimensions, mixed dtypes) to TRL's function.
* prompt tokenising: TRL tokenises all 256 prompt strings (`GRPOTrainer._tokenize_prompts`, about 4 ms);
  `distinct_prompt_ids` tokenises each distinct string once and gives every row its prompt's ids, which are the
  same ids: a tokenizer called on a list without padding encodes each string on its own.

Both give the same tensors and lists as TRL's code, so the option is exact and not part of the run identity.
"""

from __future__ import annotations

import contextlib

__all__ = ["distinct_prompt_ids", "fast_pad", "fast_trl_pad"]


def fast_pad(tensors, padding_value=0, padding_side: str = "right", pad_to_multiple_of: int | None = None,
             fallback=None):
    """TRL's `pad(tensors, padding_value, padding_side, pad_to_multiple_of)`, in one torch call for 1-D tensors
    of one dtype; `fallback` (TRL's `pad` when None) for everything else."""
    import torch
    from torch.nn.utils.rnn import pad_sequence

    if fallback is None:
        from trl.trainer.utils import pad as fallback
    first = tensors[0] if len(tensors) else None
    if (first is None or padding_side not in ("left", "right")
            or any(t.dim() != 1 or t.dtype != first.dtype or t.device != first.device for t in tensors)):
        return fallback(tensors, padding_value, padding_side, pad_to_multiple_of)
    out = pad_sequence(list(tensors), batch_first=True, padding_value=padding_value, padding_side=padding_side)
    if pad_to_multiple_of and out.shape[1] % pad_to_multiple_of:
        extra = out.new_full((out.shape[0], pad_to_multiple_of - out.shape[1] % pad_to_multiple_of), padding_value)
        out = torch.cat([extra, out] if padding_side == "left" else [out, extra], dim=1)
    return out


@contextlib.contextmanager
def fast_trl_pad():
    """Within the block, TRL's GRPO trainer pads with `fast_pad` (its module's `pad` name swapped and put back)."""
    import trl.trainer.grpo_trainer as grpo

    original = grpo.pad

    def pad(tensors, padding_value=0, padding_side="right", pad_to_multiple_of=None):
        return fast_pad(tensors, padding_value, padding_side, pad_to_multiple_of, fallback=original)

    grpo.pad = pad
    try:
        yield
    finally:
        grpo.pad = original


def distinct_prompt_ids(tokenizer, prompts: list[str]) -> list[list[int]]:
    """`tokenizer(text=prompts)["input_ids"]`, each distinct prompt tokenised once."""
    distinct = list(dict.fromkeys(prompts))
    if len(distinct) == len(prompts):
        return tokenizer(text=prompts)["input_ids"]
    ids = dict(zip(distinct, tokenizer(text=distinct)["input_ids"], strict=True))
    return [list(ids[p]) for p in prompts]
