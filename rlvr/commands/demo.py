"""End to end on one config: pretrain (or reuse) the base model, GRPO-train, evaluate, fit and plot, then measure
test-time compute (pass@k / maj@k for k up to `test_time_samples`, default 64) at the base model and the final
checkpoint.

    rlvr demo configs/demo.yaml            # what `make demo` runs

Prints where the run folder, fit.json and the PNG(s) are. Re-running it resumes or reuses the finished run.
"""

from __future__ import annotations

import argparse
import time

from rlvr.config import load_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="experiment YAML file, e.g. configs/demo.yaml")
    parser.add_argument("overrides", nargs=argparse.REMAINDER, help="--key value pairs overriding the YAML")


def test_time_ks(n: int) -> str:
    """The k values of the test-time curve for n samples per problem: powers of two below n, then n."""
    return ",".join(str(k) for k in [2 ** i for i in range(n.bit_length()) if 2 ** i < n] + [n])


def run(args: argparse.Namespace) -> int:
    from rlvr.cli import main as cli_main

    t0 = time.time()
    cfg, overrides = load_config(args.config, args.overrides)
    from rlvr.pretraining.pretrain import ensure_base_model
    from rlvr.training.train import Preempted, train

    print(f"[1/5] base model: {ensure_base_model(cfg)}", flush=True)
    print("[2/5] GRPO training with log-spaced held-out evaluation", flush=True)
    try:
        run_dir = train(cfg, overrides)
    except Preempted as stop:
        print(f"rlvr demo: {stop}")
        return stop.exit_code
    print("[3/5] test-time compute at the base model and the final checkpoint", flush=True)
    n = cfg.test_time_samples
    eval_rc = cli_main(["eval", str(run_dir), "--at", "base,final", "--samples", str(n), "--k", test_time_ks(n)])
    print("[4/5] fitting accuracy against RL compute", flush=True)
    fit_rc = cli_main(["fit", str(run_dir)])
    print("[5/5] plotting", flush=True)
    plot_rc = cli_main(["plot", str(run_dir)])
    pngs = sorted(str(p) for p in run_dir.glob("*.png"))
    print(f"\ndone in {time.time() - t0:.0f} s")
    print(f"run folder: {run_dir}")
    print(f"fit:        {run_dir / 'fit.json'}" + ("" if fit_rc == 0 else "  (fit failed, see above)"))
    print("plots:      " + ("\n            ".join(pngs) if pngs else "(none written, see above)"))
    return 0 if fit_rc == 0 and plot_rc == 0 and eval_rc == 0 else 1
