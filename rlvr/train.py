"""GRPO training: wiring, not a framework. Builds a TRL `GRPOConfig` and `GRPOTrainer`, adds callbacks, trains.

    run_dir = train(cfg, overrides)        # what `rlvr train CONFIG [--key value ...]` calls

Steps: resolve the run folder (refusing one that holds a different config), write config.yaml and env.json before
step 0, build or reuse the base model, build the datasets (every reference checked by the verifier), wrap the
verifier as a TRL reward, and train with four callbacks in this order: the compute ledger (adds cumulative RL FLOPs
to every log), the recorder (metrics.jsonl + progress bar), the log-spaced evaluator (evals.jsonl) and the
checkpoint completion marker. A re-run of the same command resumes from the newest complete checkpoint.
summary.json is written last.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from rlvr.config import ExperimentConfig
from rlvr.errors import UserError
from rlvr.jsonl import append_jsonl, read_jsonl, repair_jsonl, write_json_atomic
from rlvr.preemption import GracefulStop
from rlvr.runfolder import CONFIG, SUMMARY, find_or_name_run_dir, identity_hash, is_complete

__all__ = ["train", "prepare_run_dir", "grpo_args", "Preempted"]

logger = logging.getLogger(__name__)


def _world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _is_main() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def check_same_config(cfg: ExperimentConfig, run_dir: Path) -> None:
    """Refuse a run folder whose config.yaml describes a different experiment (D7)."""
    from rlvr.config import config_from_dict
    from rlvr.yamlio import load_yaml

    config_path = run_dir / CONFIG
    if not config_path.exists():
        return
    try:
        old = config_from_dict(load_yaml(config_path.read_text(), str(config_path)), str(config_path))
    except ValueError as err:
        raise UserError(f"run folder {run_dir} has an unreadable {CONFIG} ({err}); pick another run_dir") from None
    if identity_hash(old) != identity_hash(cfg):
        diff = sorted(k for k, v in cfg.to_dict().items()
                      if old.to_dict().get(k) != v and k not in ("output_dir", "run_dir", "cache_dir"))
        raise UserError(f"run folder {run_dir} holds a run of a different config (differs in: {', '.join(diff)}). "
                        "Refusing to mix runs; pass another --run_dir, or delete that folder to start over.")


def prepare_run_dir(cfg: ExperimentConfig, run_dir: Path) -> int:
    """Create or check the run folder; returns this attempt's number (1 for a fresh run)."""
    from rlvr.config import dump_config

    check_same_config(cfg, run_dir)
    config_path = run_dir / CONFIG
    if not config_path.exists() and run_dir.exists() and any(run_dir.iterdir()):
        raise UserError(f"run folder {run_dir} exists and is not an rlvr run (no {CONFIG}); choose another run_dir")
    if not _is_main():
        return 0
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in ("metrics.jsonl", "evals.jsonl", "samples.jsonl"):
        repair_jsonl(run_dir / name)  # drop a line torn by a kill, so appends start clean
    attempts = [r.get("attempt", 0) for r in read_jsonl(run_dir / "metrics.jsonl")]
    attempt = max(attempts, default=0) + 1
    if not config_path.exists():
        tmp = run_dir / f".{CONFIG}.tmp"
        tmp.write_text(dump_config(cfg))
        os.replace(tmp, config_path)
    from rlvr.env_info import collect_env

    env_path = run_dir / "env.json"
    env = collect_env()
    if env_path.exists():  # keep the first attempt's record, add this one
        import json

        first = json.loads(env_path.read_text())
        env = {**first, "resumes": [*first.get("resumes", []), {**env, "attempt": attempt}]}
    write_json_atomic(env_path, env)
    return attempt


