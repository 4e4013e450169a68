"""Training and held-out datasets for GRPO, from a procedural task or from real data.

    train_ds, heldout_ds = build_datasets(cfg, verifier)   # datasets.Dataset with prompt / question / reference

- ``task: add`` (or any registered procedural task): rows from `rlvr.tasks`.
- ``task: dataset``: `cfg.dataset_path` is a local ``.jsonl`` / ``.json`` file (datasets' json builder) or a
  Hugging Face dataset name (`datasets.load_dataset(name, cfg.dataset_config)`: the ordinary path, which needs
  the hub). Columns are mapped with `question_column` / `answer_column`; `answer_regex` (group 1) extracts the
  reference from a worked answer (GSM8K: ``'####\\s*(.+)$'``). The held-out set is `dataset_eval_split`, or the
  last `heldout_size` rows of the training split (then removed from training).

The prompt is ``prompt_template.format(question=...)``, or a one-message chat list when `use_chat_template`.
Building fails fast, before any model is loaded, when a column is missing, a split is empty, or any reference is
rejected by the verifier's `check_reference`: training on references that cannot be scored would hand TRL masked
or wrong rewards. The error lists the first bad rows and how to fix them.
"""

from __future__ import annotations

import re
from pathlib import Path

from rlvr.config import ExperimentConfig
from rlvr.errors import UserError

__all__ = ["build_datasets", "load_rows"]

_SHOWN = 5  # bad rows quoted in an error message


def _format(cfg: ExperimentConfig, question: str):
    text = cfg.prompt_template.format(question=question)
    return [{"role": "user", "content": text}] if cfg.use_chat_template else text


def load_rows(cfg: ExperimentConfig, split: str) -> list[dict]:
    """Rows of `split` of the configured real dataset as {"question", "reference"} (references not yet checked)."""
    import datasets

    path = cfg.dataset_path
    if not path:
        raise UserError("task 'dataset' needs dataset_path: a local .jsonl file or a Hugging Face dataset name")
    try:
        if Path(path).suffix in (".jsonl", ".json") or Path(path).is_file():
            if not Path(path).is_file():
                raise UserError(f"dataset_path {path!r} does not exist")
            ds = datasets.load_dataset("json", data_files={split: str(path)}, split=split)
        else:
            ds = datasets.load_dataset(path, cfg.dataset_config, split=split)
    except (ValueError, FileNotFoundError, ConnectionError) as err:
        if isinstance(err, UserError):
            raise
        raise UserError(f"could not load split {split!r} of dataset {path!r}: {err}") from None
    missing = [c for c in (cfg.question_column, cfg.answer_column) if c not in ds.column_names]
    if missing:
        raise UserError(f"dataset {path!r} has no column(s) {missing}; its columns are {ds.column_names}. "
                        "Set question_column / answer_column in the config.")
    pattern = re.compile(cfg.answer_regex, re.MULTILINE | re.DOTALL) if cfg.answer_regex else None
    rows = []
    for i, ex in enumerate(ds):
        answer = "" if ex[cfg.answer_column] is None else str(ex[cfg.answer_column])
        if pattern is not None:
            match = pattern.search(answer)
            answer = match.group(1).strip() if match else ""
            if not answer:
                raise UserError(f"row {i} of {path!r}: answer_regex {cfg.answer_regex!r} found no reference in "
                                f"{str(ex[cfg.answer_column])[:120]!r}; fix the regex or the data")
        rows.append({"question": str(ex[cfg.question_column]), "reference": answer})
    return rows


def _check_references(rows: list[dict], verifier, where: str) -> None:
    bad = []
    for i, row in enumerate(rows):
        reason = verifier.check_reference(row["reference"])
        if reason is not None:
            bad.append((i, row["reference"], reason))
    if bad:
        shown = "; ".join(f"row {i}: {ref[:80]!r} ({reason})" for i, ref, reason in bad[:_SHOWN])
        raise UserError(f"{len(bad)} of {len(rows)} {where} references cannot be scored by the "
                        f"{verifier.name!r} verifier: {shown}. Fix or drop these rows (`rlvr audit` lists them all).")


def build_datasets(cfg: ExperimentConfig, verifier):
    """(train, held-out) `datasets.Dataset`s with columns prompt, question, reference."""
    import datasets

    if cfg.task == "dataset":
        train = load_rows(cfg, cfg.dataset_train_split)
        if cfg.dataset_eval_split:
            heldout = load_rows(cfg, cfg.dataset_eval_split)[:cfg.heldout_size]
        else:
            if len(train) <= cfg.heldout_size:
                raise UserError(f"dataset has {len(train)} rows, not more than heldout_size={cfg.heldout_size}; "
                                "lower heldout_size or set dataset_eval_split")
            train, heldout = train[:-cfg.heldout_size], train[-cfg.heldout_size:]
    else:
        from rlvr.tasks import get_task

        train, heldout = get_task(cfg.task).splits(cfg)
    for name, rows in (("training", train), ("held-out", heldout)):
        if not rows:
            raise UserError(f"the {name} split is empty; check the dataset and heldout_size")
        _check_references(rows, verifier, name)
    if len(heldout) < cfg.eval_problems:
        raise UserError(f"eval_problems={cfg.eval_problems} but the held-out split has {len(heldout)} rows; "
                        "lower eval_problems")

    def to_ds(rows):
        return datasets.Dataset.from_list(
            [{"prompt": _format(cfg, r["question"]), "question": r["question"], "reference": r["reference"]}
             for r in rows])

    return to_ds(train), to_ds(heldout)
