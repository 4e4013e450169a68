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


def run(args: argparse.Namespace) -> int:
    from verifiers import get_verifier

    if (args.input is None) == (args.config is None):
        raise ValueError("give either --input FILE.jsonl or --config CONFIG.yaml")
    if args.config:
        from rlvr.config import load_config

        cfg, _ = load_config(args.config)
        verifier = get_verifier(cfg.verifier)
        if cfg.task == "dataset":
            from rlvr.data import load_rows

            rows = [(i + 1, r["reference"]) for i, r in enumerate(load_rows(cfg, cfg.dataset_train_split))]
        else:
            from rlvr.tasks import get_task

            train, held = get_task(cfg.task).splits(cfg)
            rows = [(i + 1, r["reference"]) for i, r in enumerate(train + held)]
    else:
        verifier = get_verifier(args.verifier)
        rows = []
        with open(args.input, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rows.append((number, json.loads(line)[args.reference_key]))
                except (json.JSONDecodeError, KeyError, TypeError) as err:
                    rows.append((number, f"<unreadable line: {type(err).__name__}>"))
    bad = []
    try:
        for number, ref in rows:
            reason = verifier.check_reference(ref) if isinstance(ref, str) and not ref.startswith("<unreadable") \
                else (ref if isinstance(ref, str) else f"reference is {type(ref).__name__}, not text")
            if reason is not None:
                bad.append((number, ref, reason))
                print(f"line {number}: {str(ref)[:80]!r}: {reason}")
    finally:
        verifier.close()
    print(f"{len(rows) - len(bad)}/{len(rows)} references usable by the {verifier.name!r} verifier")
    return 1 if bad else 0
