"""Evaluation sampling throughput (sampled tokens per second), before and after, in one run.

    .venv/bin/python bench/eval_throughput.py configs/demo.yaml [--samples 8,64] [--repeat 3] [--threads 2]

Builds (or reuses) the config's base model and samples completions for the config's first benchmark (its
``eval_problems`` problems) with `rlvr.evaluation.evaluate.sample_completions` in three ways, each `--repeat` times,
alternating, and reports the median seconds and sampled tokens per second of each:

- ``before``: what evaluation did before issue 13: ``generate(num_return_sequences=n)`` (every prompt copied n times
  before prefill), ``eval_batch_size`` sequences per call;
- ``shared``: each distinct prompt prefilled once and its KV cache copied to its n samples;
- ``shared_big``: the same with 4x the sequences per call (fewer Python-level decode loops).

Samples are identical in distribution (same model, temperature, seed handling); only the work differs. Prints one
JSON line per samples-per-problem setting. Measures wall time: run it on an otherwise idle machine, or read the
ratios rather than the absolute numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--samples", default="8,64", help="samples per problem, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlvr.config import load_config
    from rlvr.data import build_datasets
    from rlvr.evaluation.benchmarks import build_benchmarks
    from rlvr.evaluation.evaluate import prompt_text, sample_completions
    from rlvr.pretraining.pretrain import ensure_base_model

    torch.set_num_threads(args.threads)
    cfg, _ = load_config(args.config)
    path = ensure_base_model(cfg)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    verifier = cfg.make_verifier()
    train, heldout = build_datasets(cfg, verifier)
    bench = build_benchmarks(cfg, verifier, heldout, train)[0]
    prompts = [prompt_text(tokenizer, r["prompt"]) for r in bench.rows]
    for n in (int(s) for s in args.samples.split(",")):
        base = dataclasses.replace(bench.settings, samples_per_problem=n)
        ways = {"before": (base, False), "shared": (base, True),
                "shared_big": (dataclasses.replace(base, batch_size=4 * base.batch_size), True)}
        seconds: dict[str, list[float]] = {w: [] for w in ways}
        sampled: dict[str, int] = {}
        sample_completions(model, tokenizer, prompts[:8], base)  # warm-up
        for _ in range(args.repeat):
            for way, (settings, share) in ways.items():
                t0 = time.perf_counter()
                _, _, sampled[way] = sample_completions(model, tokenizer, prompts, settings, share_prefill=share)
                seconds[way].append(time.perf_counter() - t0)
        report = {"config": args.config, "benchmark": bench.name, "problems": len(prompts), "samples": n,
                  "threads": args.threads, "repeat": args.repeat}
        for way in ways:
            median = statistics.median(seconds[way])
            report[way] = {"seconds": round(median, 3), "sampled_tokens": sampled[way],
                           "sampled_tokens_per_s": round(sampled[way] / median, 1),
                           "batch_size": ways[way][0].batch_size}
        report["speedup_shared_big_vs_before"] = round(report["before"]["seconds"] / report["shared_big"]["seconds"],
                                                       2)
        print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
