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

__all__ = ["build_datasets", "load_rows", "format_prompt", "prompt_limit", "long_prompts", "check_text_file"]

_SHOWN = 5  # bad rows quoted in an error message


def format_prompt(cfg: ExperimentConfig, question: str):
    """The prompt of one problem: template text, or a one-message chat list when `use_chat_template`."""
    text = cfg.prompt_template.format(question=question)
    return [{"role": "user", "content": text}] if cfg.use_chat_template else text


def _raise_bad(bad: list[tuple[int, object, str]], total: int, what: str, fix: str) -> None:
    if bad:
        shown = "; ".join(f"row {i}: {str(value)[:80]!r} ({reason})" for i, value, reason in bad[:_SHOWN])  # 1-based
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
            if local.is_dir():
                raise UserError(f"dataset_path {path!r} is a folder; give a .jsonl file, or a dataset folder "
                                "without a .jsonl/.json suffix")
            if not local.is_file():
                raise UserError(f"dataset_path {path!r} does not exist")
            check_text_file(local)
            return datasets.load_dataset("json", data_files={split: str(local)}, split=split)
        return datasets.load_dataset(path, cfg.dataset_config, split=split)
    except UserError:
        raise
    except DatasetGenerationError as err:  # malformed JSON; the parser's message is in the cause
        raise UserError(f"could not read {path!r}: {err.__cause__ or err}; fix the file (one JSON object per "
                        "line)") from None
    except (ValueError, OSError) as err:  # unknown split or config, missing file, no hub (ConnectionError)
        raise UserError(f"could not load split {split!r} of dataset {path!r}: {err}") from None


def check_text_file(path: Path) -> None:
    """UserError naming the file and line when a data file is empty or not UTF-8 (read in binary, line by line,
    before any parser sees it)."""
    lines = 0
    try:
        with open(path, "rb") as fh:
            for number, raw in enumerate(fh, 1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    raise UserError(f"{path}: line {number} is not UTF-8 (byte {err.start + 1}: "
                                    f"{raw[err.start:err.start + 1]!r}); re-encode the file as UTF-8") from None
                lines += bool(raw.strip())
    except OSError as err:
        raise UserError(f"cannot read {path}: {err.strerror or err}") from None
    if not lines:
        raise UserError(f"{path} is empty; it needs one JSON object per line")


def load_rows(cfg: ExperimentConfig, split: str, collect: list | None = None) -> list[dict]:
    """Rows of `split` of the configured real dataset as {"question", "reference"} (references not yet checked).

    With `collect` (a list), unusable rows are appended to it as (1-based row, value, reason) instead of raising,
    so `rlvr audit` can list them all."""
    ds = _load_split(cfg, split)
    missing = [c for c in (cfg.question_column, cfg.answer_column) if c not in ds.column_names]
    if missing:
        raise UserError(f"dataset {cfg.dataset_path!r} (split {split!r}) has no column(s) {missing}; its columns "
                        f"are {ds.column_names}. Set question_column / answer_column in the config.")
    pattern = re.compile(cfg.answer_regex, re.MULTILINE) if cfg.answer_regex else None
    rows, bad = [], []
    for i, ex in enumerate(ds, 1):
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
    if collect is not None:
        collect.extend(bad)
        return rows
    _raise_bad(bad, len(ds), f"rows of {cfg.dataset_path!r} (split {split!r}) cannot be used",
               "Fix the regex or the data, or drop these rows.")
    return rows


def _check_references(rows: list[dict], verifier, where: str) -> None:
    bad = []
    for i, row in enumerate(rows, 1):
        reason = verifier.check_reference(row["reference"])
        if reason is not None:
            bad.append((i, row["reference"], reason))
    _raise_bad(bad, len(rows), f"{where} references cannot be scored by the {verifier.name!r} verifier",
               "Fix or drop these rows (`rlvr audit --config CONFIG` lists them all).")


def prompt_limit(cfg: ExperimentConfig, max_positions: int | None) -> int | None:
    """The longest prompt in tokens: max_prompt_length if set, and never more than the model's positions minus
    max_completion_length (a longer prompt cannot be generated from)."""
    room = max_positions - cfg.max_completion_length if max_positions else None
    limits = [n for n in (cfg.max_prompt_length, room) if n]
    return min(limits) if limits else None


def long_prompts(rows: list[dict], cfg: ExperimentConfig, tokenizer, limit: int) -> list[tuple[int, object, str]]:
    """(1-based row, question, reason) of every prompt longer than `limit` tokens.

    A prompt of more than 8 characters per allowed token is refused from its length alone, without tokenizing it
    (no tokenizer makes a token of more than a few characters of ordinary text), so a 10 MB row costs nothing."""
    from rlvr.evaluation.evaluate import prompt_text

    bad, candidates = [], []
    for i, row in enumerate(rows, 1):
        question = row["question"]
        if len(question) > 8 * limit:
            bad.append((i, question, f"{len(question):,} characters"))
        else:
            candidates.append((i, question, prompt_text(tokenizer, format_prompt(cfg, question))))
    if candidates:
        lengths = [len(ids) for ids in tokenizer([t for _, _, t in candidates])["input_ids"]]  # as TRL tokenizes
        bad += [(i, q, f"{n} tokens") for (i, q, _), n in zip(candidates, lengths, strict=True) if n > limit]
    return sorted(bad, key=lambda b: b[0])


def _check_prompt_lengths(rows: list[dict], cfg: ExperimentConfig, tokenizer, limit: int, where: str) -> None:
    _raise_bad(long_prompts(rows, cfg, tokenizer, limit), len(rows),
               f"{where} prompts are longer than the limit of {limit} tokens (max_prompt_length, or the model's "
               f"positions minus max_completion_length={cfg.max_completion_length})",
               "Raise max_prompt_length (within the model's positions) or drop these rows.")


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


def build_datasets(cfg: ExperimentConfig, verifier, tokenizer=None, max_positions: int | None = None):
    """(train, held-out) `datasets.Dataset`s with columns prompt, question, reference.

        train_ds, heldout_ds = build_datasets(cfg, cfg.make_verifier())
        train_ds[0]   # {"prompt": "12+34=", "question": "12+34=", "reference": "46"}

    `tokenizer` (optional) enables the prompt-length check against `prompt_limit(cfg, max_positions)`.
    """
    import datasets

    train, heldout = _split_rows(cfg)
    limit = prompt_limit(cfg, max_positions)
    for name, rows in (("training", train), ("held-out", heldout)):
        if not rows:
            raise UserError(f"the {name} split is empty; check the dataset and heldout_size")
        if tokenizer is not None and limit:  # first: a huge prompt must not reach the verifier or the tokenizer
            _check_prompt_lengths(rows, cfg, tokenizer, limit, name)
        _check_references(rows, verifier, name)
    if len(heldout) < cfg.eval_problems:
        raise UserError(f"eval_problems={cfg.eval_problems} but the held-out split has {len(heldout)} rows; "
                        "lower eval_problems")

    def to_ds(rows: list[dict], extra: bool):
        # Held-out rows keep their other keys (e.g. a difficulty level that benchmarks report subsets by).
        return datasets.Dataset.from_list(
            [{**({k: v for k, v in r.items() if k not in ("question", "reference")} if extra else {}),
              "prompt": format_prompt(cfg, r["question"]), "question": r["question"], "reference": r["reference"]}
             for r in rows])

    return to_ds(train, False), to_ds(heldout, True)
