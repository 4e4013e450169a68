"""The `rlvr` command line: one entry point, one module per sub-command under `rlvr/commands/`.

Only the chosen sub-command's module is imported, so `rlvr verify`, `rlvr fit` and `rlvr plot` start without
paying for torch, transformers or TRL. Each command module exposes ``add_arguments(parser)`` and
``run(args) -> int``. Errors the user can fix (`UserError`, and ValueError/FileNotFoundError raised while reading
their input) are printed as one line and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import sys
import warnings

from rlvr import __version__

# name -> (module, one-line help). Order is the order shown by `rlvr --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("rlvr.commands.demo", "pretrain (or reuse), GRPO-train, evaluate, fit and plot one config end to end"),
    "pretrain": ("rlvr.commands.pretrain", "build the tiny local base model of a config (cached by its settings)"),
    "train": ("rlvr.commands.train", "GRPO run into runs/<id>/; re-running the same command resumes it"),
    "eval": ("rlvr.commands.eval", "held-out benchmark accuracy of a run's newest checkpoint or of a model folder"),
    "fit": ("rlvr.commands.fit", "fit accuracy-vs-RL-compute scaling laws over run folders into fit.json"),
    "plot": ("rlvr.commands.plot", "plot accuracy (and reward) against RL FLOPs for one or more run folders"),
    "verify": ("rlvr.commands.verify", "score completions against references with a registered verifier"),
    "audit": ("rlvr.commands.audit", "check that every reference of a dataset parses before training on it"),
    "sweep": ("rlvr.commands.sweep", "run a grid of configs as separate runs; skips completed ones"),
    "forecast": ("rlvr.commands.forecast", "forecast accuracy at larger RL compute from a run's beginning; "
                                           "--calibrate checks forecasts over runs"),
    "frontier": ("rlvr.commands.frontier", "accuracy against total FLOPs (pretraining + RL + sampling) with the "
                                           "Pareto frontier: which split of a budget wins"),
    "study": ("rlvr.commands.study", "compare a study's conditions: fits, per-level take-off, log-linear span"),
}


def _top_level_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rlvr",
        description="RLVR scaling testbed: GRPO with verifiable rewards, accuracy against RL compute.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n" + "\n".join(f"  {name:<9} {help_}" for name, (_, help_) in COMMANDS.items())
        + "\n\nRun `rlvr COMMAND --help` for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"rlvr {__version__}")
    parser.add_argument("command", choices=list(COMMANDS), metavar="COMMAND", help="one of the commands below")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        parser = _top_level_parser()
        if not argv:
            parser.print_help()
            return 2
        parser.parse_args(argv[:1])  # prints --help/--version, or an "invalid choice" error, and exits
        return 2
    name, rest = argv[0], argv[1:]
    module_name, help_ = COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"rlvr {name}", description=(module.__doc__ or help_).strip())
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Library deprecation chatter (TRL calling renamed transformers APIs) is not actionable for users of rlvr.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|trl)\.")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Writing model shards" bar per checkpoint
    try:
        return int(module.run(args) or 0)
    except BrokenPipeError:  # `rlvr sweep X --list | head -1`: the reader has gone; end quietly, as Unix tools do
        _silence_stdout()
        return 0
    except (ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError) as err:
        # User-fixable input problems: one clear line, no traceback. Internal bugs (other types) still raise.
        print(f"rlvr {name}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # disk full, read-only folder, no permission, a model folder that cannot be loaded
        print(f"rlvr {name}: error: {_os_message(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"rlvr {name}: interrupted", file=sys.stderr)
        return 130


_OS_FIXES = {errno.ENOSPC: "free some space (the run folder is intact: re-run the same command to resume)",
             errno.EDQUOT: "free some space or raise the quota (re-run the same command to resume)",
             errno.EROFS: "the folder is read-only: choose a writable output_dir / --output",
             errno.EACCES: "no permission: choose a folder you can write, or fix its permissions",
             errno.EPERM: "not permitted: choose a folder you can write, or fix its permissions"}


def _os_message(err: OSError) -> str:
    where = f" ({err.filename})" if err.filename else ""
    fix = _OS_FIXES.get(err.errno)
    return f"{err.strerror or err}{where}; {fix}" if fix else f"{err}{where}"


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot raise BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
