"""The GRPO loop's speed options, and the plain path they replace.

Every option is a config key (``rlvr train --help``); this module says which ones make the loop fast, what each
costs, and how to turn them all off. Measured in docs/performance.md (`bench/profile_step.py`,
`bench/rl_throughput.py`).

| key | fast default | plain (before) | exact? |
|---|---|---|---|
| `gradient_checkpointing` | `false`, honoured (TRL 1.16 turns it on unless told) | `true` | yes |
| `bf16` | `null`: bf16 autocast where the CPU has avx512_bf16 / amx_bf16 | `false` | no: within noise |
| `bf16_generation` | `false`: completions sampled from the fp32 weights | `false` | n/a |
| `share_prefill` | `true`: each distinct prompt prefilled once, KV cache copied to its rows | `false` | rounding |
| `share_prompt_forward` | `true`: the loss forward runs each distinct prompt once for its rows | `false` | rounding |
| `reward_cache` | 100000 verdicts of repeated (completion, reference) pairs | `0` | yes (deterministic) |
| `inference_mode_generation` | `true`: training completions sampled under `torch.inference_mode()` | `false` | yes |
| `fit_logprob_chunk` | `true`: TRL's fused log-prob head tiles a small vocabulary in one chunk | `false` | yes |
| `reserve_kv_cache` | `true`: samples decoded into a KV cache written in place | `false` | yes |
| `fast_batch_prep` | `true`: batch padded in one call, each distinct prompt tokenised once | `false` | yes |
| `overlap_reward` | `false`: net loss on 2 CPU cores (for sampling on a GPU) | `false` | yes |
| `attn_implementation` | `null`: eager for the tiny local model (faster than SDPA here) | `sdpa` | rounding only |

Options that can change results (`bf16`, `bf16_generation`, `share_prefill`, `share_prompt_forward`,
`attn_implementation`) enter the
run identity when they differ from the plain path (`IDENTITY_BASELINE`), so a faster run never reuses a plain
run's folder, and folders made before these keys existed keep their names. Evaluation always runs in full precision
(`rlvr.evaluation.evaluate.full_precision`): the measuring instrument is the same on both paths.
"""

from __future__ import annotations

from rlvr.config.experiment import IDENTITY_BASELINE
from rlvr.config.hardware import native_bf16

__all__ = ["PLAIN", "IDENTITY_BASELINE", "native_bf16"]

# The overrides that give the GRPO loop as it ran before these options (bench/rl_throughput.py's plain path).
PLAIN: dict = {"gradient_checkpointing": True, "bf16": False, "bf16_generation": False, "share_prefill": False,
               "share_prompt_forward": False, "reward_cache": 0, "overlap_reward": False,
               "inference_mode_generation": False, "attn_implementation": "sdpa", "fit_logprob_chunk": False,
               "reserve_kv_cache": False, "fast_batch_prep": False}
