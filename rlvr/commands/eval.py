"""Held-out benchmark accuracy of a model: a run's newest complete checkpoint, or any HF model folder.

    rlvr eval runs/20261122-demo-s0-1a2b3c4d                      # newest complete checkpoint of the run
    rlvr eval runs/... --checkpoint base                           # the run's base model
    rlvr eval path/to/hf_model --config configs/demo.yaml          # a model folder, task from a config

Prints one JSON object shaped like an evals.jsonl row (pass@1, pass@k, n, eval_flops). It does not append to the
run's evals.jsonl, whose rows are the training-time curve; use --output to save the row elsewhere.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rlvr.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a run folder or a Hugging Face model folder")
    parser.add_argument("--config", help="config YAML defining the task (required for a model folder)")
    parser.add_argument("--checkpoint", default="latest", help="'latest', 'base' or a step number (run folders)")
    parser.add_argument("--problems", type=int, help="held-out problems (default: the config's eval_problems)")
    parser.add_argument("--samples", type=int, help="samples per problem (default: eval_samples_per_problem)")
    parser.add_argument("--output", help="also append the row to this JSONL file")


def _resolve(args) -> tuple[object, str]:
    from rlvr.checkpoints import newest_complete
    from rlvr.config import load_config
    from rlvr.runfolder import CONFIG, RunFolder

    target = Path(args.target)
    if not target.exists():
        raise UserError(f"{args.target!r} does not exist; pass a run folder or a model folder")
    run = RunFolder(target)
    if (target / CONFIG).exists():
        cfg = load_config(args.config)[0] if args.config else run.load_config()
        if args.checkpoint == "base":
            from rlvr.pretrain import ensure_base_model

            return cfg, str(ensure_base_model(cfg))
        if args.checkpoint == "latest":
            found = newest_complete(run.checkpoints)
        else:
            found = run.checkpoints / f"checkpoint-{args.checkpoint}"
            found = found if (found / "COMPLETE").exists() else None
        if found is None:
            raise UserError(f"no complete checkpoint {args.checkpoint!r} in {run.checkpoints}; use --checkpoint "
                            "base, latest or a step that was saved")
        return cfg, str(found)
    if not args.config:
        raise UserError(f"{args.target} is not a run folder; pass --config CONFIG.yaml to define the benchmark")
    cfg, _ = load_config(args.config)
    return cfg, str(target)


def run(args: argparse.Namespace) -> int:
    cfg, model_path = _resolve(args)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlvr.benchmarks import build_benchmarks
    from rlvr.data import build_datasets
    from rlvr.evaluate import evaluate
    from rlvr.jsonl import append_jsonl

    verifier = cfg.make_verifier()
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_path)
    _, heldout = build_datasets(cfg, verifier, tokenizer)
    for bench in build_benchmarks(cfg, verifier, heldout, problems=args.problems, samples=args.samples):
        result = evaluate(model, tokenizer, bench.rows, bench.verifier, bench.settings)
        row = result.row(step=-1, compute_flops=float("nan"), benchmark=bench.name, ks=bench.ks)
        row.update({"model": model_path, "step": None, "compute_flops": None})
        if args.output:
            append_jsonl(args.output, row)
        print(json.dumps(row, indent=2))
    return 0
