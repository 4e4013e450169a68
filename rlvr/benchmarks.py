"""Benchmarks: what a run evaluates, built in one place for `rlvr train` and `rlvr eval`.

    benches = build_benchmarks(cfg, verifier, heldout_ds)      # [Benchmark(name="add_heldout", rows=[...]), ...]
    result = evaluate(model, tokenizer, bench.rows, bench.verifier, bench.settings)

A benchmark is a held-out set never trained on: its rows (``prompt``, ``reference``), the verifier that scores
them, the sampling settings and the k values of pass@k. Today a run has one: the held-out split of its training
task (``<task>_heldout``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rlvr.config import ExperimentConfig
from rlvr.evaluate import EvalSettings

__all__ = ["Benchmark", "build_benchmarks", "eval_settings", "heldout_name", "make_evaluator"]


@dataclass
class Benchmark:
    name: str
    rows: list[dict]
    verifier: object
    settings: EvalSettings
    ks: tuple[int, ...]


def heldout_name(cfg: ExperimentConfig) -> str:
    return f"{cfg.task}_heldout"


def eval_settings(cfg: ExperimentConfig, samples: int | None = None) -> EvalSettings:
    """Sampling settings of an evaluation (`samples` overrides eval_samples_per_problem)."""
    return EvalSettings(samples_per_problem=samples or cfg.eval_samples_per_problem, temperature=cfg.eval_temperature,
                        top_p=1.0, max_new_tokens=cfg.eval_max_new_tokens or cfg.max_completion_length,
                        batch_size=cfg.eval_batch_size, seed=cfg.seed, workers=cfg.reward_workers)


def build_benchmarks(cfg: ExperimentConfig, verifier, heldout_ds, problems: int | None = None,
                     samples: int | None = None) -> list[Benchmark]:
    """The run's benchmarks: the first `problems` (default eval_problems) rows of the held-out split."""
    settings = eval_settings(cfg, samples)
    n = min(problems or cfg.eval_problems, len(heldout_ds))
    ks = tuple(k for k in cfg.eval_k if k <= settings.samples_per_problem)
    return [Benchmark(heldout_name(cfg), [heldout_ds[i] for i in range(n)], verifier, settings, ks)]


def make_evaluator(cfg: ExperimentConfig, run, verifier, train_ds, heldout_ds, is_main: bool = True):
    """The training-time evaluator callback (log-spaced in RL compute) of the run's benchmarks."""
    from rlvr.eval_schedule import LogSpacedEvaluator
    from rlvr.evaluate import evaluate

    (bench,) = build_benchmarks(cfg, verifier, heldout_ds)
    return LogSpacedEvaluator(
        run, benchmark=bench.name, points_per_decade=cfg.eval_points_per_decade, ks=bench.ks,
        evaluate_fn=lambda m, tok: evaluate(m, tok, bench.rows, bench.verifier, bench.settings), is_main=is_main)
