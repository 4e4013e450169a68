"""Pretraining compute of the tiny base model, counted like the RL ledger (`rlvr.training.compute`).

    pretrain_compute(cfg)   # {"pretrain_flops": 1.2e12, "pretrain_tokens": 190000, "n_params_flops": 1062528, ...}

FLOPs = 6 N per trained token (forward and backward), N = `flops_params` (non-embedding parameters plus the
output projection, the RL ledger's N). Trained tokens are the real (non-padding) tokens of every pretraining
batch: bos + prompt + completion + eos of each example. The data stream is a pure function of the pretraining
settings (`random.Random(pretrain_seed)` drives `Task.pretrain_text`), so the count is exact even for a base
model cached before this count was recorded: it is replayed without torch in a second or two. A hub model
(`model_name_or_path`) has no known pretraining compute: its entry says so and `pretrain_flops` is None.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from rlvr.config import ExperimentConfig

__all__ = ["pretrain_compute", "pretrain_tokens", "TRAIN_FLOPS_PER_TOKEN"]

TRAIN_FLOPS_PER_TOKEN = 6  # forward 2N + backward 4N, as the ledger's policy update


def pretrain_tokens(cfg: ExperimentConfig) -> int:
    """Real tokens the pretraining of `cfg` trains on (replays its data stream; no model, no torch)."""
    task = cfg.make_task()
    rng = random.Random(cfg.pretrain_seed)
    total = 0
    for _ in range(cfg.pretrain_steps * cfg.pretrain_batch_size):
        prompt, completion = task.pretrain_text(cfg, rng)
        total += len(prompt) + len(completion) + 2  # bos ... eos
    return total


def _n_params(cfg: ExperimentConfig) -> int:
    from rlvr.pretraining.pretrain import build_model
    from rlvr.pretraining.tokenizer import char_vocab
    from rlvr.training.compute import flops_params

    return flops_params(build_model(cfg, len(char_vocab())))


def pretrain_compute(cfg: ExperimentConfig, model_dir: Path | str | None = None) -> dict:
    """The base model's pretraining compute: recorded in its cache marker, else counted now (same numbers)."""
    if cfg.model_name_or_path:
        return {"pretrain_flops": None, "pretrain_tokens": None, "n_params_flops": None,
                "pretrain_source": f"unknown: hub or local model {cfg.model_name_or_path!r} (not pretrained here)"}
    stats = {}
    if model_dir is not None:
        from rlvr.pretraining.pretrain import MARKER

        try:
            stats = json.loads((Path(model_dir) / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stats = {}
    tokens = stats.get("pretrain_tokens")
    n_params = stats.get("n_params_flops")
    source = "recorded at pretraining"
    if not isinstance(tokens, int) or not isinstance(n_params, int):
        tokens, n_params, source = pretrain_tokens(cfg), _n_params(cfg), "counted from the pretraining settings"
    return {"pretrain_flops": float(TRAIN_FLOPS_PER_TOKEN * n_params * tokens), "pretrain_tokens": tokens,
            "n_params_flops": n_params, "pretrain_steps": cfg.pretrain_steps, "pretrain_source": source}
