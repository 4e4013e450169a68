"""Held-out benchmark evaluation: sample n completions per problem, score with the verifier, pass@1 and pass@k.

    result = evaluate(model, tokenizer, heldout_rows, verifier, EvalSettings(samples_per_problem=8))
    result.row(step=0, compute_flops=0.0, benchmark="add_heldout", ks=(8,))   # one evals.jsonl line

pass@1 is the mean over problems of the fraction of correct samples; pass@k is the unbiased estimator of
Chen et al. (2021) (`rlvr.passk`). A sample the verifier cannot score (reward None) counts as not correct and is
reported under ``unscored`` so it is never hidden. Generation FLOPs of the evaluation (2N per processed token,
as in `rlvr.compute`) are returned as ``eval_flops``; they are not RL compute.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import torch

from rlvr.compute import flops_params
from rlvr.passk import mean_pass_at_k

__all__ = ["EvalSettings", "EvalResult", "evaluate", "sample_completions"]


@dataclass(frozen=True)
class EvalSettings:
    samples_per_problem: int = 8
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 8
    batch_size: int = 1024  # sequences generated at once
    seed: int = 0
    workers: int = 1  # verifier batch workers


@dataclass
class EvalResult:
    counts: list[tuple[int, int]]  # (n, c) per problem
    statuses: Counter
    unscored: int  # samples the verifier could not score (reward None); counted as not correct
    eval_flops: float
    seconds: float
    samples: list[dict] = field(default_factory=list)  # a few examples for samples.jsonl

    def pass_at(self, k: int) -> float:
        return mean_pass_at_k(self.counts, k)

    def row(self, step: int, compute_flops: float, benchmark: str, ks: tuple[int, ...]) -> dict:
        n = self.counts[0][0] if self.counts else 0
        return {
            "step": int(step), "compute_flops": float(compute_flops), "benchmark": benchmark,
            "pass@1": self.pass_at(1), "n": len(self.counts),
            "pass@k": {str(k): self.pass_at(k) for k in ks},
            "samples_per_problem": n, "eval_flops": self.eval_flops,
            "statuses": dict(self.statuses), "unscored": self.unscored,
            "eval_seconds": round(self.seconds, 3), "time": time.time(),
        }


def prompt_text(tokenizer, prompt) -> str:
    """A dataset prompt as text: chat-message lists go through the tokenizer's chat template, as TRL does."""
    if isinstance(prompt, str):
        return prompt
    return tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)


@torch.no_grad()
def sample_completions(model, tokenizer, prompts: list[str], settings: EvalSettings) -> tuple[list[list[str]], int]:
    """Sample `settings.samples_per_problem` completions per prompt. Returns (completions per prompt, tokens)."""
    n = settings.samples_per_problem
    per_batch = max(1, settings.batch_size // n)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    padding_side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # decoder-only generation continues from the right edge
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(settings.seed)  # same samples for the same model and settings; restores RNG below
    out: list[list[str]] = []
    tokens = 0
    try:
        for start in range(0, len(prompts), per_batch):
            batch = prompts[start:start + per_batch]
            enc = tokenizer(batch, return_tensors="pt", padding=True).to(device)
            gen = model.generate(
                **enc, do_sample=True, temperature=settings.temperature, top_p=settings.top_p,
                max_new_tokens=settings.max_new_tokens, num_return_sequences=n,
                pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
            )  # (B*n, T_prompt + T_new)
            new = gen[:, enc["input_ids"].shape[1]:]
            # Tokens processed: each prompt's real tokens (n times: HF expands before prefill) + sampled tokens
            # up to and including eos.
            prompt_tokens = int(enc["attention_mask"].sum().item()) * n
            is_eos = new == tokenizer.eos_token_id
            full = torch.full((new.shape[0],), new.shape[1], dtype=torch.long, device=new.device)
            lengths = torch.where(is_eos.any(1), is_eos.int().argmax(1) + 1, full)
            tokens += prompt_tokens + int(lengths.sum().item())
            texts = tokenizer.batch_decode(new, skip_special_tokens=True)
            out.extend(texts[i * n:(i + 1) * n] for i in range(len(batch)))
    finally:
        tokenizer.padding_side = padding_side
        torch.random.set_rng_state(generator_state)
        model.train(was_training)
    return out, tokens


def evaluate(model, tokenizer, rows: list[dict], verifier, settings: EvalSettings, n_examples: int = 4) -> EvalResult:
    """Evaluate on `rows` (dicts with ``prompt`` and ``reference``)."""
    t0 = time.perf_counter()
    prompts = [prompt_text(tokenizer, r["prompt"]) for r in rows]
    completions, tokens = sample_completions(model, tokenizer, prompts, settings)
    pairs = [(c, r["reference"]) for r, cs in zip(rows, completions, strict=True) for c in cs]
    verdicts = verifier.verify_batch(pairs, workers=settings.workers)
    n = settings.samples_per_problem
    counts, statuses, samples = [], Counter(), []
    for i, row in enumerate(rows):
        vs = verdicts[i * n:(i + 1) * n]
        counts.append((n, sum(v.reward == 1.0 for v in vs)))
        statuses.update(v.status for v in vs)
        if i < n_examples:
            samples.append({"prompt": row["prompt"], "reference": row["reference"], "completion": completions[i][0],
                            "reward": vs[0].reward, "status": vs[0].status})
    unscored = sum(1 for v in verdicts if v.reward is None)
    eval_flops = 2.0 * flops_params(model) * tokens
    return EvalResult(counts, statuses, unscored, eval_flops, time.perf_counter() - t0, samples)
