"""`rlvr pretrain`: build the tiny local base model of a config, or reuse the cached one.

    path = ensure_base_model(cfg)    # cfg.model_name_or_path if set, else the cached tiny model (built if missing)

The model is a small Llama (`LlamaForCausalLM`, sizes from the config, tied input/output embeddings) with the
character tokenizer of `rlvr.tokenizer`, pretrained on the task's procedural corpus (`Task.pretrain_text`):
loss on the completion and its ``<eos>`` only (the prompt's random operands are not learnable), AdamW with linear
warm-up and cosine decay to 10%. It is saved with ``save_pretrained`` so TRL and transformers load it like any hub
model, under ``<cache>/models/<task>-h<width>-l<depth>-<hash>/`` where the hash covers every setting that defines
it (`rlvr.config.PRETRAIN_KEYS`). The folder is written under a temporary name and renamed when complete, so a
killed pretraining never leaves a half model that a later run would reuse.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import shutil
import time
from pathlib import Path

from rlvr.config import PRETRAIN_KEYS, ExperimentConfig, config_hash

__all__ = ["ensure_base_model", "model_cache_dir", "build_model", "pretrain"]

logger = logging.getLogger(__name__)
MAX_POSITIONS = 128


def cache_root(cfg: ExperimentConfig) -> Path:
    return Path(cfg.cache_dir or os.environ.get("RLVR_CACHE") or Path.home() / ".cache" / "rlvr")


def model_cache_dir(cfg: ExperimentConfig) -> Path:
    values = {k: getattr(cfg, k) for k in PRETRAIN_KEYS}
    return cache_root(cfg) / "models" / f"{cfg.task}-h{cfg.hidden_size}-l{cfg.num_layers}-{config_hash(values)}"


def build_model(cfg: ExperimentConfig, vocab_size: int):
    """A freshly initialised tiny Llama with the config's width, depth, heads and MLP size."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=vocab_size, hidden_size=cfg.hidden_size, num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads, num_key_value_heads=cfg.num_heads,
        intermediate_size=cfg.intermediate_size, max_position_embeddings=MAX_POSITIONS,
        tie_word_embeddings=True,  # halves the parameters of a tiny model; N counts the matrix once (compute.py)
        pad_token_id=0, bos_token_id=1, eos_token_id=2,
    )
    return LlamaForCausalLM(config)


def _batch(task, cfg, rng: random.Random, vocab: dict[str, int], size: int):
    """(input_ids, attention_mask, labels), loss on completion + eos only.  # (B, T) each"""
    import torch

    bos, eos, pad, unk = vocab["<bos>"], vocab["<eos>"], vocab["<pad>"], vocab["<unk>"]
    seqs, masks = [], []
    for _ in range(size):
        prompt, completion = task.pretrain_text(cfg, rng)
        p = [bos] + [vocab.get(ch, unk) for ch in prompt]
        c = [vocab.get(ch, unk) for ch in completion] + [eos]
        seqs.append(p + c)
        masks.append([0] * len(p) + [1] * len(c))
    width = max(map(len, seqs))
    if width > MAX_POSITIONS:
        raise ValueError(f"pretraining example of {width} tokens exceeds the model's {MAX_POSITIONS} positions")
    ids = torch.full((size, width), pad, dtype=torch.long)
    labels = torch.full((size, width), -100, dtype=torch.long)
    attn = torch.zeros((size, width), dtype=torch.long)
    for i, (s, m) in enumerate(zip(seqs, masks, strict=True)):
        ids[i, :len(s)] = torch.tensor(s)
        attn[i, :len(s)] = 1
        labels[i, :len(s)] = torch.where(torch.tensor(m, dtype=torch.bool), torch.tensor(s), -100)
    return ids, attn, labels


def pretrain(cfg: ExperimentConfig, out_dir: Path) -> dict:
    """Pretrain the tiny model of `cfg` and save model + tokenizer into `out_dir`. Returns a stats dict."""
    import torch
    from tqdm.auto import tqdm

    from rlvr.tasks import get_task
    from rlvr.tokenizer import build_char_tokenizer, char_vocab

    task = get_task(cfg.task)
    torch.manual_seed(cfg.pretrain_seed)
    rng = random.Random(cfg.pretrain_seed)
    tokenizer, vocab = build_char_tokenizer(), char_vocab()
    model = build_model(cfg, len(vocab))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.pretrain_lr, betas=(0.9, 0.98), weight_decay=0.01)
    warmup = max(1, cfg.pretrain_steps // 20)

    def lr_at(step: int) -> float:  # linear warm-up, cosine decay to 10% of the peak
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, cfg.pretrain_steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    model.train()
    t0, losses = time.time(), []
    bar = tqdm(range(cfg.pretrain_steps), desc="pretrain", unit="step", dynamic_ncols=True)
    for _ in bar:
        ids, attn, labels = _batch(task, cfg, rng, vocab, cfg.pretrain_batch_size)
        loss = model(input_ids=ids, attention_mask=attn, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        bar.set_postfix_str(f"loss={sum(losses[-20:]) / len(losses[-20:]):.3f}", refresh=False)
    bar.close()
    model.eval()
    model.generation_config.pad_token_id = vocab["<pad>"]
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    n_params = sum(p.numel() for p in model.parameters())
    stats = {"settings": {k: getattr(cfg, k) for k in PRETRAIN_KEYS}, "parameters": n_params,
             "final_loss": sum(losses[-50:]) / len(losses[-50:]), "seconds": round(time.time() - t0, 1)}
    (out_dir / "rlvr_pretrain.json").write_text(json.dumps(stats, indent=2))
    return stats


def ensure_base_model(cfg: ExperimentConfig) -> Path | str:
    """The base model to RL-train: `cfg.model_name_or_path`, or the cached tiny model (pretrained if missing)."""
    if cfg.model_name_or_path:
        return cfg.model_name_or_path
    final = model_cache_dir(cfg)
    if (final / "rlvr_pretrain.json").is_file():
        logger.info("reusing the pretrained base model in %s", final)
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        logger.info("pretraining the tiny base model (%d steps) into %s", cfg.pretrain_steps, final)
        stats = pretrain(cfg, tmp)
        try:
            os.replace(tmp, final)  # atomic: the folder appears complete or not at all
        except OSError:
            if not (final / "rlvr_pretrain.json").is_file():  # another process won the race: keep theirs
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("pretrained %d parameters in %.0f s (final loss %.3f)", stats["parameters"], stats["seconds"],
                stats["final_loss"])
    return final
