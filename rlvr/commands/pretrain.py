"""Build the tiny local base model of a config (or reuse it: it is cached by its settings).

    rlvr pretrain configs/demo.yaml [--hidden_size 256 --num_layers 6 ...]

Prints the model folder, which loads with AutoModelForCausalLM / AutoTokenizer.from_pretrained.
"""

from __future__ import annotations

import argparse

from rlvr.config import load_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="experiment YAML file, e.g. configs/demo.yaml")
    parser.add_argument("overrides", nargs=argparse.REMAINDER, help="--key value pairs overriding the YAML")


def run(args: argparse.Namespace) -> int:
    cfg, _ = load_config(args.config, args.overrides)
    if cfg.model_name_or_path:
        print(f"model_name_or_path is set ({cfg.model_name_or_path}); nothing to pretrain")
        return 0
    from rlvr.pretraining.pretrain import ensure_base_model

    print(f"base model: {ensure_base_model(cfg)}")
    return 0