def grpo_args(cfg: ExperimentConfig, output_dir: Path):
    """The TRL GRPOConfig for `cfg`: every GRPO-defining knob passed explicitly (TRL defaults have changed before)."""
    from trl import GRPOConfig

    completions_per_step = cfg.prompts_per_step * cfg.num_generations
    per_device = completions_per_step // (cfg.gradient_accumulation_steps * _world_size())
    if per_device < 1 or per_device * cfg.gradient_accumulation_steps * _world_size() != completions_per_step:
        raise UserError(f"prompts_per_step * num_generations = {completions_per_step} completions per step cannot be "
                        f"split over {cfg.gradient_accumulation_steps} accumulation steps x {_world_size()} processes")
    return GRPOConfig(
        output_dir=str(output_dir), seed=cfg.seed, max_steps=cfg.max_steps,
        learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler_type, warmup_steps=cfg.warmup_steps,
        weight_decay=cfg.weight_decay, max_grad_norm=cfg.max_grad_norm,
        per_device_train_batch_size=per_device, gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        num_generations=cfg.num_generations, max_completion_length=cfg.max_completion_length,
        temperature=cfg.temperature, top_p=cfg.top_p, top_k=0, beta=cfg.beta, loss_type=cfg.loss_type,
        scale_rewards=cfg.scale_rewards, num_iterations=cfg.num_iterations, epsilon=cfg.epsilon,
        mask_truncated_completions=cfg.mask_truncated_completions,
        use_vllm=cfg.use_vllm, vllm_mode=cfg.vllm_mode, bf16=cfg.bf16,
        **({"gradient_checkpointing": True} if cfg.gradient_checkpointing else {}),  # deprecated name; only if used
        logging_steps=1, save_strategy="steps", save_steps=cfg.save_steps, save_total_limit=cfg.save_total_limit,
        report_to=[] if cfg.report_to == "none" else [cfg.report_to],
        remove_unused_columns=False, dataloader_num_workers=0, dataloader_pin_memory=_has_cuda(),
        disable_tqdm=True, log_completions=False,
    )


def train(cfg: ExperimentConfig, overrides: dict | None = None) -> Path:
    """Run (or resume, or recognise as complete) the GRPO experiment `cfg`. Returns its run folder."""
    run_dir = find_or_name_run_dir(cfg, overrides)
    if is_complete(run_dir):
        check_same_config(cfg, run_dir)
        logger.info("run %s is complete (summary.json exists); nothing to do", run_dir)
        return run_dir
    attempt = prepare_run_dir(cfg, run_dir)
    t_start = time.time()
    trainer, ledger, reward_fn, recorder, evaluator = build_trainer(cfg, run_dir, attempt)

    from rlvr.checkpoints import newest_complete, remove_incomplete

    ckpt_dir = run_dir / "checkpoints"
    removed = remove_incomplete(ckpt_dir)
    if removed:
        logger.warning("ignored %d interrupted checkpoint save(s): %s", len(removed), [p.name for p in removed])
    resume_from = newest_complete(ckpt_dir)
    if resume_from is not None:
        ledger.load(resume_from)
        logger.info("resuming %s from %s (attempt %d)", run_dir, resume_from.name, attempt)
    stop = GracefulStop().install()
    trainer.add_callback(stop)
    try:
        trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    finally:
        stop.uninstall()
    if stop.received is not None:
        if _is_main():
            append_jsonl(run_dir / "metrics.jsonl", {"event": "preempted", "step": trainer.state.global_step,
                                                     "attempt": attempt, "signal": stop.received})
        raise Preempted(run_dir, trainer.state.global_step, stop.exit_code)
    if _is_main():
        _write_summary(cfg, run_dir, trainer, ledger, reward_fn, recorder, evaluator, time.time() - t_start)
    return run_dir


class Preempted(Exception):
    """Training stopped on a signal after saving a checkpoint; re-running the same command resumes."""

    def __init__(self, run_dir: Path, step: int, exit_code: int):
        super().__init__(f"stopped at step {step} after a signal; checkpoint saved in {run_dir}/checkpoints. "
                         "Run the same command again to resume.")
        self.run_dir, self.step, self.exit_code = run_dir, step, exit_code


