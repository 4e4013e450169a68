"""Benchmark specs: what a config knows of its benchmarks, as plain checked data (no rows, no models).

    specs = parse_specs(cfg)     # [BenchmarkSpec(name="add_heldout", source="heldout", ...), ...]

Without the config key `eval_benchmarks` a run has one benchmark, the held-out split of its training task
(``<task>_heldout``). With it, each entry names a benchmark and a source (heldout, task, dataset, humaneval) plus
optional verifier, prompt template, problems, samples, k values and subset field. Every mistake is a one-line
UserError naming the benchmark and the key. The config checks its specs here; `rlvr.evaluation.benchmarks` builds
rows and verifiers from them. This module imports neither the config nor the builder, so it can be read and
tested alone. See docs/benchmarks.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rlvr.errors import UserError
from verifiers.options import OptionError, build_options, option

__all__ = ["BenchmarkSpec", "SOURCES", "heldout_name", "parse_specs", "subset_value", "verifier_name"]

SOURCES = ("heldout", "task", "dataset", "humaneval")


@dataclass(frozen=True)
class BenchmarkSpec:
    """One entry of `eval_benchmarks` (unset values fall back to the run's eval_* keys)."""

    name: str = option("", "the benchmark's name in evals.jsonl, fit.json and the plots")
    source: str = option("heldout", "heldout (the training task's held-out split), task, dataset or humaneval")
    task: str | None = option(None, "source task: the procedural task (default: the training task)")
    task_options: dict = option({}, "source task: the task's options, e.g. {operand_max: 999}")
    dataset_path: str | None = option(None, "source dataset: a local .jsonl/.json file or a Hugging Face dataset")
    dataset_config: str | None = option(None, "source dataset: Hugging Face config name")
    split: str = option("test", "source dataset: the split to evaluate on")
    question_column: str = option("question", "source dataset: column with the problem text")
    answer_column: str = option("answer", "source dataset: column with the reference answer")
    answer_regex: str | None = option(None, "source dataset: regex whose group 1 extracts the reference")
    verifier: str | None = option(None, "verifier (default: the run's; humaneval: code)")
    verifier_options: dict = option({}, "options of this benchmark's verifier")
    prompt_template: str | None = option(None, "prompt text with '{question}' (default: the run's)")
    problems: int | None = option(None, "problems evaluated (default: eval_problems, at most the rows)", low=1)
    samples: int | None = option(None, "samples per problem (default: eval_samples_per_problem)", low=1)
    k: list[int] | None = option(None, "k values of pass@k and maj@k (default: eval_k up to samples)")
    subset_field: str | None = option(None, "row or metadata key whose values get their own pass@1 (e.g. a level)")
    allow_overlap: bool = option(False, "accept prompts that also occur in the training data")

    @property
    def where(self) -> str:
        return f"eval_benchmarks: benchmark {self.name!r}"


def heldout_name(cfg) -> str:
    return f"{cfg.task}_heldout"


def parse_specs(cfg) -> list[BenchmarkSpec]:
    """The run's benchmark specs, checked (names, keys, types, sources, k <= samples, task and verifier options)."""
    if not cfg.eval_benchmarks:
        return [BenchmarkSpec(name=heldout_name(cfg))]
    specs, seen = [], set()
    for i, entry in enumerate(cfg.eval_benchmarks):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise UserError(f"eval_benchmarks entry {i} has no 'name'; give each benchmark a name: {entry!r}")
        if name in seen:
            raise UserError(f"eval_benchmarks: benchmark name {name!r} is used twice; names must be unique")
        seen.add(name)
        try:
            spec = build_options(BenchmarkSpec, entry, f"eval_benchmarks: benchmark {name!r}")
        except OptionError as err:
            raise UserError(str(err)) from None
        _check_spec(spec, cfg)
        specs.append(spec)
    return specs


def _check_spec(spec: BenchmarkSpec, cfg) -> None:
    if spec.source not in SOURCES:
        raise UserError(f"{spec.where} has unknown source {spec.source!r}; use one of {', '.join(SOURCES)}")
    samples = spec.samples or cfg.eval_samples_per_problem
    bad_k = [k for k in (spec.k or []) if not 1 <= k <= samples]
    if bad_k:
        raise UserError(f"{spec.where}: k {bad_k} larger than its {samples} samples per problem (or below 1); "
                        "lower k or raise samples")
    if spec.prompt_template is not None and "{question}" not in spec.prompt_template:
        raise UserError(f"{spec.where}: prompt_template {spec.prompt_template!r} must contain '{{question}}'")
    if spec.source == "dataset" and not spec.dataset_path:
        raise UserError(f"{spec.where}: source 'dataset' needs dataset_path (a .jsonl file or a dataset name)")
    if spec.source == "task":
        from rlvr.tasks import get_task

        try:
            get_task(spec.task or cfg.task, spec.task_options)
        except ValueError as err:
            raise UserError(f"{spec.where}: {err}") from None
    elif spec.task_options or spec.task:
        raise UserError(f"{spec.where}: task / task_options apply only to source 'task' (source is {spec.source!r})")
    if spec.verifier is not None or spec.verifier_options:
        from verifiers import get_verifier_class

        try:
            cls = get_verifier_class(verifier_name(spec, cfg))
            build_options(cls.Options, spec.verifier_options, f"{spec.where} verifier {cls.name!r}")
        except ValueError as err:
            raise UserError(f"{spec.where}: {err}") from None


def verifier_name(spec: BenchmarkSpec, cfg) -> str:
    return spec.verifier or ("code" if spec.source == "humaneval" else cfg.verifier)


def subset_value(row: dict, field: str):
    """The subset of a row: its `field`, or its metadata's `field`; None when it has neither."""
    if field in row and row[field] is not None:
        return row[field]
    metadata = row.get("metadata")
    if isinstance(metadata, str):  # a JSON column
        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = None
    return metadata.get(field) if isinstance(metadata, dict) else None
