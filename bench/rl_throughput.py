"""Counted RL FLOPs per second of the GRPO loop: the plain path against the default path, in one invocation.

    .venv/bin/python bench/rl_throughput.py configs/demo.yaml [--steps N] [--order plain,default] [--repeat N]

Runs `rlvr train` on the config twice, each in a fresh process and a temporary run folder (the base model from
the cache, built first if missing): the plain path (every speed option off, `rlvr.training.speed.PLAIN`, the loop
before issue 21) and the default path (the config as it is). For each it prints the RL FLOPs the compute ledger
counted, the seconds of the GRPO steps (the step loop less the log-spaced evaluations, which are not RL compute),
RL FLOPs per second, and that rate as a fraction of the matmul peak measured here first (a 2048 x 2048 fp32 matmul,
and bf16, with the threads training uses). The evaluations' seconds and the whole loop's rate are printed too.
The last line is ``ratio X.XX``: the default path's RL FLOPs per second over the plain path's.

``--steps`` defaults to the config's max_steps (the whole run). Wall time: run it on an otherwise idle machine.
``--repeat N`` runs N rounds, the order swapped each round (plain,default then default,plain, ...), prints each
round's ratio, and takes the median as the last line: on a shared or throttled machine one pair of runs can be
10-20% off either way, and a median over swapped orders is what to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def matmul_peak(dtype_name: str, size: int = 2048, repeat: int = 10) -> float:
    """FLOP/s of a square matmul in this process's torch threads (the best of three timings)."""
    import torch

    dtype = getattr(torch, dtype_name)
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(repeat):
            a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 * repeat / best


def one_path(config: str, path: str, steps: int | None) -> dict:
    """Train `config` on `path` ("plain" or "default") in this process; the figures as a dict."""
    from profile_step import PhaseTimer, install

    from rlvr.config import load_config
    from rlvr.runfolder.folder import RunFolder
    from rlvr.training.speed import PLAIN
    from rlvr.training.train import train

    overrides = ["--max_steps", str(steps)] if steps else []
    if path == "plain":
        for key, value in PLAIN.items():
            overrides += [f"--{key}", str(value)]
    timer = PhaseTimer()
    install(timer)
    with tempfile.TemporaryDirectory(prefix="rlvr-throughput-") as tmp:
        cfg, _ = load_config(config, overrides + ["--run_dir", str(Path(tmp) / "run")])
        run_dir = train(cfg)
        summary = json.loads((Path(run_dir) / "summary.json").read_text())
        evals = RunFolder(run_dir).read("evals.jsonl")
    loop = sum(timer.seconds.values())
    evaluation = timer.seconds["evaluation"]
    flops = summary["compute_flops"]
    return {"path": path, "steps": summary["steps"], "rl_flops": flops, "tokens": summary["tokens"],
            "loop_seconds": round(loop, 2), "eval_seconds": round(evaluation, 2),
            "rl_seconds": round(loop - evaluation, 2), "rl_flops_per_s": flops / (loop - evaluation),
            "loop_flops_per_s": flops / loop, "bf16": bool(cfg.bf16),
            "pass@1": {f"{r['benchmark']}@{r['step']}": r["pass@1"] for r in evals}}


def run_path(config: str, path: str, steps: int | None) -> dict | None:
    """One path in a fresh child process; its figures, or None (its log on stderr) when it failed."""
    cmd = [sys.executable, __file__, config, "--one", path] + (["--steps", str(steps)] if steps else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=os.environ.copy())
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stderr[-4000:])
        print(f"bench/rl_throughput.py: the {path} path failed (exit {proc.returncode}); its log is above")
        return None
    return json.loads(lines[-1][len("RESULT "):])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--steps", type=int, default=None, help="GRPO steps (default: the config's max_steps)")
    parser.add_argument("--order", default="plain,default",
                        help="which path runs first in the first round (default plain,default)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds, the order swapped each round; the last line is the median ratio (default 1)")
    parser.add_argument("--one", choices=("plain", "default"), help=argparse.SUPPRESS)  # a child process
    args = parser.parse_args()
    order = args.order.split(",")
    if sorted(order) != ["default", "plain"]:
        print(f"bench/rl_throughput.py: --order {args.order!r} must name both paths once: plain,default or "
              "default,plain")
        return 2
    if args.repeat < 1:
        print(f"bench/rl_throughput.py: --repeat {args.repeat} must be 1 or more")
        return 2
    if args.one:
        print("RESULT " + json.dumps(one_path(args.config, args.one, args.steps)), flush=True)
        return 0

    import torch

    from rlvr.config import load_config
    from rlvr.pretraining.pretrain import ensure_base_model

    ensure_base_model(load_config(args.config)[0])  # a missing base model is built before any timing
    peak = {"float32": matmul_peak("float32"), "bfloat16": matmul_peak("bfloat16")}
    print(f"matmul peak, {torch.get_num_threads()} threads: fp32 {peak['float32'] / 1e9:.0f} GFLOP/s, "
          f"bf16 {peak['bfloat16'] / 1e9:.0f} GFLOP/s")
    ratios, loop_ratios = [], []
    for round_ in range(args.repeat):
        results = {}
        for path in (order if round_ % 2 == 0 else order[::-1]):
            r = run_path(args.config, path, args.steps)
            if r is None:
                return 1
            results[path] = r
            dtype = "bfloat16" if r["bf16"] else "float32"
            print(f"{path:8s} {r['steps']} steps, {r['rl_flops']:.3g} RL FLOPs in {r['rl_seconds']:.1f} s of GRPO "
                  f"steps: {r['rl_flops_per_s'] / 1e9:.1f} GFLOP/s = {r['rl_flops_per_s'] / peak['float32']:.1%} "
                  f"of the fp32 peak ({r['rl_flops_per_s'] / peak[dtype]:.1%} of the {dtype} peak it computes in); "
                  f"evaluations {r['eval_seconds']:.1f} s; whole loop {r['loop_flops_per_s'] / 1e9:.1f} GFLOP/s")
            print("RESULT " + json.dumps({**r, "config": args.config, "round": round_ + 1}), flush=True)
        plain, default = results["plain"], results["default"]
        loop_ratios.append(default["loop_flops_per_s"] / plain["loop_flops_per_s"])
        ratios.append(default["rl_flops_per_s"] / plain["rl_flops_per_s"])
        if args.repeat > 1:
            print(f"round {round_ + 1}: ratio {ratios[-1]:.2f} (whole loop {loop_ratios[-1]:.2f})")
    if args.repeat > 1:
        print(f"ratios over {args.repeat} rounds: " + ", ".join(f"{x:.2f}" for x in ratios)
              + f" (min {min(ratios):.2f}, max {max(ratios):.2f}); the lines below are medians")
    print(f"whole loop (evaluations included) ratio {statistics.median(loop_ratios):.2f}")
    print(f"ratio {statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
