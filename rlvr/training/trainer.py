"""TRL's `GRPOTrainer` with two generation hooks; the loss, the sampling settings and everything else are TRL's.

* **fp32 or bf16 sampling** (config key `bf16_generation`). accelerate wraps the policy's forward in bf16 autocast
  when `bf16` is on. Whether sampling pays for it depends on the model: at the code demo's hidden size 64 the
  per-token weight casts cost more than the bf16 matmuls save (generation 232 ms per step in fp32, slower under
  autocast); at the demo's 128 bf16 sampling is faster (docs/performance.md). With ``bf16_generation: false`` (the
  default) completions are sampled from the fp32 weights, as on the plain path; with ``true`` the whole generate
  call runs in one autocast region, so each weight is cast once per generation, not once per token.
* **Shared prefill** (config key `share_prefill`). TRL repeats every prompt `num_generations` times before calling
  `generate`, so each prompt is prefilled that many times. With ``share_prefill: true`` each distinct prompt is
  prefilled once and its KV cache copied to its rows; `generate` then samples exactly as before (the same
  random draws in the same order), so the completions differ from the plain path's only by float rounding.
"""

from __future__ import annotations

import contextlib

from trl import GRPOTrainer

from rlvr.evaluation.evaluate import full_precision

__all__ = ["RLVRGRPOTrainer", "shared_prefill_generate"]


def shared_prefill_generate(model, generate):
    """`generate` (the model's bound method) wrapped to prefill runs of identical consecutive prompt rows once.

    Falls back to `generate` unchanged when nothing repeats, when a cache or other model inputs are passed, or
    when the prompt is a single token (there is nothing to prefill before the last token).
    """
    import torch
    from transformers import DynamicCache

    def wrapper(input_ids=None, attention_mask=None, **kwargs):
        extra = set(kwargs) - {"generation_config"}
        if input_ids is None or attention_mask is None or extra or input_ids.shape[0] < 2 or input_ids.shape[1] < 2:
            return generate(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        same = (input_ids[1:] == input_ids[:-1]).all(1) & (attention_mask[1:] == attention_mask[:-1]).all(1)
        starts = torch.cat([same.new_ones(1), ~same])
        if bool(starts.all()):
            return generate(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        rows = starts.long().cumsum(0) - 1  # each row's distinct prompt
        head, head_mask = input_ids[starts][:, :-1], attention_mask[starts][:, :-1]
        positions = (head_mask.long().cumsum(-1) - 1).clamp(min=0)
        cache = DynamicCache(config=model.config)
        with torch.no_grad():
            model(input_ids=head, attention_mask=head_mask, position_ids=positions, cache=cache, use_cache=True)
        cache.batch_select_indices(rows)
        return generate(input_ids=input_ids, attention_mask=attention_mask, cache=cache, **kwargs)

    return wrapper


class RLVRGRPOTrainer(GRPOTrainer):
    """`GRPOTrainer` with `fp32_generation` and `share_prefill` (see the module docstring)."""

    def __init__(self, *args, fp32_generation: bool = True, share_prefill: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fp32_generation = fp32_generation
        self.share_prefill = share_prefill

    def _generate_single_turn(self, *args, **kwargs):
        import torch

        with contextlib.ExitStack() as stack:
            if self.fp32_generation:
                stack.enter_context(full_precision(self.model))
            elif self.args.bf16:  # one autocast region around the whole call: weights cast once, not per token
                stack.enter_context(torch.autocast(self.accelerator.device.type, dtype=torch.bfloat16))
            if self.share_prefill and not self.use_vllm:
                model = self.accelerator.unwrap_model(self.model_wrapped)
                own = vars(model).get("generate")  # an instance attribute of its own, put back after
                model.generate = shared_prefill_generate(model, model.generate)
                stack.callback(lambda: setattr(model, "generate", own) if own else vars(model).pop("generate"))
            return super()._generate_single_turn(*args, **kwargs)
