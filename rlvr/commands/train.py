"""GRPO-train one experiment into runs/<id>/ (resumes an interrupted run of the same config).

    rlvr train configs/demo.yaml --learning_rate 1e-4 --seed 1

Any config key can be overridden with --key value (values are read as YAML scalars; lists as 1,8).
"""

from __future__ import annotations

import argparse
import sys

from rlvr.config import config_help, load_config, plugin_help


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = ("config keys (all can be set in the YAML file or overridden here):\n" + config_help()
                     + "\n\nplugin options (--task_options.KEY VALUE, --verifier_options.KEY VALUE):\n"
                     + plugin_help())
    parser.add_argument("config", help="experiment YAML file, e.g. configs/demo.yaml")
    parser.add_argument("overrides", nargs=argparse.REMAINDER, help="--key value pairs overriding the YAML")


def run(args: argparse.Namespace) -> int:
    cfg, overrides = load_config(args.config, args.overrides)
    from rlvr.training.train import Preempted, train

    try:
        run_dir = train(cfg, overrides)
    except Preempted as stop:
        print(f"rlvr train: {stop}", file=sys.stderr)
        return stop.exit_code
    print(f"run folder: {run_dir}")
    return 0
