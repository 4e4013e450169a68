"""`rlvr pretrain`: build the tiny local base model of a config, or reuse the cached one.

    path = ensure_base_model(cfg)    # cfg.model_name_or_path if set, else the cached tiny model (built if missing)

The model is a small Llama (`build_model`: sizes from the config, so a ladder of sizes is a config change) with
the character tokenizer of `rlvr.pretraining.tokenizer`, pretrained on the task's procedural corpus
(`Task.pretrain_text`).
Choices, and why:
- Loss on the completion and its ``<eos>`` only by default: the prompt's operands are uniformly random, so
  predicting them teaches nothing and only dilutes the gradient. `pretrain_prompt_loss` adds the prompt, as
  language-model pretraining does: in a few-shot prompt (the code tasks) the later examples' outputs are
  predictable from the earlier ones, which is the skill the completion needs.
- Every sequence starts with ``<bos>``, as the tokenizer does by default, so prompts tokenized by TRL or by
  `rlvr.evaluation.evaluate` look exactly like pretraining prompts.
- AdamW (betas 0.9/0.98, weight decay 0.01), linear warm-up over 5% of the steps, cosine decay to 10% of the peak,
  gradient clipping at 1.0; every core this process may use unless $OMP_NUM_THREADS says otherwise
  (see `pretrain_threads`).

It is saved with ``save_pretrained`` (model + tokenizer), so TRL and transformers load it like any hub model, under
``<cache>/models/<task>-h<width>-l<depth>-<hash>/`` where the hash covers every setting that defines it
(`rlvr.config.PRETRAIN_KEYS`) and the cache root is `cache_dir`, else $RLVR_CACHE, else ~/.cache/rlvr. The
folder is written under a temporary name and renamed when complete (its last file is ``rlvr_pretrain.json``), so
a killed pretraining never leaves a half model that a later run would reuse; a lock file next to it makes
concurrent runs that need the same model (a sweep's seeds) wait for one pretraining instead of repeating it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import random
import shutil
import time
from pathlib import Path

from rlvr.config import PRETRAIN_KEYS, ExperimentConfig, config_hash
from rlvr.errors import UserError
from rlvr.runfolder.checkpoints import check_model_folder

__all__ = ["ensure_base_model", "model_cache_dir", "build_model", "pretrain", "pretrain_threads", "MAX_POSITIONS"]

logger = logging.getLogger(__name__)
MAX_POSITIONS = 128  # longest prompt + completion in tokens (characters); "99+99=198" is 10 with bos and eos
MARKER = "rlvr_pretrain.json"  # written last: its presence means the folder is complete


def pretrain_threads() -> int:
    """CPU threads for pretraining: $OMP_NUM_THREADS when set, else the cores this process may use.

    A run alone on a machine should use it: on 2 idle cores two threads pretrain the code demo's model 1.6x faster
    than one (3.99 against 2.44 steps/s). Processes that share the cores should say so: two 2-thread trainers on
    2 cores ran 8x slower than with one thread each, so `rlvr sweep` gives each run ``OMP_NUM_THREADS=1``.
    """
    value = os.environ.get("OMP_NUM_THREADS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    from verifiers.code import available_cores

    return available_cores()


def cache_root(cfg: ExperimentConfig) -> Path:
    return Path(cfg.cache_dir or os.environ.get("RLVR_CACHE") or Path.home() / ".cache" / "rlvr")


def model_cache_dir(cfg: ExperimentConfig) -> Path:
    """The cache folder of `cfg`'s tiny model, e.g. ~/.cache/rlvr/models/add-h128-l4-1a2b3c4d."""
    values = {k: getattr(cfg, k) for k in PRETRAIN_KEYS}
    if not values["pretrain_prompt_loss"]:  # added later: left out when off, so older caches keep their names
        del values["pretrain_prompt_loss"]
    return cache_root(cfg) / "models" / f"{cfg.task}-h{cfg.hidden_size}-l{cfg.num_layers}-{config_hash(values)}"


def build_model(cfg: ExperimentConfig, vocab_size: int):
    """A freshly initialised tiny Llama with the config's width, depth, heads and MLP size.

    Input and output embeddings are tied: for a 100-token vocabulary this saves little, but it keeps the
    parameter count (and so the compute ledger's N) dominated by the transformer blocks, as in real models.
    """
    from transformers import LlamaConfig, LlamaForCausalLM

    head_dim = cfg.hidden_size // cfg.num_heads
    if head_dim % 2:  # rotary embeddings rotate pairs of dimensions
        raise UserError(f"hidden_size / num_heads = {cfg.hidden_size} / {cfg.num_heads} = {head_dim} is odd; rotary "
                        "position embeddings need an even head width (e.g. hidden_size 128 with num_heads 4)")
    config = LlamaConfig(
        vocab_size=vocab_size, hidden_size=cfg.hidden_size, num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads, num_key_value_heads=cfg.num_heads,
        intermediate_size=cfg.intermediate_size, max_position_embeddings=MAX_POSITIONS,
        tie_word_embeddings=True, pad_token_id=0, bos_token_id=1, eos_token_id=2,
    )
    return LlamaForCausalLM(config)


