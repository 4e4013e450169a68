"""The tiny base model: builds from config sizes, pretrains, caches atomically, reloads as a Hugging Face model."""

import fcntl
import json
import math
import os
import random
import threading

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

import rlvr.pretraining.pretrain as pretrain_mod
from rlvr.cli import main as cli_main
from rlvr.config import PRETRAIN_KEYS, ExperimentConfig, config_hash
from rlvr.errors import UserError
from rlvr.pretraining.pretrain import (
    MARKER,
    _batch,
    _lr_factor,
    build_model,
    cache_root,
    ensure_base_model,
    model_cache_dir,
    pretrain_threads,
)
from rlvr.pretraining.tokenizer import char_vocab
from rlvr.tasks import get_task

TINY = {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "intermediate_size": 64, "pretrain_steps": 20,
        "pretrain_batch_size": 16, "task_options": {"train_size": 100}, "heldout_size": 16, "eval_problems": 16}


def tiny_cfg(cache, **kw) -> ExperimentConfig:
    return ExperimentConfig(**{**TINY, "cache_dir": str(cache), **kw})


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("rlvr_cache")


@pytest.fixture(scope="module")
def pretrained(cache):
    return ensure_base_model(tiny_cfg(cache))


# --- the model and its training batches ---------------------------------------------------------------------------

@pytest.mark.parametrize("hidden, layers, heads, inter", [(32, 1, 2, 64), (64, 2, 4, 128)])
def test_model_sizes_come_from_the_config(hidden, layers, heads, inter):
    cfg = ExperimentConfig(hidden_size=hidden, num_layers=layers, num_heads=heads, intermediate_size=inter)
    model = build_model(cfg, vocab_size=len(char_vocab()))
    c = model.config
    assert (c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.intermediate_size) == (hidden, layers,
                                                                                                 heads, inter)
    assert c.tie_word_embeddings and model.lm_head.weight is model.model.embed_tokens.weight


def test_odd_head_width_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="head width"):
        ensure_base_model(tiny_cfg(tmp_path, hidden_size=30, num_heads=2))
    assert not (tmp_path / "models").exists()


def test_batch_puts_loss_on_completion_and_eos_only():
    cfg, vocab = ExperimentConfig(), char_vocab()
    ids, attn, labels = _batch(get_task("add"), cfg, random.Random(0), vocab, size=8)  # (B, T)
    assert ids.shape == attn.shape == labels.shape and ids.shape[0] == 8
    rng = random.Random(0)
    for i in range(8):
        prompt, completion = get_task("add").pretrain_text(cfg, rng)
        n = 1 + len(prompt) + len(completion) + 1
        assert ids[i, 0] == vocab["<bos>"] and ids[i, n - 1] == vocab["<eos>"]
        assert attn[i].sum() == n
        target = labels[i][labels[i] != -100].tolist()
        assert target == [vocab[ch] for ch in completion] + [vocab["<eos>"]]


@pytest.mark.parametrize("task", ["add", "pbe_concat"])
def test_prompt_loss_also_trains_on_the_prompt_after_bos(task):
    cfg, vocab = ExperimentConfig(task=task, pretrain_prompt_loss=True), char_vocab()
    ids, attn, labels = _batch(get_task(task), cfg, random.Random(0), vocab, size=8)
    rng = random.Random(0)
    for i in range(8):
        prompt, completion = get_task(task).pretrain_text(cfg, rng)
        assert labels[i, 0] == -100  # bos is never a target
        target = labels[i][labels[i] != -100].tolist()
        assert target == [vocab[ch] for ch in prompt + completion] + [vocab["<eos>"]]


def test_too_long_prompt_template_is_a_clear_error():
    cfg = ExperimentConfig(prompt_template="x" * 200 + "{question}")
    with pytest.raises(ValueError, match="shorten prompt_template"):
        _batch(get_task("add"), cfg, random.Random(0), char_vocab(), size=2)


@pytest.mark.parametrize("step, factor", [(0, 0.2), (4, 1.0), (5, 1.0), (100, 0.1)])
def test_lr_warms_up_then_decays_to_a_tenth(step, factor):
    assert _lr_factor(step, total=100) == pytest.approx(factor, abs=0.01)


@pytest.mark.parametrize("env, threads", [(None, "cores"), ("3", 3), ("1", 1), ("junk", "cores"), ("0", "cores")])
def test_pretrain_threads(monkeypatch, env, threads):
    threads = len(os.sched_getaffinity(0)) if threads == "cores" else threads
    if env is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", env)
    assert pretrain_threads() == threads


