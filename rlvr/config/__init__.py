"""Typed experiment config: the dataclass and its checks (`experiment`), loading a YAML file with command-line
overrides (`loading`), and the generated help text (`reference`).

    from rlvr.config import load_config
    cfg, overrides = load_config("configs/demo.yaml", ["--learning_rate", "1e-4", "--seed", "3"])

This package re-exports the public names; its modules import each other directly, never through it.
"""

from rlvr.config.experiment import (
           PRETRAIN_KEYS,
           ExperimentConfig,
           config_from_dict,
           config_hash,
           dump_config,
           option_defaults,
)
from rlvr.config.loading import load_config, parse_overrides
from rlvr.config.reference import config_help, config_reference, plugin_help

__all__ = ["ExperimentConfig", "load_config", "config_from_dict", "config_hash", "dump_config", "parse_overrides",
           "PRETRAIN_KEYS", "config_help", "config_reference", "plugin_help", "option_defaults"]
