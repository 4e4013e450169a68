"""Benchmark evaluation: sample n completions per problem, score with the verifier, pass@1, pass@k and maj@k.

    result = evaluate(model, tokenizer, rows, verifier, EvalSettings(samples_per_problem=8), subset_field="level")
    result.row(step=0, compute_flops=0.0, benchmark="add_heldout", ks=(8,))   # one evals.jsonl line

pass@1 is the mean over problems of the fraction of correct samples; pass@k is the unbiased estimator of
Chen et al. (2021) (`rlvr.evaluation.passk`). maj@k is majority vote over the verifier's canonical answers
(`verifier.canonical_batch(completions)` or `verifier.canonical(completion)`, hashable or None; a verifier with
neither has no maj@k): the n samples of a problem are cut into n // k disjoint groups of k, each group votes (a
tie is shared: credit 1/t for t tied answers, the expectation of a random tie-break; samples without a canonical
answer do not vote), and the problem scores the mean over groups. Samples are i.i.d., so every group is an
independent draw of k samples and the mean is an unbiased estimate of maj@k.

A sample the verifier cannot score (reward None) counts as not correct and is reported under ``unscored`` so it
is never hidden. With a subset field, each row gains ``subsets: {value: {"pass@1", "n"}}``. Generation FLOPs
(2N per processed token, as in `rlvr.training.compute`) are returned as ``eval_flops``; they are not RL compute.

Sampling: prompts are generated in batches of ``batch_size`` sequences with the KV cache (`model.generate`),
each distinct prompt prefilled once and its cache shared by its n samples when ``share_prefill`` (default).
A row with ``completion_prefix`` (HumanEval: the function signature) is verified as prefix + completion.
With vLLM (`sample_completions_vllm`, GPU only) the same settings go to ``vllm.LLM.generate``.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rlvr.evaluation.passk import majority_at_k, mean_pass_at_k
from rlvr.training.compute import flops_params, forward_flops

__all__ = ["EvalSettings", "EvalResult", "evaluate", "sample_completions", "sample_completions_vllm",
           "canonical_answers", "prompt_text", "full_precision"]


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
    votes: list[list[tuple[object, bool]]] | None = None  # per problem: (canonical answer, correct) per sample
    subsets: list | None = None  # per problem: its subset value (None: no subset field)
    tokens_sampled: int = 0  # generated tokens (throughput)

    def pass_at(self, k: int) -> float:
        return mean_pass_at_k(self.counts, k)

    def maj_at(self, k: int) -> float | None:
        if self.votes is None:
            return None
        return sum(majority_at_k(v, k) for v in self.votes) / len(self.votes)

    def subset_table(self) -> dict | None:
        if self.subsets is None:
            return None
        groups: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for value, nc in zip(self.subsets, self.counts, strict=True):
            groups[str(value)].append(nc)
        return {value: {"pass@1": mean_pass_at_k(counts, 1), "n": len(counts)}
                for value, counts in sorted(groups.items(), key=lambda kv: _sort_key(kv[0]))}

    def row(self, step: int, compute_flops: float, benchmark: str, ks: tuple[int, ...]) -> dict:
        n = self.counts[0][0] if self.counts else 0
        out = {
            "step": int(step), "compute_flops": float(compute_flops), "benchmark": benchmark,
            "pass@1": self.pass_at(1), "n": len(self.counts),
            "pass@k": {str(k): self.pass_at(k) for k in ks},
        }
        if self.votes is not None:
            out["maj@k"] = {str(k): self.maj_at(k) for k in ks}
        subsets = self.subset_table()
        if subsets is not None:
            out["subsets"] = subsets
        per_problem = self.eval_flops / len(self.counts) if self.counts else 0.0
        out.update({"samples_per_problem": n, "eval_flops": self.eval_flops, "sampling_flops_per_problem": per_problem,
                    "statuses": dict(self.statuses),
                    "unscored": self.unscored, "eval_seconds": round(self.seconds, 3),
                    "tokens_sampled": self.tokens_sampled, "time": time.time()})
        return out


def _sort_key(value: str):
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def prompt_text(tokenizer, prompt) -> str:
    """A dataset prompt as text: chat-message lists go through the tokenizer's chat template, as TRL does."""
    if isinstance(prompt, str):
        return prompt
    return tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)


@contextlib.contextmanager
def full_precision(model):
    """Sample from `model` without the bf16 autocast accelerate wraps around its forward in mixed-precision
    training (config key `bf16`), so evaluation inside a bf16 run measures the fp32 weights as a plain run does."""
    original = getattr(model, "_original_forward", None)
    if original is None or "forward" not in vars(model):
        yield model
        return
    wrapped = model.forward
    model.forward = original
    try:
        yield model
    finally:
        model.forward = wrapped


def sample_completions(model, tokenizer, prompts: list[str], settings: EvalSettings,
                       share_prefill: bool = True) -> tuple[list[list[str]], int, int]:
    """Sample `settings.samples_per_problem` completions per prompt with the KV cache.

    Returns (completions per prompt, tokens processed, tokens sampled). With `share_prefill` each prompt is
    prefilled once and its KV cache expanded to its n samples; otherwise generate() copies the prompt n times
    before prefill (what `num_return_sequences` does). Sampling is seeded; the global RNG state is restored.
    """
    import torch

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
    tokens = sampled = 0
    try:
        with torch.no_grad(), full_precision(model):
            for start in range(0, len(prompts), per_batch):
                batch = prompts[start:start + per_batch]
                enc = tokenizer(batch, return_tensors="pt", padding=True).to(device)
                new = (_generate_shared(model, tokenizer, enc, n, settings) if share_prefill else
                       _generate(model, tokenizer, enc, n, settings))  # (B*n, T_new)
                # Tokens processed: each prompt's real tokens (n times: every sample attends to its prompt, and
                # FLOPs are counted as 2N per token in context, as in training) + sampled tokens up to eos.
                prompt_tokens = int(enc["attention_mask"].sum().item()) * n
                is_eos = new == tokenizer.eos_token_id
                full = torch.full((new.shape[0],), new.shape[1], dtype=torch.long, device=new.device)
                lengths = torch.where(is_eos.any(1), is_eos.int().argmax(1) + 1, full)
                sampled += int(lengths.sum().item())
                tokens += prompt_tokens + int(lengths.sum().item())
                texts = tokenizer.batch_decode(new, skip_special_tokens=True)
                out.extend(texts[i * n:(i + 1) * n] for i in range(len(batch)))
    finally:
        tokenizer.padding_side = padding_side
        torch.random.set_rng_state(generator_state)
        model.train(was_training)
    return out, tokens, sampled


