"""Evaluation at log-spaced RL compute, as a TrainerCallback.

The base model is evaluated before the first step (``compute_flops: 0``). After that, with C_1 the cumulative RL
compute after the first step, an evaluation is due whenever the compute C enters a new bucket
``floor(points_per_decade * log10(C / C_1))``, so evaluations are evenly spaced in log compute (for a run whose
per-step compute is roughly constant: steps 1, 3, 5, 10, 22, 47, 100, ... at 3 points per decade), plus the final
step. The schedule is stateless: it is re-derived from evals.jsonl, so a resumed run neither repeats nor skips an
evaluation, and a step that already has a row is never evaluated twice. A checkpoint is saved at every
evaluation, which keeps evals.jsonl and the newest checkpoint in step.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from transformers import TrainerCallback

from rlvr.jsonl import latest_per_key
from rlvr.runfolder import EVALS, RunFolder

__all__ = ["log_bucket", "LogSpacedEvaluator"]

logger = logging.getLogger(__name__)


def log_bucket(compute: float, reference: float, points_per_decade: int) -> int:
    """Index of the log-compute bucket of `compute`, relative to `reference` (the first step's compute)."""
    return math.floor(points_per_decade * math.log10(compute / reference) + 1e-9)


class LogSpacedEvaluator(TrainerCallback):
    """Runs `evaluate_fn(model, tokenizer) -> EvalResult` at log-spaced compute and appends evals.jsonl rows.

    Must be registered after the compute ledger (it reads ``compute/flops`` from the log).
    """

    def __init__(self, run: RunFolder, benchmark: str, points_per_decade: int, ks: tuple[int, ...],
                 evaluate_fn: Callable, is_main: bool = True):
        self.run = run
        self.benchmark, self.ppd, self.ks = benchmark, points_per_decade, tuple(ks)
        self.evaluate_fn, self.is_main = evaluate_fn, is_main
        self.rows = [r for r in latest_per_key(run.read(EVALS), ("step", "benchmark"))
                     if r.get("benchmark") == benchmark]

    def _has_step(self, step: int) -> bool:
        return any(r["step"] == step for r in self.rows)

    def _due(self, step: int, flops: float, final: bool) -> bool:
        if self._has_step(step) or flops <= 0:
            return False
        trained = [r for r in self.rows if r["compute_flops"] > 0]
        if final or not trained:
            return True
        reference = min(r["compute_flops"] for r in trained)
        last = max(r["compute_flops"] for r in trained)
        return log_bucket(flops, reference, self.ppd) > log_bucket(last, reference, self.ppd)

    def _run(self, step: int, flops: float, model, tokenizer) -> dict:
        if not self.is_main:  # only rank 0 evaluates and writes; the others keep the same schedule state
            row = {"step": step, "compute_flops": flops}
            self.rows.append(row)
            return row
        result = self.evaluate_fn(model, tokenizer)
        row = result.row(step=step, compute_flops=flops, benchmark=self.benchmark, ks=self.ks)
        self.run.append(EVALS, row)
        self.rows.append(row)
        k_text = " ".join(f"pass@{k}={v:.3f}" for k, v in row["pass@k"].items())
        logger.info("eval step %d compute %.3g FLOPs: pass@1=%.3f %s (%.1fs)", step, flops, row["pass@1"], k_text,
                    row["eval_seconds"])
        return row

    def summary(self) -> dict:
        """The evaluation figures of summary.json."""
        evals = sorted(self.rows, key=lambda r: r["step"])
        base = next((r for r in evals if r["compute_flops"] == 0), None)
        final = evals[-1] if evals else None
        return {"eval_points": len(evals), "eval_points_trained": sum(r["compute_flops"] > 0 for r in evals),
                "base_pass@1": base["pass@1"] if base else None, "final_pass@1": final["pass@1"] if final else None,
                "final_pass@k": final["pass@k"] if final else None}

    # Every rank decides the same way (the compute in the logs is the same on every rank): a checkpoint save is a
    # collective operation, so a save decided on rank 0 alone would deadlock NCCL or crash gloo.
    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        if not any(r["compute_flops"] == 0 for r in self.rows) and state.global_step == 0:
            self._run(0, 0.0, model, processing_class)

    def on_log(self, args, state, control, logs=None, model=None, processing_class=None, **kwargs):
        if not logs or "compute/flops" not in logs:
            return
        step, flops = state.global_step, float(logs["compute/flops"])
        if self._due(step, flops, final=step >= state.max_steps):
            self._run(step, flops, model, processing_class)
            control.should_save = True  # keep a checkpoint at every evaluated point
