"""Training and held-out datasets for GRPO, from a procedural task or from real data.

    train_ds, heldout_ds = build_datasets(cfg, verifier)   # datasets.Dataset with prompt / question / reference

- ``task: add`` (or any registered procedural task): rows from `rlvr.tasks`.
- ``task: dataset``: `cfg.dataset_path` is a local ``.jsonl`` / ``.json`` file (datasets' json builder) or a
  Hugging Face dataset name or folder (``datasets.load_dataset(name, cfg.dataset_config)``: the ordinary path,
  which needs the hub for a name; a local folder holding train.jsonl and test.jsonl gives two splits). Columns
  are mapped with `question_column` / `answer_column`; `answer_regex` (group 1, searched line by line) extracts
  the reference from a worked answer (GSM8K: ``'####\\s*(.+)$'``). The
  held-out set is the first `heldout_size` rows of `dataset_eval_split`, or else the last `heldout_size` rows of
  the training split (then removed from training).

The prompt is ``prompt_template.format(question=...)``, or a one-message chat list ``[{"role": "user", ...}]``
when `use_chat_template` (TRL then applies the tokenizer's chat template).

Building fails fast, before any model is loaded, with a `UserError` when a column is missing, a split is empty, a
question is empty, `answer_regex` finds nothing, or any reference is rejected by the verifier's
`check_reference`: training on references that cannot be scored would hand TRL masked or wrong rewards. The error
counts the bad rows, quotes the first few (row index, value, reason) and says how to fix them. With a tokenizer
and `max_prompt_length` set, prompts longer than that many tokens are rejected the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

from rlvr.config import ExperimentConfig
from rlvr.errors import UserError

__all__ = ["build_datasets", "load_rows", "format_prompt"]

_SHOWN = 5  # bad rows quoted in an error message


def format_prompt(cfg: ExperimentConfig, question: str):
    """The prompt of one problem: template text, or a one-message chat list when `use_chat_template`."""
    text = cfg.prompt_template.format(question=question)
    return [{"role": "user", "content": text}] if cfg.use_chat_template else text


def _raise_bad(bad: list[tuple[int, object, str]], total: int, what: str, fix: str) -> None:
    if bad:
        shown = "; ".join(f"row {i}: {str(value)[:80]!r} ({reason})" for i, value, reason in bad[:_SHOWN])
        more = f" (first {_SHOWN} shown)" if len(bad) > _SHOWN else ""
        raise UserError(f"{len(bad)} of {total} {what}{more}: {shown}. {fix}")


def _load_split(cfg: ExperimentConfig, split: str):
    """One split of the configured dataset as a `datasets.Dataset` (UserError when it cannot be read)."""
    import datasets
    from datasets.exceptions import DatasetGenerationError

    path = cfg.dataset_path
    if not path:
        raise UserError("task 'dataset' needs dataset_path: a local .jsonl/.json file or a Hugging Face dataset name")
    local = Path(path)
    try:
        if local.suffix in (".jsonl", ".json") or local.is_file():
            if not local.is_file():
                raise UserError(f"dataset_path {path!r} does not exist")
            if not local.read_text(encoding="utf-8", errors="replace").strip():
                raise UserError(f"dataset_path {path!r} is empty; it needs one JSON object per line")
            return datasets.load_dataset("json", data_files={split: str(local)}, split=split)
        return datasets.load_dataset(path, cfg.dataset_config, split=split)
    except UserError:
        raise
    except DatasetGenerationError as err:  # malformed JSON; the parser's message is in the cause
        raise UserError(f"could not read {path!r}: {err.__cause__ or err}; fix the file (one JSON object per "
                        "line)") from None
    except (ValueError, OSError) as err:  # unknown split or config, missing file, no hub (ConnectionError)
        raise UserError(f"could not load split {split!r} of dataset {path!r}: {err}") from None


def load_rows(cfg: ExperimentConfig, split: str) -> list[dict]:
    """Rows of `split` of the configured real dataset as {"question", "reference"} (references not yet checked)."""
    ds = _load_split(cfg, split)
    missing = [c for c in (cfg.question_column, cfg.answer_column) if c not in ds.column_names]
    if missing:
        raise UserError(f"dataset {cfg.dataset_path!r} (split {split!r}) has no column(s) {missing}; its columns "
                        f"are {ds.column_names}. Set question_column / answer_column in the config.")
    pattern = re.compile(cfg.answer_regex, re.MULTILINE) if cfg.answer_regex else None
    rows, bad = [], []
    for i, ex in enumerate(ds):
        question, answer = ex[cfg.question_column], ex[cfg.answer_column]
        answer = "" if answer is None else str(answer)
        if question is None or not str(question).strip():
            bad.append((i, question, f"empty {cfg.question_column!r}"))
        if pattern is not None:
            match = pattern.search(answer)
            if match is None or not match.group(1).strip():
                bad.append((i, answer, f"answer_regex {cfg.answer_regex!r} found no reference"))
                continue
            answer = match.group(1).strip()
        rows.append({"question": str(question), "reference": answer})
    _raise_bad(bad, len(ds), f"rows of {cfg.dataset_path!r} (split {split!r}) cannot be used",
               "Fix the regex or the data, or drop these rows.")
    return rows


def _check_references(rows: list[dict], verifier, where: str) -> None:
    bad = []
    for i, row in enumerate(rows):
        reason = verifier.check_reference(row["reference"])
        if reason is not None:
            bad.append((i, row["reference"], reason))
    _raise_bad(bad, len(rows), f"{where} references cannot be scored by the {verifier.name!r} verifier",
               "Fix or drop these rows (`rlvr audit --config CONFIG` lists them all).")


def _check_prompt_lengths(rows: list[dict], cfg: ExperimentConfig, tokenizer, where: str) -> None:
    from rlvr.evaluate import prompt_text

    texts = [prompt_text(tokenizer, format_prompt(cfg, row["question"])) for row in rows]
    lengths = [len(ids) for ids in tokenizer(texts)["input_ids"]]  # with special tokens, as TRL tokenizes
    bad = [(i, row["question"], f"{n} tokens") for i, (row, n) in enumerate(zip(rows, lengths, strict=True))
           if n > cfg.max_prompt_length]
    _raise_bad(bad, len(rows), f"{where} prompts are longer than max_prompt_length={cfg.max_prompt_length} tokens",
               "Raise max_prompt_length or drop these rows.")


def _split_rows(cfg: ExperimentConfig) -> tuple[list[dict], list[dict]]:
    if cfg.task != "dataset":

        return cfg.make_task().splits(cfg)
    if cfg.dataset_eval_split and Path(cfg.dataset_path or "").is_file():
        raise UserError(f"dataset_eval_split={cfg.dataset_eval_split!r} cannot select a split of the single file "
                        f"{cfg.dataset_path!r}; unset it (the last heldout_size rows are held out) or point "
                        "dataset_path to a folder holding train.jsonl and test.jsonl")
    train = load_rows(cfg, cfg.dataset_train_split)
    if cfg.dataset_eval_split:
        return train, load_rows(cfg, cfg.dataset_eval_split)[:cfg.heldout_size]
    if len(train) <= cfg.heldout_size:
        raise UserError(f"dataset {cfg.dataset_path!r} has {len(train)} rows, not more than heldout_size="
                        f"{cfg.heldout_size}; lower heldout_size or set dataset_eval_split")
    return train[:-cfg.heldout_size], train[-cfg.heldout_size:]


def build_datasets(cfg: ExperimentConfig, verifier, tokenizer=None):
    """(train, held-out) `datasets.Dataset`s with columns prompt, question, reference.

        train_ds, heldout_ds = build_datasets(cfg, cfg.make_verifier())
        train_ds[0]   # {"prompt": "12+34=", "question": "12+34=", "reference": "46"}

    `tokenizer` (optional) enables the `max_prompt_length` check.
    """
    import datasets

    train, heldout = _split_rows(cfg)
    for name, rows in (("training", train), ("held-out", heldout)):
        if not rows:
            raise UserError(f"the {name} split is empty; check the dataset and heldout_size")
        _check_references(rows, verifier, name)
        if tokenizer is not None and cfg.max_prompt_length:
            _check_prompt_lengths(rows, cfg, tokenizer, name)
    if len(heldout) < cfg.eval_problems:
        raise UserError(f"eval_problems={cfg.eval_problems} but the held-out split has {len(heldout)} rows; "
                        "lower eval_problems")

    def to_ds(rows: list[dict]):
        return datasets.Dataset.from_list(
            [{"prompt": format_prompt(cfg, r["question"]), "question": r["question"], "reference": r["reference"]}
             for r in rows])

    return to_ds(train), to_ds(heldout)
