"""Score completions against references with a registered verifier.

    rlvr verify --verifier math --completion 'so \\boxed{4}' --reference 4      # prints one JSON object
    rlvr verify --verifier code --input pairs.jsonl --output verdicts.jsonl --workers 4

With --input, each line is a JSON object with "completion" and "reference" (a number is read as its text); each
output line has "reward", "status" and "detail", in input order, one per input line. A malformed line (bad JSON,
a missing key, a blank line) gives an output line with reward null and status "bad_input" and the file goes on.
The exit status is 0 once the input was read, whatever the rewards; 2 when the
input cannot be read or the verifier name is unknown.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verifier", required=True, help="registered verifier name, e.g. math or code")
    parser.add_argument("--completion", help="one completion (with --reference)")
    parser.add_argument("--reference", help="its reference")
    parser.add_argument("--input", help="JSONL file of {completion, reference} objects ('-' for stdin)")
    parser.add_argument("--output", help="JSONL file for the verdicts ('-' or omitted: stdout)")
    parser.add_argument("--workers", type=int, default=1, help="parallel workers for the batch path")


def _read_pairs(path: str) -> tuple[list, list[str | None]]:
    """(pairs, error per line). A bad line keeps its place with a placeholder pair and an error message."""
    try:
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as err:  # missing, a directory, no permission: one line and exit 2, no traceback
        raise ValueError(f"cannot read --input {path!r}: {err.strerror or err}") from None
    pairs, errors = [], []
    with stream:
        for number, line in enumerate(stream, 1):
            try:
                obj = json.loads(line)
                completion, reference = obj["completion"], obj["reference"]
                if isinstance(reference, int | float) and not isinstance(reference, bool):
                    reference = str(reference)  # GSM8K-style numeric answers
                if not isinstance(completion, str) or not isinstance(reference, str):
                    raise TypeError("completion and reference must be strings")
                pairs.append((completion, reference))
                errors.append(None)
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                pairs.append(None)
                errors.append(f"line {number}: {type(err).__name__}: {err}")
    return pairs, errors


def run(args: argparse.Namespace) -> int:
    from verifiers import get_verifier

    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    single = args.completion is not None or args.reference is not None
    if single == (args.input is not None) or (single and (args.completion is None or args.reference is None)):
        raise ValueError("give either --completion TEXT --reference REF, or --input FILE.jsonl")
    verifier = get_verifier(args.verifier)
    try:
        if single:
            print(json.dumps(verifier.verify(args.completion, args.reference).to_dict(), ensure_ascii=False))
            return 0
        pairs, errors = _read_pairs(args.input)
        good = [p for p in pairs if p is not None]
        verdicts = iter(verifier.verify_batch(good, workers=args.workers))
        out = sys.stdout if args.output in (None, "-") else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
        with out if out is not sys.stdout else _NoClose(out) as fh:
            for pair, error in zip(pairs, errors, strict=True):
                row = ({"reward": None, "status": "bad_input", "detail": error} if pair is None
                       else next(verdicts).to_dict())
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        verifier.close()
    return 0


class _NoClose:
    def __init__(self, fh):
        self.fh = fh

    def __enter__(self):
        return self.fh

    def __exit__(self, *exc):
        self.fh.flush()
