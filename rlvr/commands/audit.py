"""Check every reference of a dataset before training on it.

    rlvr audit --input data.jsonl [--reference-key answer] [--verifier math]
    rlvr audit --config configs/gsm8k_qwen.yaml          # the config's dataset, after column mapping

Lists every reference the verifier cannot score completely, and (with --config) every row `rlvr train` would
refuse: a missing question, an answer_regex miss, a prompt longer than the model can take (line or row, value,
reason; numbered from 1, as in train's errors). Exit 0 when all are usable, 1 when some are not or there are no
rows at all, 2 when the input cannot be read.
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", help="JSONL file with one object per line")
    parser.add_argument("--reference-key", default="answer", help="key holding the reference (default: answer)")
    parser.add_argument("--verifier", default="math", help="verifier that will score the references")
    parser.add_argument("--config", help="audit the dataset of this experiment config instead of --input")


class _Unreadable:
    """A line whose reference could not be read (bad JSON, missing key, not text)."""

    def __init__(self, reason: str):
        self.reason = reason


def _read_references(path: str, key: str) -> list[tuple[int, object]]:
    """(line number, reference text or _Unreadable) for every non-blank line of a JSONL file."""
    try:
        fh = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as err:  # missing, a directory, no permission: exit 2 with one line
        raise ValueError(f"cannot read --input {path!r}: {err.strerror or err}") from None
    rows: list[tuple[int, object]] = []
    with fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                ref = json.loads(line)[key]
            except (json.JSONDecodeError, KeyError, TypeError, IndexError) as err:
                rows.append((number, _Unreadable(f"unreadable line ({type(err).__name__}: {err})")))
                continue
            if isinstance(ref, int | float) and not isinstance(ref, bool):
                ref = str(ref)  # numeric answers are read as their text, as `rlvr verify` does
            rows.append((number, ref if isinstance(ref, str) else _Unreadable(
                f"reference is {type(ref).__name__}, not text")))
    return rows


def _config_rows(cfg) -> tuple[list[tuple[int, object]], list[tuple[int, object, str]]]:
    """(rows as (1-based row, reference), rows train would refuse before checking references)."""
    from rlvr.data import load_rows

    refused: list[tuple[int, object, str]] = []
    if cfg.task == "dataset":
        rows = load_rows(cfg, cfg.dataset_train_split, collect=refused)
    else:
        train, held = cfg.make_task().splits(cfg)
        rows = train + held
    refused += _long_prompts(cfg, rows)
    return [(i, r["reference"]) for i, r in enumerate(rows, 1)], refused


def _long_prompts(cfg, rows: list[dict]) -> list[tuple[int, object, str]]:
    """Prompts over the limit `rlvr train` applies (the tiny model's character tokenizer when no model is named)."""
    from rlvr.data import long_prompts, prompt_limit

    if cfg.model_name_or_path:
        from transformers import AutoConfig, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(cfg.model_name_or_path)
            positions = getattr(AutoConfig.from_pretrained(cfg.model_name_or_path), "max_position_embeddings", None)
        except OSError as err:
            print(f"prompt lengths not checked: cannot load the tokenizer of {cfg.model_name_or_path!r} ({err})")
            return []
    else:
        from rlvr.pretraining.pretrain import MAX_POSITIONS
        from rlvr.pretraining.tokenizer import build_char_tokenizer

        tokenizer, positions = build_char_tokenizer(), MAX_POSITIONS
    limit = prompt_limit(cfg, positions)
    return [(i, q, f"prompt of {n} is over the limit of {limit} tokens")
            for i, q, n in long_prompts(rows, cfg, tokenizer, limit)] if limit else []


def run(args: argparse.Namespace) -> int:
    from verifiers import get_verifier

    if (args.input is None) == (args.config is None):
        raise ValueError("give either --input FILE.jsonl or --config CONFIG.yaml")
    refused: list[tuple[int, object, str]] = []
    if args.config:
        from rlvr.config import load_config

        cfg, _ = load_config(args.config)
        rows, refused = _config_rows(cfg)
        verifier, unit = cfg.make_verifier(), "row"
    else:
        verifier, unit = get_verifier(args.verifier), "line"
        rows = _read_references(args.input, args.reference_key)
    for number, value, reason in refused:
        print(f"{unit} {number}: {str(value)[:80]!r}: {reason}")
    bad = len(refused)
    try:
        for number, ref in rows:
            reason = ref.reason if isinstance(ref, _Unreadable) else verifier.check_reference(ref)
            if reason is not None:
                bad += 1
                shown = "<line not readable>" if isinstance(ref, _Unreadable) else repr(str(ref)[:80])
                print(f"{unit} {number}: {shown}: {reason}")
    finally:
        verifier.close()
    if not rows:
        print("no rows to audit: the input is empty")
        return 1
    print(f"{len(rows) + len(refused) - bad}/{len(rows) + len(refused)} rows usable by the {verifier.name!r} "
          "verifier" + (f" ({len(refused)} refused before their reference was checked)" if refused else ""))
    return 1 if bad else 0
