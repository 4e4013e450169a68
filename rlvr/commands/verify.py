"""Score completions against references with a registered verifier.

    rlvr verify --verifier math --completion 'so \\boxed{4}' --reference 4
    rlvr verify --verifier code --input pairs.jsonl --output verdicts.jsonl
    rlvr verify --verifier code --input pairs.jsonl --option wall_seconds=10 --option memory_bytes=536870912
    rlvr verify --verifier code --input pairs.jsonl --verifier_options '{"wall_seconds": 10}'

A single pair prints one JSON object. With --input, each line is a JSON object with "completion" and "reference"
(a reference given as a JSON object or list is passed to the verifier as its JSON text, a number as its text);
each output line has "reward", "status" and "detail", in input order, one per input line. A malformed line (bad
JSON, a missing key, a blank line) gives an output line with reward null and status "bad_input" and the file goes
on. --workers defaults to the verifier's own default (code: two per CPU core this process may use), else one per
core. The exit status is 0 once the input was read, whatever the rewards; 2 (with one line on stderr) when the
input cannot be read, the verifier name or an option is unknown or invalid, or the verifier cannot run on this
machine (e.g. the code sandbox without root or user namespaces).
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # keep the examples on their own lines
    parser.add_argument("--verifier", required=True, help="registered verifier name, e.g. math or code")
    parser.add_argument("--completion", help="one completion (with --reference)")
    parser.add_argument("--reference", help="its reference")
    parser.add_argument("--input", help="JSONL file of {completion, reference} objects ('-' for stdin)")
    parser.add_argument("--output", help="JSONL file for the verdicts ('-' or omitted: stdout)")
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel workers for the batch path (default: the verifier's own, e.g. code: two "
                             "per available CPU core; else one per core)")
    parser.add_argument("--verifier_options", default=None, metavar="JSON",
                        help="the verifier's options as a JSON object, e.g. '{\"wall_seconds\": 5}'")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="one verifier option (repeatable; VALUE is read as JSON when it parses, else as text); "
                             "overrides --verifier_options")
    help_text = parser.format_help

    def format_help() -> str:  # the options listing imports every verifier: only when help is asked for
        parser.epilog = _options_epilog()
        return help_text()

    parser.format_help = format_help


def _options_epilog() -> str:
    from verifiers import get_verifier_class, list_verifiers
    from verifiers.options import options_help

    lines = ["verifier options (--option KEY=VALUE or --verifier_options JSON):"]
    for name in list_verifiers():
        try:
            cls = get_verifier_class(name)
        except Exception as err:  # noqa: BLE001 - a broken plug-in must not break --help
            lines.append(f"  {name}: cannot be loaded ({type(err).__name__}: {err})")
            continue
        lines += [f"  {name}:", options_help(cls.Options, indent="    ")]
    return "\n".join(lines)


def _verifier_options(args: argparse.Namespace) -> dict:
    """--verifier_options then each --option, as one mapping (checked by the verifier's own options class)."""
    options: dict = {}
    if args.verifier_options is not None:
        try:
            options = json.loads(args.verifier_options)
        except ValueError as err:
            raise ValueError(f"--verifier_options is not valid JSON ({err}); give an object like "
                             "'{\"wall_seconds\": 5}'") from None
        if not isinstance(options, dict):
            raise ValueError(f"--verifier_options must be a JSON object like '{{\"wall_seconds\": 5}}', "
                             f"got {args.verifier_options!r}")
    for item in args.option:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--option {item!r} must be KEY=VALUE, e.g. --option wall_seconds=5")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        options[key.strip()] = value
    return options


def _prestart_code_sandbox() -> None:
    """Start the code sandbox's launcher (a fresh interpreter) now, so that it starts while this process imports
    the verifiers; the code verifier takes it over (`verifiers/_sandbox/boot.py`, standard library only, loaded
    here without running the package's __init__). Anything that goes wrong is met, and reported, by the verifier."""
    import importlib.util

    name = "verifiers._sandbox.boot"
    spec = importlib.util.find_spec("verifiers")
    if name in sys.modules or spec is None or not spec.submodule_search_locations:
        return
    path = os.path.join(list(spec.submodule_search_locations)[0], "_sandbox", "boot.py")
    boot_spec = importlib.util.spec_from_file_location(name, path)
    if boot_spec is None or not os.path.exists(path):
        return
    boot = importlib.util.module_from_spec(boot_spec)
    sys.modules[name] = boot  # `from verifiers._sandbox import boot` later finds this module, with its launcher
    boot_spec.loader.exec_module(boot)
    boot.prestart()


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
                elif isinstance(reference, dict | list):
                    reference = json.dumps(reference)  # a structured reference (code tests) written inline
                if not isinstance(completion, str) or not isinstance(reference, str):
                    raise TypeError("completion must be a string; reference a string, number, object or list")
                pairs.append((completion, reference))
                errors.append(None)
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                pairs.append(None)
                errors.append(f"line {number}: {type(err).__name__}: {err}")
    return pairs, errors


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    single = args.completion is not None or args.reference is not None
    if single == (args.input is not None) or (single and (args.completion is None or args.reference is None)):
        raise ValueError("give either --completion TEXT --reference REF, or --input FILE.jsonl")
    options = _verifier_options(args)
    if args.verifier == "code":
        _prestart_code_sandbox()

    from verifiers import get_verifier, get_verifier_class

    cls = get_verifier_class(args.verifier)
    if args.workers is not None and "workers" in getattr(cls.Options, "__dataclass_fields__", {}):
        options.setdefault("workers", args.workers)  # e.g. the code sandbox keeps this many judges ready
    verifier = get_verifier(args.verifier, **options)
    workers = args.workers or getattr(verifier, "workers", None)
    if not workers:
        from verifiers.code import available_cores

        workers = available_cores()
    try:
        if single:
            print(json.dumps(verifier.verify(args.completion, args.reference).to_dict(), ensure_ascii=False))
            return 0
        pairs, errors = _read_pairs(args.input)
        good = [p for p in pairs if p is not None]
        try:  # opened before the work, so a bad path costs nothing
            out = sys.stdout if args.output in (None, "-") else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as err:
            raise ValueError(f"cannot write --output {args.output!r}: {err.strerror or err}") from None
        with out if out is not sys.stdout else _NoClose(out) as fh:
            verdicts = iter(verifier.verify_batch(good, workers=workers))
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
