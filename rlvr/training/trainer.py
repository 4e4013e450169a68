"""TRL's `GRPOTrainer` with two generation hooks; the loss, the sampling settings and everything else are TRL's.

* **fp32 or bf16 sampling** (config key `bf16_generation`). accelerate wraps the policy's forward in bf16 autocast
  when `bf16` is on. Whether sampling pays for it depends on the model: at the code demo's hidden size 64 the
  per-token weight casts cost more than the bf16 matmuls save (generation 232 ms per step in fp32, slower under
  autocast); at the demo's 128 bf16 sampling is faster (docs/performance.md). With ``bf16_generation: false`` (the
  default) completions are sampled from the fp32 weights, as on the plain path; with ``true`` the whole generate
  call runs in one autocast region, so each weight is cast once per generation, not once per token.
* **Shared prefill** (config key `share_prefill`). TRL repeats every prompt `num_generations` times before calling
  `generate`, so each prompt is prefilled that many times. With ``share_prefill: true`` each distinct prompt is
  prefilled once, its last token included, and its KV cache and last-position logits copied to its rows
  (`rlvr.training.prefill`); `generate` samples the first token from those logits and decodes exactly as before
  (the same random draws in the same order), so the completions differ from the plain path's only by float
  rounding.
* **Shared prompt forward** (config key `share_prompt_forward`). The loss forward of TRL runs every row's prompt
  through the model again, `num_generations` times per prompt. With ``share_prompt_forward: true`` each distinct
  prompt (all but its last token) runs once, its keys and values are indexed out to its rows (gradients flow back
  through that index to the one copy), and only the last prompt token and the completion run per row. The
  log-probs, entropies and gradients are TRL's up to float rounding; the positions are the ones TRL's forward
  gives (counted from the start of the padded row). The RL FLOPs ledger still counts every row's prompt, so the
  x-axis means the same on both paths (docs/performance.md says how much of the speed-up is work not done).
* **Inference mode** (config key `inference_mode_generation`). TRL samples under `torch.no_grad()`; under
  `torch.inference_mode()` each op also skips autograd's version counters and view tracking, about 7-10% of a
  decode step of these dispatch-bound models. Exact: the same kernels on the same numbers. TRL turns the sampled
  ids into Python lists before they leave `_generate_single_turn`, so no inference tensor reaches the loss.
* **Fitted log-prob chunk** (config key `fit_logprob_chunk`). TRL's fused log-prob head
  (`trl.kernels.ChunkedLogProbFunction`) projects the hidden states onto the vocabulary in tiles of
  `trl.trainer.utils._CHUNKED_LOGPROB_CHUNK_SIZE` (32768) columns, and allocates a [4096 x 32768] buffer for them
  in every forward and backward, whatever the vocabulary. For the tiny models' 100 characters each tile is then
  a 100-column strip of a fresh 256 MB buffer, one page per row, which costs more than the matmul (0.17 vs 4.4
  ms for 4096 rows here). With ``fit_logprob_chunk: true`` the chunk is the vocabulary size when that is smaller:
  the same single tile, the same numbers.
* **Reserved KV cache** (config key `reserve_kv_cache`). With the shared prefill, the sampling cache's layers are
  `rlvr.training.kv_cache.ReservedLayer`s: written in place into a buffer with room for the completion, instead
  of `torch.cat` of every layer's keys and values at each decode step. The same numbers, so exact.
* **Fast batch preparation** (config key `fast_batch_prep`). TRL pads the batch row by row and tokenises every
  copy of a prompt; `rlvr.training.batching` pads 1-D rows with one `pad_sequence` call and tokenises each distinct
  plain-text prompt once. The same tensors and ids, so exact.
* **Overlapped reward** (config key `overlap_reward`). Completions that have ended are verified in a background
  thread while the rest of the batch is sampled (`rlvr.training.overlap`); TRL's reward call then finds their
  verdicts in the cache. Exact: the same verdicts, the same counts.
"""

from __future__ import annotations

import contextlib

from trl import GRPOTrainer

from rlvr.evaluation.evaluate import full_precision

__all__ = ["RLVRGRPOTrainer", "fitted_logprob_chunk", "shared_prefill_generate", "shared_prompt_logps"]


@contextlib.contextmanager
def fitted_logprob_chunk(vocab_size: int):
    """TRL's fused log-prob head, within the block, tiles the vocabulary in one chunk of `vocab_size` columns
    when that is smaller than TRL's chunk (module docstring). TRL reads the chunk at each call and the backward
    reuses the forward's, so the block need only cover the forward."""
    import trl.trainer.utils as trl_utils

    default = trl_utils._CHUNKED_LOGPROB_CHUNK_SIZE  # renamed by TRL: AttributeError, tests fail
    trl_utils._CHUNKED_LOGPROB_CHUNK_SIZE = min(default, max(1, int(vocab_size)))
    try:
        yield
    finally:
        trl_utils._CHUNKED_LOGPROB_CHUNK_SIZE = default


