"""Measure the tiny base model's held-out pass@1 / pass@k, independently of the `math` verifier and `rlvr eval`.

    .venv/bin/python bench/base_model_passk.py configs/demo.yaml [--key value ...] [--samples 8] [--threads 2]

Builds (or reuses) the config's base model with `ensure_base_model`, samples `--samples` completions per held-out
problem at `eval_temperature` and scores them with a plain exact-integer check (the last integer in the completion
equals the reference). Why a separate check: it pins the base model's quality without trusting the verifier under
test. pass@k is the unbiased estimator of Chen et al. (2021). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time

_INT = re.compile(r"-?\d+")


def exact_integer(completion: str, reference: str) -> bool:
    """True when the last integer in `completion` equals the integer `reference`."""
    found = _INT.findall(completion)
    return bool(found) and int(found[-1]) == int(reference)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct: 1 - C(n-c, k) / C(n, k)."""
    return 1.0 if n - c < k else 1.0 - math.comb(n - c, k) / math.comb(n, k)


def sample(model, tokenizer, prompts: list[str], n: int, temperature: float, max_new_tokens: int) -> list[list[str]]:
    """`n` sampled completions per prompt (left padding; decoding stops at eos)."""
    import torch

    tokenizer.padding_side = "left"
    out = []
    with torch.no_grad():
        for start in range(0, len(prompts), 64):
            batch = prompts[start:start + 64]
            enc = tokenizer(batch, return_tensors="pt", padding=True)
            gen = model.generate(**enc, do_sample=True, temperature=temperature, top_p=1.0, top_k=0,
                                 max_new_tokens=max_new_tokens, num_return_sequences=n,
                                 pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
            texts = tokenizer.batch_decode(gen[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
            out.extend(texts[i * n:(i + 1) * n] for i in range(len(batch)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args, overrides = parser.parse_known_args(argv)

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlvr.config import load_config
    from rlvr.pretraining.pretrain import ensure_base_model

    torch.set_num_threads(args.threads)
    cfg, _ = load_config(args.config, overrides)
    t0 = time.time()
    path = ensure_base_model(cfg)
    build_s = time.time() - t0
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    _, heldout = cfg.make_task().splits(cfg)
    torch.manual_seed(cfg.seed)
    t0 = time.time()
    prompts = [cfg.prompt_template.format(question=r["question"]) for r in heldout]
    completions = sample(model, tokenizer, prompts, args.samples, cfg.eval_temperature, max_new_tokens=6)
    correct = [sum(exact_integer(c, r["reference"]) for c in cs) for cs, r in zip(completions, heldout, strict=True)]
    result = {"model": str(path), "problems": len(heldout), "samples": args.samples,
              "pass@1": sum(c / args.samples for c in correct) / len(correct),
              f"pass@{args.samples}": sum(pass_at_k(args.samples, c, args.samples) for c in correct) / len(correct),
              "examples": {r["question"]: cs[:4] for r, cs in zip(heldout[:3], completions[:3], strict=True)},
              "build_or_load_s": round(build_s, 1), "eval_s": round(time.time() - t0, 1)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
