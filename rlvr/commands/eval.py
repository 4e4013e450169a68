"""Benchmark accuracy of a model, and test-time compute: pass@k and maj@k against k at chosen checkpoints.

    rlvr eval runs/20261122-demo-s0-1a2b3c4d                      # newest complete checkpoint of the run
    rlvr eval runs/... --checkpoint base                           # the run's base model
    rlvr eval path/to/hf_model --config configs/demo.yaml          # a model folder, benchmarks from a config
    rlvr eval runs/... --at base,final --samples 64 --k 1,2,4,8,16,32,64    # test_time.jsonl in the run folder

Without --at it prints one JSON object per benchmark shaped like an evals.jsonl row (pass@1, pass@k, maj@k, n,
eval_flops); it does not append to evals.jsonl, whose rows are the training-time curve (--output saves them).
With --at (``base``, ``final`` = the newest complete checkpoint, or step numbers) it evaluates every benchmark of
the run at each checkpoint with --samples samples per problem and appends to the run's test_time.jsonl one row per
(checkpoint, benchmark, k): ``checkpoint``, ``step``, ``compute_flops`` (RL compute of that checkpoint, from its
ledger), ``benchmark``, ``k``, ``pass@k`` (unbiased) and ``maj@k`` (None when the verifier has no canonical
answers). A (checkpoint step, benchmark, samples) already measured is not measured again. With ``use_vllm`` in
the run's config, sampling goes through vLLM (GPU; see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rlvr.errors import UserError

DEFAULT_K = "1,2,4,8,16,32,64"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a run folder or a Hugging Face model folder")
    parser.add_argument("--config", help="config YAML defining the benchmarks (required for a model folder)")
    parser.add_argument("--checkpoint", default="latest", help="'latest', 'base' or a step number (run folders)")
    parser.add_argument("--at", help="test-time compute at these checkpoints: comma-separated base, final and step "
                                     "numbers; writes test_time.jsonl in the run folder")
    parser.add_argument("--problems", type=int, help="problems per benchmark (default: each benchmark's own)")
    parser.add_argument("--samples", type=int, help="samples per problem (default: each benchmark's own; with --at: "
                                                    "the largest k)")
    parser.add_argument("--k", help=f"k values of pass@k / maj@k, comma-separated (with --at default {DEFAULT_K})")
    parser.add_argument("--output", help="also append the rows to this JSONL file")


def _parse_k(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        ks = tuple(sorted({int(k) for k in text.split(",") if k.strip()}))
    except ValueError:
        raise UserError(f"--k {text!r} must be comma-separated whole numbers such as 1,2,4,8") from None
    if not ks or ks[0] < 1:
        raise UserError(f"--k {text!r}: every k must be 1 or more")
    return ks


def _checkpoint(run, cfg, which: str) -> tuple[str, int, float]:
    """(model folder, step, RL compute) of `which`: base, final/latest, or a step number."""
    from rlvr.runfolder.checkpoints import checkpoint_step, newest_complete
    from rlvr.training.compute import LEDGER_FILE

    if which == "base":
        from rlvr.pretraining.pretrain import ensure_base_model

        return str(ensure_base_model(cfg)), 0, 0.0
    if which in ("final", "latest"):
        found = newest_complete(run.checkpoints)
    else:
        if not which.isdigit():
            raise UserError(f"checkpoint {which!r} is not base, final, latest or a step number")
        found = run.checkpoints / f"checkpoint-{which}"
        found = found if (found / "COMPLETE").exists() else None
    if found is None:
        raise UserError(f"no complete checkpoint {which!r} in {run.checkpoints}; use base, final or a step that was "
                        "saved (ls the checkpoints folder)")
    ledger = found / LEDGER_FILE
    compute = None
    if ledger.exists():
        state = json.loads(ledger.read_text())
        compute = float(state["flops_generate"]) + float(state["flops_train"])
    return str(found), int(checkpoint_step(found) or 0), compute


def _resolve(args) -> tuple[object, object, str]:
    from rlvr.config import load_config
    from rlvr.runfolder.folder import CONFIG, RunFolder

    target = Path(args.target)
    if not target.exists():
        raise UserError(f"{args.target!r} does not exist; pass a run folder or a model folder")
    run = RunFolder(target)
    if (target / CONFIG).exists():
        cfg = load_config(args.config)[0] if args.config else run.load_config()
        return cfg, run, None
    if args.at:
        raise UserError(f"--at needs a run folder (with {CONFIG}); {args.target} is not one")
    if not args.config:
        raise UserError(f"{args.target} is not a run folder; pass --config CONFIG.yaml to define the benchmark")
    cfg, _ = load_config(args.config)
    from rlvr.runfolder.checkpoints import check_model_folder

    if (why := check_model_folder(target)) is not None:
        raise UserError(f"{target} cannot be evaluated: {why}. Pass a run folder, a complete checkpoint, or a "
                        "folder saved with save_pretrained")
    return cfg, None, str(target)


def _load(model_path: str, cfg):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_path)
    sampler = None
    if cfg.use_vllm:
        from vllm import LLM

        from rlvr.evaluation.evaluate import sample_completions_vllm

        llm = LLM(model=model_path, seed=cfg.seed, dtype="bfloat16" if cfg.bf16 else "auto")
        sampler = lambda prompts, settings: sample_completions_vllm(llm, prompts, settings)  # noqa: E731
    else:
        import torch

        if torch.cuda.is_available():
            model = model.to("cuda")
    return model, tokenizer, sampler


def _benchmarks(cfg, model_path: str, args, ks):
    from transformers import AutoTokenizer

    from rlvr.data import build_datasets
    from rlvr.evaluation.benchmarks import build_benchmarks

    verifier = cfg.make_verifier()
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    train, heldout = build_datasets(cfg, verifier, tokenizer)
    return build_benchmarks(cfg, verifier, heldout, train, problems=args.problems, samples=args.samples, ks=ks)


def run(args: argparse.Namespace) -> int:
    cfg, run_folder, model_path = _resolve(args)
    if args.at:
        return _test_time(args, cfg, run_folder)
    from rlvr.evaluation.evaluate import evaluate
    from rlvr.runfolder.jsonl import append_jsonl

    if model_path is None:
        model_path = _checkpoint(run_folder, cfg, args.checkpoint)[0]
    benches = _benchmarks(cfg, model_path, args, _parse_k(args.k))
    model, tokenizer, sampler = _load(model_path, cfg)
    for bench in benches:
        result = evaluate(model, tokenizer, bench.rows, bench.verifier, bench.settings, bench.subset_field,
                          sampler=sampler)
        row = result.row(step=-1, compute_flops=float("nan"), benchmark=bench.name, ks=bench.ks)
        row.update({"model": model_path, "step": None, "compute_flops": None})
        if args.output:
            append_jsonl(args.output, row)
        print(json.dumps(row, indent=2))
    return 0


def _test_time(args, cfg, run) -> int:
    from rlvr.evaluation.evaluate import evaluate
    from rlvr.pretraining.flops import pretrain_compute
    from rlvr.pretraining.pretrain import model_cache_dir
    from rlvr.runfolder.folder import TEST_TIME
    from rlvr.runfolder.jsonl import append_jsonl

    ks = _parse_k(args.k or DEFAULT_K)
    if args.samples is None:
        args.samples = max(ks)
    if max(ks) > args.samples:
        raise UserError(f"--k {max(ks)} is larger than --samples {args.samples}; raise --samples or lower --k")
    wanted = [w.strip() for w in args.at.split(",") if w.strip()]
    points = [(w, *_checkpoint(run, cfg, w)) for w in wanted]  # fail on a missing checkpoint before sampling
    benches = _benchmarks(cfg, points[0][1], args, ks)
    base_dir = None if cfg.model_name_or_path else model_cache_dir(cfg)
    pretrain_flops = pretrain_compute(cfg, base_dir)["pretrain_flops"]  # the base model's, on every row
    done = {(r.get("step"), r.get("benchmark"), r.get("samples_per_problem"), r.get("k")) for r in run.read(TEST_TIME)}
    run.attempt = max((r.get("attempt", 0) for r in run.read(TEST_TIME)), default=0) + 1
    for label, model_path, step, compute in points:
        todo = [b for b in benches if any((step, b.name, args.samples, k) not in done for k in ks)]
        if not todo:
            print(f"{label} (step {step}): already in {TEST_TIME}")
            continue
        model, tokenizer, sampler = _load(model_path, cfg)
        for bench in todo:
            t0 = time.perf_counter()
            result = evaluate(model, tokenizer, bench.rows, bench.verifier, bench.settings, bench.subset_field,
                              sampler=sampler)
            seconds = round(time.perf_counter() - t0, 3)
            per_sample = result.eval_flops / max(1, len(result.counts) * args.samples)  # FLOPs of one sample
            rows = [{"checkpoint": label, "step": step, "compute_flops": compute, "benchmark": bench.name, "k": k,
                     "pass@k": result.pass_at(k), "maj@k": result.maj_at(k), "n": len(result.counts),
                     "samples_per_problem": args.samples, "eval_flops": result.eval_flops,
                     "sampling_flops_per_problem": per_sample * k, "pretrain_flops": pretrain_flops,
                     "eval_seconds": seconds, "tokens_sampled": result.tokens_sampled,
                     "time": time.time()} for k in ks]
            run.append(TEST_TIME, rows)
            if args.output:
                append_jsonl(args.output, rows)
            curve = " ".join(f"k={r['k']}:{r['pass@k']:.3f}" for r in rows)
            print(f"{label} (step {step}) {bench.name}: pass@k {curve} ({rows[0]['eval_seconds']:.1f}s)", flush=True)
    print(f"wrote {run.path / TEST_TIME}")
    return 0
