"""Where a GRPO run's time goes: one table of phases (generation, reward, loss forward/backward, optimizer, ...).

    .venv/bin/python bench/profile_step.py configs/demo.yaml [--steps N] [--plain] [--set key=value ...]

Runs `rlvr train` on the config (in a temporary run folder, the base model from the cache) with timers around
TRL's and transformers' own methods, and prints one Markdown table: per phase, the seconds of the whole run, the
milliseconds per step and the share of the step loop. Times are *exclusive*: a phase nested in another (the reward
inside TRL's batch scoring, the evaluation inside logging) is counted once, in the inner phase.

Phases, by the method timed:

| phase | what |
|---|---|
| generation | `GRPOTrainer._generate_single_turn` (transformers `generate` of the step's completions) |
| reward | `GRPOTrainer._calculate_rewards` (the verifier, the sandbox for code) |
| batch scoring | the rest of `_generate_and_score_completions`: tokenising, decoding, old log-probs, advantages |
| loss forward | `GRPOTrainer.compute_loss` |
| backward | `Accelerator.backward` |
| optimizer | gradient clipping and `AcceleratedOptimizer.step` |
| logging | `GRPOTrainer.log` and the callbacks it runs (metrics.jsonl, the ledger), less the evaluation |
| evaluation | the log-spaced evaluator (`LogSpacedEvaluator._run`) |
| checkpoint | `Trainer._save_checkpoint` |
| other | the step loop's remaining time (data loader, scheduler, callbacks between phases) |

``--plain`` turns every speed option off (`rlvr.training.speed.PLAIN`), the path before issue 21. ``--steps``
defaults to the config's ``max_steps`` (the whole run, so the evaluation share is the real one). Wall time: run it
on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PHASES = ("generation", "reward", "batch scoring", "loss forward", "backward", "optimizer", "logging", "evaluation",
          "checkpoint", "other")


class PhaseTimer:
    """Exclusive wall time per phase: time spent in a nested phase is not counted in its parent."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list] = []  # [phase, start, children_seconds]

    @contextlib.contextmanager
    def phase(self, name: str):
        self._stack.append([name, time.perf_counter(), 0.0])
        try:
            yield
        finally:
            phase, start, children = self._stack.pop()
            elapsed = time.perf_counter() - start
            self.seconds[phase] += elapsed - children
            self.calls[phase] += 1
            if self._stack:
                self._stack[-1][2] += elapsed

    def wrap(self, owner, attr: str, name: str) -> None:
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            with self.phase(name):
                return original(*args, **kwargs)

        setattr(owner, attr, timed)


def install(timer: PhaseTimer) -> None:
    """Wrap the methods of the table above (class attributes, so the trainer `rlvr train` builds is timed)."""
    from accelerate import Accelerator
    from accelerate.optimizer import AcceleratedOptimizer
    from transformers import Trainer
    from trl import GRPOTrainer

    from rlvr.training.eval_schedule import LogSpacedEvaluator

    timer.wrap(GRPOTrainer, "train", "other")  # the root: what no inner phase claims
    timer.wrap(GRPOTrainer, "_generate_and_score_completions", "batch scoring")
    timer.wrap(GRPOTrainer, "_generate_single_turn", "generation")
    timer.wrap(GRPOTrainer, "_calculate_rewards", "reward")
    timer.wrap(GRPOTrainer, "compute_loss", "loss forward")
    timer.wrap(Accelerator, "backward", "backward")
    timer.wrap(Accelerator, "clip_grad_norm_", "optimizer")
    timer.wrap(AcceleratedOptimizer, "step", "optimizer")
    timer.wrap(GRPOTrainer, "log", "logging")
    timer.wrap(LogSpacedEvaluator, "_run", "evaluation")
    timer.wrap(Trainer, "_save_checkpoint", "checkpoint")


def table(timer: PhaseTimer, steps: int) -> str:
    total = sum(timer.seconds[p] for p in PHASES)
    lines = ["| phase | seconds | ms per step | share |", "|---|---:|---:|---:|"]
    for p in PHASES:
        s = timer.seconds[p]
        lines.append(f"| {p} | {s:.2f} | {1000 * s / steps:.1f} | {100 * s / total:.1f}% |")
    lines.append(f"| **step loop** | **{total:.2f}** | **{1000 * total / steps:.1f}** | 100% |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("--steps", type=int, default=None, help="GRPO steps (default: the config's max_steps)")
    parser.add_argument("--plain", action="store_true", help="every speed option off (the path before issue 21)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="extra config override, e.g. --set gen_threads=1 (repeatable)")
    args = parser.parse_args()

    from rlvr.config import load_config
    from rlvr.training.speed import PLAIN
    from rlvr.training.train import train

    overrides = []
    if args.steps:
        overrides += ["--max_steps", str(args.steps)]
    if args.plain:
        for key, value in PLAIN.items():
            overrides += [f"--{key}", str(value)]
    for item in args.set:
        key, _, value = item.partition("=")
        overrides += [f"--{key}", value]
    timer = PhaseTimer()
    install(timer)
    with tempfile.TemporaryDirectory(prefix="rlvr-profile-") as tmp:
        cfg, _ = load_config(args.config, overrides + ["--run_dir", str(Path(tmp) / "run")])
        t0 = time.perf_counter()
        train(cfg)
        wall = time.perf_counter() - t0
    mode = "plain" if args.plain else "default"
    print(f"\n{args.config}, {cfg.max_steps} steps, {mode} path{' ' + ' '.join(args.set) if args.set else ''}: "
          f"`rlvr train` {wall:.1f} s in all (set-up and summary included)\n")
    print(table(timer, cfg.max_steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