def build_trainer(cfg: ExperimentConfig, run_dir: Path, attempt: int):
    """Model, tokenizer, datasets, reward and callbacks, wired into a GRPOTrainer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.trainer_callback import PrinterCallback, ProgressCallback
    from transformers.utils import logging as hf_logging
    from trl import GRPOTrainer

    from rlvr.checkpoints import CompletionMarker
    from rlvr.compute import ComputeLedger, FlopsPerToken, flops_params, recomputes_old_logps
    from rlvr.data import build_datasets
    from rlvr.eval_schedule import LogSpacedEvaluator
    from rlvr.evaluate import EvalSettings, evaluate
    from rlvr.pretrain import ensure_base_model
    from rlvr.reward import VerifierReward
    from rlvr.tracker import RunRecorder, SampleWriter

    hf_logging.disable_progress_bar()  # no "Writing model shards" bar at every checkpoint; ours is the only bar
    torch.manual_seed(cfg.seed)
    verifier = cfg.make_verifier()
    model_path = ensure_base_model(cfg)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    train_ds, heldout_ds = build_datasets(cfg, verifier, tokenizer)  # fail fast, before loading weights
    model = AutoModelForCausalLM.from_pretrained(model_path)
    args = grpo_args(cfg, run_dir / "checkpoints")

    is_main = _is_main()
    prior_samples = len(read_jsonl(run_dir / "samples.jsonl"))
    samples = SampleWriter(run_dir / "samples.jsonl", cfg.samples_cap, cfg.samples_per_step, prior_samples, is_main)
    reward_fn = VerifierReward(verifier, "reference", workers=cfg.reward_workers, on_batch=samples)

    n_params = flops_params(model)
    per_token = FlopsPerToken.for_grpo(
        n_params, cfg.num_iterations,
        recomputes_old_logps(args.gradient_accumulation_steps, args.steps_per_generation, args.num_iterations,
                             args.use_vllm, getattr(args, "vllm_importance_sampling_correction", True)),
        cfg.beta)
    ledger = ComputeLedger(per_token, n_params)
    prior_metrics = read_jsonl(run_dir / "metrics.jsonl")
    wall_offset = max((r.get("time/wall", 0.0) for r in prior_metrics), default=0.0)
    recorder = RunRecorder(run_dir, run_dir.name, attempt, wall_offset, samples)
    eval_rows = [heldout_ds[i] for i in range(min(cfg.eval_problems, len(heldout_ds)))]
    settings = EvalSettings(samples_per_problem=cfg.eval_samples_per_problem, k=tuple(cfg.eval_k),
                            temperature=cfg.eval_temperature, top_p=1.0,
                            max_new_tokens=cfg.eval_max_new_tokens or cfg.max_completion_length,
                            batch_size=cfg.eval_batch_size, seed=cfg.seed, workers=cfg.reward_workers)
    evaluator = LogSpacedEvaluator(
        run_dir, benchmark=f"{cfg.task if cfg.task != 'dataset' else 'dataset'}_heldout",
        points_per_decade=cfg.eval_points_per_decade, ks=tuple(cfg.eval_k),
        evaluate_fn=lambda m, tok: evaluate(m, tok, eval_rows, verifier, settings), attempt=attempt, is_main=is_main)
    trainer = GRPOTrainer(model=model, reward_funcs=[reward_fn], args=args, train_dataset=train_ds,
                          processing_class=tokenizer)
    for default in (ProgressCallback, PrinterCallback):  # our recorder owns the terminal (one bar, no dict dumps)
        trainer.remove_callback(default)
    # Ledger first, so every later callback (and every report_to tracker) sees the compute/* keys.
    handler = trainer.callback_handler
    handler.callbacks.insert(0, ledger)
    for cb in (recorder, evaluator, CompletionMarker(ledger)):
        handler.add_callback(cb)
    return trainer, ledger, reward_fn, recorder, evaluator


def _write_summary(cfg, run_dir, trainer, ledger, reward_fn, recorder, evaluator, seconds) -> None:
    evals = sorted(evaluator.rows, key=lambda r: r["step"])
    base = next((r for r in evals if r["compute_flops"] == 0), None)
    final = evals[-1] if evals else None
    summary = {
        "run_id": run_dir.name, "experiment": cfg.experiment, "seed": cfg.seed,
        "steps": trainer.state.global_step, "compute_flops": ledger.flops,
        "compute_flops_generate": ledger.flops_generate, "compute_flops_train": ledger.flops_train,
        "tokens": ledger.tokens, "n_params_flops": ledger.n_params,
        "eval_points": len(evals), "eval_points_trained": sum(r["compute_flops"] > 0 for r in evals),
        "base_pass@1": base["pass@1"] if base else None, "final_pass@1": final["pass@1"] if final else None,
        "final_pass@k": final["pass@k"] if final else None,
        "verifier_statuses": dict(reward_fn.totals),
        "final_metrics": {k: v for k, v in recorder.last_row.items() if k.startswith(("reward", "compute/"))},
        "seconds_this_attempt": round(seconds, 1),
        "time_wall": recorder.last_row.get("time/wall"),
    }
    write_json_atomic(run_dir / SUMMARY, summary)
