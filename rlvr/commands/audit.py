"""Check every reference of a dataset before training on it.

    rlvr audit --input data.jsonl [--reference-key answer] [--verifier math]
    rlvr audit --config configs/gsm8k_qwen.yaml          # the config's dataset, after column mapping

Lists each reference the verifier cannot score completely (line, value, reason). Exit 0 when all are usable,
1 when some are not, 2 when the input cannot be read.
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


def run(args: argparse.Namespace) -> int:
    from verifiers import get_verifier

    if (args.input is None) == (args.config is None):
        raise ValueError("give either --input FILE.jsonl or --config CONFIG.yaml")
    if args.config:
        from rlvr.config import load_config

        cfg, _ = load_config(args.config)
        verifier = cfg.make_verifier()
        if cfg.task == "dataset":
            from rlvr.data import load_rows

            rows = [(i + 1, r["reference"]) for i, r in enumerate(load_rows(cfg, cfg.dataset_train_split))]
        else:

            train, held = cfg.make_task().splits(cfg)
            rows = [(i + 1, r["reference"]) for i, r in enumerate(train + held)]
    else:
        verifier = get_verifier(args.verifier)
        rows = _read_references(args.input, args.reference_key)
    bad = []
    try:
        for number, ref in rows:
            reason = ref.reason if isinstance(ref, _Unreadable) else verifier.check_reference(ref)
            if reason is not None:
                bad.append((number, ref, reason))
                shown = "<line not readable>" if isinstance(ref, _Unreadable) else repr(str(ref)[:80])
                print(f"line {number}: {shown}: {reason}")
    finally:
        verifier.close()
    print(f"{len(rows) - len(bad)}/{len(rows)} references usable by the {verifier.name!r} verifier")
    return 1 if bad else 0