def shared_prefill_generate(model, generate, reserve_cache: bool = False):
    """`generate` (the model's bound method) wrapped to prefill runs of identical consecutive prompt rows once,
    their last token included, and to sample every row's first token from its prompt's logits
    (`rlvr.training.prefill`); with `reserve_cache` the rows' cache is a `ReservedLayer` cache with room for
    `max_new_tokens` more positions.

    Falls back to `generate` unchanged when nothing repeats, when a cache or other model inputs are passed, or
    when the generation config asks for beams, several sequences per row or an assistant model.
    """
    import torch

    from rlvr.training.prefill import first_step_from, prefill_rows, sharing_rows

    def wrapper(input_ids=None, attention_mask=None, **kwargs):
        extra = set(kwargs) - {"generation_config", "streamer"}
        config = kwargs.get("generation_config") or model.generation_config
        plain = ((getattr(config, "num_beams", 1) or 1) > 1 or (getattr(config, "num_return_sequences", 1) or 1) > 1
                 or getattr(config, "is_assistant", False))
        shared = None
        if not (input_ids is None or attention_mask is None or extra or plain or input_ids.shape[0] < 2):
            shared = sharing_rows(input_ids, attention_mask)
        if shared is None:
            return generate(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        starts, rows = shared
        reserve = max(1, getattr(config, "max_new_tokens", None) or 0) if reserve_cache else 0
        with torch.no_grad():
            first = prefill_rows(model, input_ids[starts], attention_mask[starts], rows, reserve=reserve)
        with first_step_from(model, first):
            return generate(input_ids=input_ids, attention_mask=attention_mask, cache=first.cache, **kwargs)

    return wrapper


def shared_prompt_logps(model, input_ids, attention_mask, logits_to_keep: int, autocast):
    """TRL's fused log-prob forward of `input_ids` (prompt then `logits_to_keep` completion tokens), each distinct
    prompt run once. Returns TRL's `FusedCausalLMOutput` for the last `logits_to_keep + 1` positions, or None when
    no prompt repeats (the caller then runs TRL's own forward)."""
    import torch
    from transformers import DynamicCache

    head_len = input_ids.shape[1] - logits_to_keep - 1  # all prompt tokens but the last: shared
    if head_len < 1 or input_ids.shape[0] < 2:
        return None
    head_block = torch.cat([input_ids[:, :head_len], attention_mask[:, :head_len]], dim=1)
    distinct, rows = torch.unique(head_block, dim=0, return_inverse=True)
    if distinct.shape[0] == input_ids.shape[0]:
        return None
    first = torch.full((distinct.shape[0],), input_ids.shape[0], dtype=torch.long)
    first.scatter_reduce_(0, rows, torch.arange(input_ids.shape[0]), reduce="amin")  # one row per distinct prompt
    labels = input_ids.masked_fill(attention_mask == 0, -100)
    labels[:, :-logits_to_keep] = -100
    cache = DynamicCache(config=model.config)
    with autocast():
        # The backbone only (the fused head would score positions we do not need); TRL's positions: 0, 1, ...
        model.base_model(input_ids=input_ids[first, :head_len], attention_mask=attention_mask[first, :head_len],
                 cache=cache, use_cache=True)
        cache.batch_select_indices(rows)
        return model(input_ids=input_ids[:, head_len:], attention_mask=attention_mask,
                     cache=cache, labels=labels[:, head_len:], fused_lm_head=True)


class RLVRGRPOTrainer(GRPOTrainer):
    """`GRPOTrainer` with `fp32_generation`, `share_prefill`, `share_prompt_forward`, `inference_mode_generation`,
    `fit_logprob_chunk`, `reserve_kv_cache`, `fast_batch_prep` and `overlap_reward` (the module docstring)."""

    def __init__(self, *args, fp32_generation: bool = True, share_prefill: bool = False,
                 share_prompt_forward: bool = False, overlap_reward: bool = False,
                 inference_mode_generation: bool = False, fit_logprob_chunk: bool = False,
                 reserve_kv_cache: bool = False, fast_batch_prep: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fp32_generation = fp32_generation
        self.share_prefill = share_prefill
        self.share_prompt_forward = share_prompt_forward
        self.overlap_reward = overlap_reward
        self.inference_mode_generation = inference_mode_generation
        self.fit_logprob_chunk = fit_logprob_chunk
        self.reserve_kv_cache = reserve_kv_cache
        self.fast_batch_prep = fast_batch_prep
        self._batch_inputs = None  # the rows being generated, for the reward prefetch
        self.prefetch_stats = {"batches": 0, "queued": 0, "verified": 0}

    def _prefetch_target(self):
        """The reward function whose verifier the prefetch fills, or None (rlvr.training.overlap)."""
        from rlvr.training.overlap import worth_prefetching
        from rlvr.training.reward import VerifierReward

        if not self.overlap_reward or self.use_vllm:
            return None
        return next((f for f in self.reward_funcs
                     if isinstance(f, VerifierReward) and worth_prefetching(f.verifier)), None)

    def _generate_and_score_completions(self, inputs):
        from rlvr.training.batching import fast_trl_pad

        self._batch_inputs = inputs
        try:
            with fast_trl_pad() if self.fast_batch_prep else contextlib.nullcontext():
                return super()._generate_and_score_completions(inputs)
        finally:
            self._batch_inputs = None

    def _tokenize_prompts(self, prompts: list):
        """TRL's method; with `fast_batch_prep`, plain-text prompts tokenised once per distinct prompt."""
        if not self.fast_batch_prep or not prompts or not all(isinstance(p, str) for p in prompts):
            return super()._tokenize_prompts(prompts)
        from rlvr.training.batching import distinct_prompt_ids

        return distinct_prompt_ids(self.processing_class, prompts), None, {}

    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep,
                                           batch_size=None, compute_entropy=False, compute_aux_loss=False,
                                           **extra):
        """TRL's method, with each distinct prompt's forward shared by its rows when `share_prompt_forward`.

        TRL's own path runs for anything the shared forward does not cover: multimodal or other extra inputs,
        MoE aux losses, a model wrapped for several processes (DDP/FSDP), gradient checkpointing (which drops the
        cache), or a batch with no repeated prompt."""
        with contextlib.ExitStack() as stack:
            if self.fit_logprob_chunk:
                head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
                if head is not None and getattr(head, "weight", None) is not None:
                    stack.enter_context(fitted_logprob_chunk(head.weight.shape[0]))
            return self._logps_and_entropies(model, input_ids, attention_mask, logits_to_keep, batch_size,
                                             compute_entropy, compute_aux_loss, **extra)

    def _logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy,
                             compute_aux_loss, **extra):
        import torch
        from transformers import PreTrainedModel

        plain = (not self.share_prompt_forward or compute_aux_loss or any(v is not None for v in extra.values())
                 or not isinstance(model, PreTrainedModel)  # DDP/FSDP/PEFT wrappers: TRL's path
                 or model.is_activation_checkpointing)
        if not plain:
            size = batch_size or input_ids.size(0)
            logps, entropies = [], []
            for start in range(0, input_ids.size(0), size):
                out = shared_prompt_logps(model, input_ids[start:start + size], attention_mask[start:start + size],
                                          logits_to_keep, self.accelerator.autocast)
                if out is None:
                    break
                logps.append(out.log_probs[:, -logits_to_keep:])
                if compute_entropy:
                    entropies.append(out.entropy[:, -logits_to_keep:])
            else:
                return torch.cat(logps), (torch.cat(entropies) if compute_entropy else None), None
        return super()._get_per_token_logps_and_entropies(model, input_ids, attention_mask, logits_to_keep,
                                                          batch_size, compute_entropy, compute_aux_loss, **extra)

    def _generate_single_turn(self, *args, **kwargs):
        import torch

        with contextlib.ExitStack() as stack:
            if self.inference_mode_generation and not self.use_vllm:
                stack.enter_context(torch.inference_mode())
            if self.fp32_generation:
                stack.enter_context(full_precision(self.model))
            elif self.args.bf16:  # one autocast region around the whole call: weights cast once, not per token
                stack.enter_context(torch.autocast(self.accelerator.device.type, dtype=torch.bfloat16))
            model = self.accelerator.unwrap_model(self.model_wrapped)
            generate = model.generate
            if self.share_prefill and not self.use_vllm:
                generate = shared_prefill_generate(model, generate, reserve_cache=self.reserve_kv_cache)
            prefetcher = self._prefetcher()
            if prefetcher is not None:
                stack.callback(self._close_prefetcher, prefetcher)  # after generate, before the reward call
                generate = _with_streamer(generate, prefetcher)
            if generate is not model.generate:
                own = vars(model).get("generate")  # an instance attribute of its own, put back after
                model.generate = generate
                stack.callback(lambda: setattr(model, "generate", own) if own else vars(model).pop("generate"))
            return super()._generate_single_turn(*args, **kwargs)

    def _prefetcher(self):
        """A `RewardPrefetcher` for this batch's rows, or None when the reward is not prefetched."""
        from rlvr.training.overlap import RewardPrefetcher

        target = self._prefetch_target()
        inputs = self._batch_inputs
        if target is None or not inputs or any(target.reference_column not in x for x in inputs):
            return None
        target.verifier.forget_prefetched()
        tokenizer = self.processing_class

        def decode(ids):  # TRL's decode of a completion (grpo_trainer._generate)
            return tokenizer.decode(ids, skip_special_tokens=True)

        return RewardPrefetcher(target.verifier, [x[target.reference_column] for x in inputs], decode,
                                self.eos_token_ids, workers=target.workers)

    def _close_prefetcher(self, prefetcher) -> None:
        prefetcher.close()
        self.prefetch_stats["batches"] += 1
        self.prefetch_stats["queued"] += prefetcher.queued
        self.prefetch_stats["verified"] += prefetcher.verified


def _with_streamer(generate, streamer):
    """`generate` with `streamer=` added to each call (unless the caller passes one)."""

    def wrapper(*args, **kwargs):
        kwargs.setdefault("streamer", streamer)
        return generate(*args, **kwargs)

    return wrapper