def test_pretrain_threads_without_sched_getaffinity(monkeypatch):
    """macOS has no os.sched_getaffinity: every core."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert pretrain_threads() == 6


# --- cache location ------------------------------------------------------------------------------------------------

def test_cache_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("RLVR_CACHE", str(tmp_path / "env"))
    assert cache_root(ExperimentConfig(cache_dir=str(tmp_path / "cfg"))) == tmp_path / "cfg"
    assert cache_root(ExperimentConfig()) == tmp_path / "env"
    monkeypatch.delenv("RLVR_CACHE")
    assert str(cache_root(ExperimentConfig())).endswith(".cache/rlvr")


@pytest.mark.parametrize("change, same", [({"seed": 5}, True), ({"learning_rate": 1e-3}, True),
                                          ({"hidden_size": 64}, False), ({"pretrain_seed": 1}, False),
                                          ({"pretrain_answer_fraction": 0.5}, False), ({"heldout_size": 32}, False),
                                          ({"pretrain_prompt_loss": True}, False)])
def test_cache_key_covers_exactly_the_pretraining_settings(tmp_path, change, same):
    base = model_cache_dir(tiny_cfg(tmp_path))
    assert (model_cache_dir(tiny_cfg(tmp_path, **change)) == base) is same
    assert base.parent == tmp_path / "models" and base.name.startswith("add-h32-l1-")


def test_cache_names_made_before_prompt_loss_existed_are_kept(tmp_path):
    """The key `pretrain_prompt_loss` joins the hash only when on: models cached earlier are still found."""
    cfg = tiny_cfg(tmp_path)
    values = {k: getattr(cfg, k) for k in PRETRAIN_KEYS if k != "pretrain_prompt_loss"}
    assert model_cache_dir(cfg).name.endswith(config_hash(values))


# --- pretraining, saving, reuse ------------------------------------------------------------------------------------

def test_pretrained_model_loads_like_a_hub_model(pretrained, cache):
    assert pretrained == model_cache_dir(tiny_cfg(cache))
    stats = json.loads((pretrained / MARKER).read_text())
    assert stats["settings"]["hidden_size"] == 32 and stats["parameters"] > 0
    assert stats["final_loss"] < 0.9 * math.log(len(char_vocab()))  # learned something beyond a uniform guess
    tok = AutoTokenizer.from_pretrained(pretrained)
    model = AutoModelForCausalLM.from_pretrained(pretrained)
    enc = tok(["12+34="], return_tensors="pt")
    out = model.generate(**enc, max_new_tokens=4, do_sample=False, pad_token_id=tok.pad_token_id)
    assert out.shape[1] <= enc["input_ids"].shape[1] + 4
    assert not list(pretrained.parent.glob(".*tmp*"))  # no temporary folder left behind


def test_pretraining_changes_the_weights(pretrained, cache):
    torch.manual_seed(tiny_cfg(cache).pretrain_seed)
    fresh = build_model(tiny_cfg(cache), len(char_vocab()))
    trained = AutoModelForCausalLM.from_pretrained(pretrained)
    assert not torch.equal(fresh.model.layers[0].mlp.up_proj.weight, trained.model.layers[0].mlp.up_proj.weight)


def test_second_call_reuses_the_cache(pretrained, cache, monkeypatch, caplog):
    monkeypatch.setattr(pretrain_mod, "pretrain", lambda *a: pytest.fail("pretrained again instead of reusing"))
    with caplog.at_level("INFO", logger="rlvr.pretraining.pretrain"):
        assert ensure_base_model(tiny_cfg(cache, seed=3)) == pretrained  # an RL setting does not matter
    assert "reusing" in caplog.text


def test_model_name_or_path_is_returned_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(pretrain_mod, "pretrain", lambda *a: pytest.fail("must not pretrain"))
    assert ensure_base_model(tiny_cfg(tmp_path, model_name_or_path="Qwen/Qwen2.5-0.5B-Instruct")) == \
        "Qwen/Qwen2.5-0.5B-Instruct"
    assert not (tmp_path / "models").exists()


def _half_save(cfg, out_dir):
    (out_dir / "config.json").write_text("{}")  # a partial model, then the process is interrupted
    raise KeyboardInterrupt


def test_interrupted_pretraining_leaves_no_usable_model(tmp_path, monkeypatch):
    cfg = tiny_cfg(tmp_path, pretrain_steps=2)
    monkeypatch.setattr(pretrain_mod, "pretrain", _half_save)
    with pytest.raises(KeyboardInterrupt):
        ensure_base_model(cfg)
    assert not model_cache_dir(cfg).exists()
    assert [p.name for p in (tmp_path / "models").iterdir()] == [f".{model_cache_dir(cfg).name}.lock"]  # no tmp
    monkeypatch.undo()
    threads = torch.get_num_threads()
    assert (ensure_base_model(cfg) / MARKER).is_file()  # the next call pretrains from scratch
    assert torch.get_num_threads() == threads  # pretraining's own thread count does not leak to the caller


def test_leftovers_of_a_killed_process_are_never_reused(tmp_path):
    cfg = tiny_cfg(tmp_path, pretrain_steps=2)
    final = model_cache_dir(cfg)
    final.mkdir(parents=True)
    (final / "config.json").write_text("{}")  # no marker: incomplete (e.g. an older non-atomic writer)
    stale = final.with_name(f".{final.name}.tmp-999999999")  # a pid that cannot exist
    stale.mkdir()
    assert ensure_base_model(cfg) == final
    assert (final / MARKER).is_file() and (final / "model.safetensors").is_file()
    assert not stale.exists()


def test_a_second_process_waits_for_the_first_and_reuses_its_model(tmp_path, monkeypatch):
    cfg = tiny_cfg(tmp_path)
    final = model_cache_dir(cfg)
    final.parent.mkdir(parents=True)
    monkeypatch.setattr(pretrain_mod, "pretrain", lambda *a: pytest.fail("pretrained although another process did"))
    result = {}
    with open(final.with_name(f".{final.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # "another process" is pretraining this model
        waiter = threading.Thread(target=lambda: result.update(path=ensure_base_model(cfg)))
        waiter.start()
        waiter.join(timeout=0.5)
        assert waiter.is_alive()  # it waits rather than pretraining the same model twice
        final.mkdir()
        (final / MARKER).write_text("{}")  # the other process finishes
    waiter.join(timeout=10)
    assert result["path"] == final


def test_pretrain_command_prints_the_model_and_reuses_it(pretrained, cache, tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text("".join(f"{k}: {v}\n" for k, v in TINY.items()))
    assert cli_main(["pretrain", str(config), "--cache_dir", str(cache)]) == 0
    assert str(pretrained) in capsys.readouterr().out