def _generate(model, tokenizer, enc, n: int, settings: EvalSettings):
    gen = model.generate(
        **enc, do_sample=True, temperature=settings.temperature, top_p=settings.top_p,
        max_new_tokens=settings.max_new_tokens, num_return_sequences=n, use_cache=True,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    return gen[:, enc["input_ids"].shape[1]:]


def _generate_shared(model, tokenizer, enc, n: int, settings: EvalSettings):
    """Prefill each prompt once, its last token included, copy its KV cache and first logits to its n samples,
    then decode with generate() (`rlvr.training.prefill`)."""
    ids, mask = enc["input_ids"], enc["attention_mask"]
    if n == 1:
        return _generate(model, tokenizer, enc, n, settings)
    import torch

    from rlvr.training.prefill import first_step_from, prefill_rows

    rows = torch.arange(ids.shape[0]).repeat_interleave(n)
    # The cache is written in place while decoding (reserve_kv_cache): exact, no per-token copy.
    first = prefill_rows(model, ids, mask, rows, reserve=max(1, settings.max_new_tokens))
    with first_step_from(model, first):
        gen = model.generate(
            input_ids=ids.repeat_interleave(n, 0), attention_mask=mask.repeat_interleave(n, 0), cache=first.cache,
            do_sample=True, temperature=settings.temperature, top_p=settings.top_p,
            max_new_tokens=settings.max_new_tokens, use_cache=True,
            pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        )
    return gen[:, ids.shape[1]:]


def sample_completions_vllm(llm, prompts: list[str], settings: EvalSettings) -> tuple[list[list[str]], int, int]:
    """The vLLM path (GPU): `llm` is a `vllm.LLM`; same settings, n samples per prompt in one request each."""
    from vllm import SamplingParams

    params = SamplingParams(n=settings.samples_per_problem, temperature=settings.temperature, top_p=settings.top_p,
                            max_tokens=settings.max_new_tokens, seed=settings.seed)
    outputs = llm.generate(prompts, params, use_tqdm=False)
    texts = [[c.text for c in o.outputs] for o in outputs]
    sampled = sum(len(c.token_ids) for o in outputs for c in o.outputs)
    tokens = sampled + sum(len(o.prompt_token_ids) * settings.samples_per_problem for o in outputs)
    return texts, tokens, sampled


def canonical_answers(verifier, completions: list[str]) -> list | None:
    """The verifier's canonical answer of each completion (hashable or None), or None if it has no `canonical`."""
    batch = getattr(verifier, "canonical_batch", None)
    if batch is not None:
        return list(batch(completions))
    one = getattr(verifier, "canonical", None)
    return None if one is None else [one(c) for c in completions]


def evaluate(model, tokenizer, rows: list[dict], verifier, settings: EvalSettings, subset_field: str | None = None,
             n_examples: int = 4, sampler=None) -> EvalResult:
    """Evaluate on `rows` (dicts with ``prompt`` and ``reference``, maybe ``completion_prefix`` and a subset key).

    `sampler(prompts, settings) -> (completions, tokens, sampled)` replaces HF sampling (e.g. vLLM)."""
    from rlvr.evaluation.specs import subset_value

    t0 = time.perf_counter()
    prompts = [prompt_text(tokenizer, r["prompt"]) for r in rows]
    if sampler is None:
        completions, tokens, sampled = sample_completions(model, tokenizer, prompts, settings)
    else:
        completions, tokens, sampled = sampler(prompts, settings)
    texts = [r.get("completion_prefix", "") + c for r, cs in zip(rows, completions, strict=True) for c in cs]
    refs = [r["reference"] for r in rows for _ in range(settings.samples_per_problem)]
    verdicts = verifier.verify_batch(list(zip(texts, refs, strict=True)), workers=settings.workers)
    answers = canonical_answers(verifier, texts)
    n = settings.samples_per_problem
    counts, statuses, samples, votes = [], Counter(), [], []
    for i, row in enumerate(rows):
        vs = verdicts[i * n:(i + 1) * n]
        counts.append((n, sum(v.reward == 1.0 for v in vs)))
        statuses.update(v.status for v in vs)
        if answers is not None:
            votes.append([(a, v.reward == 1.0) for a, v in zip(answers[i * n:(i + 1) * n], vs, strict=True)])
        if i < n_examples:
            samples.append({"prompt": row["prompt"], "reference": row["reference"], "completion": completions[i][0],
                            "reward": vs[0].reward, "status": vs[0].status})
    unscored = sum(1 for v in verdicts if v.reward is None)
    eval_flops = forward_flops(flops_params(model), tokens) if model is not None else 0.0
    subsets = [subset_value(r, subset_field) for r in rows] if subset_field else None
    return EvalResult(counts, statuses, unscored, eval_flops, time.perf_counter() - t0, samples,
                      votes if answers is not None else None, subsets, sampled)
