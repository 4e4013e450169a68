"""Evaluation at log-spaced RL compute, as a TrainerCallback, of every benchmark of the run.

The base model is evaluated before the first step (``compute_flops: 0``). After that, with C_1 the cumulative RL
compute after the first step, an evaluation is due whenever the compute C enters a new bucket
``floor(points_per_decade * log10(C / C_1))``, so evaluations are evenly spaced in log compute (for a run whose
per-step compute is roughly constant: steps 1, 3, 5, 10, 22, 47, 100, ... at 3 points per decade), plus the final
step. At a due point every benchmark is evaluated (one evals.jsonl row each). The schedule is stateless: it is
re-derived from evals.jsonl per benchmark, so a resumed run neither repeats nor skips an evaluation, and a
(step, benchmark) that already has a row is never evaluated twice. A checkpoint is saved at every evaluation,
which keeps evals.jsonl and the newest checkpoint in step. `summary()` gives summary.json's evaluation figures,
per benchmark, with the evaluation's share of the run's wall time.
"""

from __future__ import annotations

import logging
import math
import time

from transformers import TrainerCallback

from rlvr.runfolder.folder import EVALS, RunFolder
from rlvr.runfolder.jsonl import latest_per_key

__all__ = ["log_bucket", "LogSpacedEvaluator", "make_evaluator"]

logger = logging.getLogger(__name__)


def log_bucket(compute: float, reference: float, points_per_decade: int) -> int:
    """Index of the log-compute bucket of `compute`, relative to `reference` (the first step's compute)."""
    return math.floor(points_per_decade * math.log10(compute / reference) + 1e-9)


class LogSpacedEvaluator(TrainerCallback):
    """Evaluates each benchmark (`rlvr.evaluation.benchmarks.Benchmark`) at log-spaced compute, appending evals.jsonl
    rows. `evaluate_fn(bench, model, tokenizer) -> EvalResult` defaults to `rlvr.evaluation.evaluate.evaluate`.
    Must be registered after the compute ledger (it reads ``compute/flops`` from the log).
    """

    def __init__(self, run: RunFolder, benchmarks: list, points_per_decade: int, evaluate_fn=None,
                 is_main: bool = True):
        self.run, self.benchmarks, self.ppd = run, list(benchmarks), points_per_decade
        self.evaluate_fn, self.is_main = evaluate_fn or _evaluate, is_main
        self.row_extra: dict = {}  # stamped on every row: the base model's pretraining compute (`build_trainer`)
        names = {b.name for b in self.benchmarks}
        self.rows = [r for r in latest_per_key(run.read(EVALS), ("step", "benchmark")) if r.get("benchmark") in names]
        self.t_created = time.time()

    def _rows(self, bench: str) -> list[dict]:
        return [r for r in self.rows if r.get("benchmark") == bench]

    def _due(self, bench: str, step: int, flops: float, final: bool) -> bool:
        rows = self._rows(bench)
        if any(r["step"] == step for r in rows) or flops <= 0:
            return False
        trained = [r for r in rows if r["compute_flops"] > 0]
        if final or not trained:
            return True
        reference = min(r["compute_flops"] for r in trained)
        last = max(r["compute_flops"] for r in trained)
        return log_bucket(flops, reference, self.ppd) > log_bucket(last, reference, self.ppd)

    def _run(self, bench, step: int, flops: float, model, tokenizer) -> dict:
        if not self.is_main:  # only rank 0 evaluates and writes; the other ranks keep the same schedule state
            row = {"step": step, "compute_flops": flops, "benchmark": bench.name}
            self.rows.append(row)
            return row
        result = self.evaluate_fn(bench, model, tokenizer)
        row = result.row(step=step, compute_flops=flops, benchmark=bench.name, ks=bench.ks)
        row.update(self.row_extra)
        self.run.append(EVALS, row)
        self.rows.append(row)
        k_text = " ".join(f"pass@{k}={v:.3f}" for k, v in row["pass@k"].items())
        maj = row.get("maj@k") or {}
        k_text += "".join(f" maj@{k}={v:.3f}" for k, v in maj.items() if v is not None)
        logger.info("eval %s step %d compute %.3g FLOPs: pass@1=%.3f %s (%.1fs)", bench.name, step, flops,
                    row["pass@1"], k_text, row["eval_seconds"])
        return row

    def summary(self, run_seconds: float | None = None) -> dict:
        """The evaluation figures of summary.json: the first benchmark's at top level (as before), every
        benchmark's under ``benchmarks``, and the evaluation seconds and share of `run_seconds` (this attempt's
        wall time; default: since this callback was made)."""
        per = {}
        for bench in self.benchmarks:
            evals = sorted(self._rows(bench.name), key=lambda r: r["step"])
            base = next((r for r in evals if r["compute_flops"] == 0), None)
            final = evals[-1] if evals else None
            per[bench.name] = {
                "eval_points": len(evals), "eval_points_trained": sum(r["compute_flops"] > 0 for r in evals),
                "base_pass@1": base["pass@1"] if base else None, "final_pass@1": final["pass@1"] if final else None,
                "base_maj@k": base.get("maj@k") if base else None,
                "final_pass@k": final["pass@k"] if final else None,
                "final_maj@k": final.get("maj@k") if final else None}
        attempt = self.run.attempt
        seconds = sum(r.get("eval_seconds", 0.0) for r in self.rows if r.get("attempt", attempt) == attempt)
        total = run_seconds if run_seconds is not None else time.time() - self.t_created
        first = per[self.benchmarks[0].name] if self.benchmarks else {}
        return {**{k: v for k, v in first.items() if k in ("eval_points", "eval_points_trained", "base_pass@1",
                                                            "final_pass@1", "final_pass@k")},
                "benchmarks": per, "eval_seconds_this_attempt": round(seconds, 1),
                "eval_fraction_of_run_time": round(seconds / total, 4) if total > 0 else None}

    # Every rank takes the same decisions (the compute in the logs is the same on every rank): a checkpoint save is a
    # collective operation, so a save decided on rank 0 alone crashes gloo (and would hang NCCL).
    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        if state.global_step != 0:
            return
        for bench in self.benchmarks:
            if not any(r["compute_flops"] == 0 for r in self._rows(bench.name)):
                self._run(bench, 0, 0.0, model, processing_class)

    def on_log(self, args, state, control, logs=None, model=None, processing_class=None, **kwargs):
        if not logs or "compute/flops" not in logs:
            return
        step, flops = state.global_step, float(logs["compute/flops"])
        ran = False
        for bench in self.benchmarks:
            if self._due(bench.name, step, flops, final=step >= state.max_steps):
                self._run(bench, step, flops, model, processing_class)
                ran = True
        if ran:
            control.should_save = True  # keep a checkpoint at every evaluated point


def _evaluate(bench, model, tokenizer):
    from rlvr.evaluation.evaluate import evaluate

    return evaluate(model, tokenizer, bench.rows, bench.verifier, bench.settings, bench.subset_field)


def make_evaluator(cfg, run, verifier, train_ds, heldout_ds, is_main: bool = True):
    """The training-time evaluator callback (log-spaced in RL compute) of the run's benchmarks."""
    from rlvr.evaluation.benchmarks import build_benchmarks

    benches = build_benchmarks(cfg, verifier, heldout_ds, train_ds)
    return LogSpacedEvaluator(run, benches, points_per_decade=cfg.eval_points_per_decade, is_main=is_main)
