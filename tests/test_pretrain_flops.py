"""Pretraining compute: the count recorded while pretraining equals the torch-free replay, counted as 6 N T."""

import json

import pytest

from rlvr.config import ExperimentConfig
from rlvr.pretraining.flops import TRAIN_FLOPS_PER_TOKEN, pretrain_compute, pretrain_tokens
from rlvr.pretraining.pretrain import MARKER, ensure_base_model

TINY = {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "intermediate_size": 64, "pretrain_steps": 6,
        "pretrain_batch_size": 8, "task_options": {"train_size": 100}, "heldout_size": 16, "eval_problems": 16}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    cfg = ExperimentConfig(**{**TINY, "cache_dir": str(tmp_path_factory.mktemp("cache"))})
    return cfg, ensure_base_model(cfg)


def test_recorded_count_equals_the_replay(base):
    cfg, folder = base
    stats = json.loads((folder / MARKER).read_text())
    assert stats["pretrain_tokens"] == pretrain_tokens(cfg)
    recorded = pretrain_compute(cfg, folder)
    assert recorded["pretrain_source"] == "recorded at pretraining"
    assert recorded["pretrain_flops"] == TRAIN_FLOPS_PER_TOKEN * stats["n_params_flops"] * stats["pretrain_tokens"]


def test_a_marker_without_the_count_is_counted_to_the_same_numbers(base, tmp_path):
    cfg, folder = base
    old = json.loads((folder / MARKER).read_text())
    for key in ("pretrain_tokens", "n_params_flops"):
        old.pop(key)
    (tmp_path / MARKER).write_text(json.dumps(old))
    counted = pretrain_compute(cfg, tmp_path)
    assert counted["pretrain_source"] == "counted from the pretraining settings"
    assert counted["pretrain_flops"] == pretrain_compute(cfg, folder)["pretrain_flops"] > 0


@pytest.mark.parametrize("change, grows", [({"pretrain_steps": 12}, True), ({"pretrain_batch_size": 16}, True),
                                           ({"hidden_size": 64, "intermediate_size": 128}, True)])
def test_more_steps_batch_or_width_cost_more(change, grows):
    small = pretrain_compute(ExperimentConfig(**TINY))["pretrain_flops"]
    big = pretrain_compute(ExperimentConfig(**{**TINY, **change}))["pretrain_flops"]
    assert (big > small) == grows


def test_a_hub_model_has_no_known_pretraining_compute():
    info = pretrain_compute(ExperimentConfig(model_name_or_path="some/model", task="dataset", dataset_path="x.jsonl"))
    assert info["pretrain_flops"] is None and "not pretrained here" in info["pretrain_source"]