def _batch(task, cfg: ExperimentConfig, rng: random.Random, vocab: dict[str, int], size: int):
    """(input_ids, attention_mask, labels), each (B, T); labels are -100 except on completion + eos (and on the
    prompt after bos with `pretrain_prompt_loss`)."""
    import torch

    bos, eos, pad, unk = vocab["<bos>"], vocab["<eos>"], vocab["<pad>"], vocab["<unk>"]
    ids = torch.full((size, MAX_POSITIONS), pad, dtype=torch.long)
    labels = torch.full((size, MAX_POSITIONS), -100, dtype=torch.long)
    attn = torch.zeros((size, MAX_POSITIONS), dtype=torch.long)
    width = 0
    for i in range(size):
        prompt, completion = task.pretrain_text(cfg, rng)
        p = [bos] + [vocab.get(ch, unk) for ch in prompt]
        c = [vocab.get(ch, unk) for ch in completion] + [eos]
        if len(p) + len(c) > MAX_POSITIONS:
            raise UserError(f"task {cfg.task!r}: a pretraining example has {len(p) + len(c)} tokens, more than the "
                            f"tiny model's {MAX_POSITIONS} positions; shorten prompt_template or the task's questions")
        ids[i, :len(p) + len(c)] = torch.tensor(p + c)
        attn[i, :len(p) + len(c)] = 1
        labels[i, len(p):len(p) + len(c)] = torch.tensor(c)
        if cfg.pretrain_prompt_loss:
            labels[i, 1:len(p)] = torch.tensor(p[1:])
        width = max(width, len(p) + len(c))
    return ids[:, :width], attn[:, :width], labels[:, :width]


def _lr_factor(step: int, total: int) -> float:
    """Linear warm-up over 5% of the steps, then cosine decay to 10% of the peak."""
    warmup = max(1, total // 20)
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


def pretrain(cfg: ExperimentConfig, out_dir: Path) -> dict:
    """Pretrain the tiny model of `cfg` and save model + tokenizer into `out_dir`. Returns a stats dict."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(pretrain_threads())
    try:
        return _train_and_save(cfg, Path(out_dir))
    finally:
        torch.set_num_threads(threads)  # leave the caller's (e.g. GRPO's) setting as it was


def _train_and_save(cfg: ExperimentConfig, out_dir: Path) -> dict:
    import torch
    from tqdm.auto import tqdm

    from rlvr.pretraining.tokenizer import build_char_tokenizer, char_vocab
    from rlvr.training.compute import flops_params

    task = cfg.make_task()
    torch.manual_seed(cfg.pretrain_seed)
    rng = random.Random(cfg.pretrain_seed)
    tokenizer, vocab = build_char_tokenizer(), char_vocab()
    model = build_model(cfg, len(vocab))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.pretrain_lr, betas=(0.9, 0.98), weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: _lr_factor(step, cfg.pretrain_steps))
    model.train()
    t0, losses, tokens = time.time(), [], 0
    bar = tqdm(range(cfg.pretrain_steps), desc="pretrain", unit="step", dynamic_ncols=True)
    for _ in bar:
        ids, attn, labels = _batch(task, cfg, rng, vocab, cfg.pretrain_batch_size)
        tokens += int(attn.sum())
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
    stats = {"settings": {k: getattr(cfg, k) for k in PRETRAIN_KEYS},
             "parameters": sum(p.numel() for p in model.parameters()),
             "final_loss": round(sum(losses[-50:]) / len(losses[-50:]), 4), "seconds": round(time.time() - t0, 1),
             "threads": torch.get_num_threads(), "pretrain_tokens": tokens, "n_params_flops": flops_params(model)}
    (out_dir / MARKER).write_text(json.dumps(stats, indent=2))  # last: marks the folder complete
    return stats


def _remove_stale_tmp(final: Path) -> None:
    """Delete temporary folders left by pretrainings that were killed (their process no longer exists)."""
    for tmp in final.parent.glob(f".{final.name}.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(tmp, ignore_errors=True)
        except PermissionError:  # alive, owned by someone else
            pass


def ensure_base_model(cfg: ExperimentConfig) -> Path | str:
    """The base model to RL-train: `cfg.model_name_or_path`, or the cached tiny model (pretrained if missing).

        ensure_base_model(cfg)   # -> Path('~/.cache/rlvr/models/add-h128-l4-1a2b3c4d'), loads with from_pretrained

    Processes that need the same model at the same time (a sweep's seeds) take turns on a lock file: the first
    pretrains, the others wait and then reuse its folder.
    """
    if cfg.model_name_or_path:
        name = cfg.model_name_or_path
        looks_local = name.startswith(("/", ".", "~")) or Path(name).exists()
        if looks_local and (why := check_model_folder(Path(name).expanduser())) is not None:
            raise UserError(f"model_name_or_path {name!r} is not a Hugging Face model folder: {why}. Give a "
                            "folder saved with save_pretrained, or a hub name when the hub is reachable")
        return str(Path(name).expanduser()) if looks_local else name
    final = model_cache_dir(cfg)
    if (final / MARKER).is_file():
        logger.info("reusing the cached base model %s (same pretraining settings)", final)
        return final
    build_model(cfg, vocab_size=8)  # fail fast on impossible sizes, before waiting or pretraining
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(final.with_name(f".{final.name}.lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("another process is pretraining %s; waiting for it", final)
            fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / MARKER).is_file():
            logger.info("reusing the cached base model %s (pretrained by another process)", final)
            return final
        return _pretrain_into(cfg, final)


def _pretrain_into(cfg: ExperimentConfig, final: Path) -> Path:
    """Pretrain into a temporary folder, then rename it to `final` (atomic: complete or absent)."""
    _remove_stale_tmp(final)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        logger.info("pretraining the tiny base model (%d steps) into %s", cfg.pretrain_steps, final)
        stats = pretrain(cfg, tmp)
        if final.exists():
            shutil.rmtree(final)  # no marker, so incomplete (e.g. copied by hand): never reuse it
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("pretrained %d parameters in %.0f s (final loss %.3f)", stats["parameters"], stats["seconds"],
                stats["final_loss"])
    return final
