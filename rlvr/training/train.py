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

import dataclasses
import errno
import logging
import os
import shutil
import time
from pathlib import Path

from rlvr.config import ExperimentConfig
from rlvr.errors import UserError
from rlvr.runfolder.checkpoints import checkpoint_step
from rlvr.runfolder.folder import EVENTS, METRICS, RunFolder
from rlvr.runfolder.guards import Diverged, DivergenceGuard, resume_point, verifier_totals
from rlvr.runfolder.preemption import GracefulStop
from rlvr.training.tracker import RunRecorder

__all__ = ["train", "grpo_args", "Preempted"]

logger = logging.getLogger(__name__)


def _world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _is_main() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


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
        use_vllm=cfg.use_vllm, vllm_mode=cfg.vllm_mode, bf16=bool(cfg.bf16),
        # Without CUDA, say so: accelerate only joins processes started by torchrun into one gloo group (MULTI_CPU)
        # when told it is on the CPU; otherwise every process silently trains alone and writes every row.
        use_cpu=not _has_cuda(),
        # Said explicitly: TRL 1.16 turns checkpointing on by default (transformers 5 names it activation_...).
        activation_checkpointing=cfg.gradient_checkpointing,
        logging_steps=1, save_strategy="steps", save_steps=cfg.save_steps, save_total_limit=cfg.save_total_limit,
        report_to=[] if cfg.report_to == "none" else [cfg.report_to],
        remove_unused_columns=False, dataloader_num_workers=0, dataloader_pin_memory=_has_cuda(),
        disable_tqdm=True, log_completions=False,
    )


def train(cfg: ExperimentConfig, overrides: dict | None = None) -> Path:
    """Run (or resume, or recognise as complete) the GRPO experiment `cfg`. Returns its run folder."""
    run = RunFolder.for_config(cfg, overrides)
    if run.is_complete():
        run.check_config(cfg)
        logger.info("run %s is complete (summary.json exists); nothing to do", run.path)
        return run.path
    with run.writer(cfg, is_main=_is_main()):
        _train_attempt(cfg, run)
    return run.path


def _train_attempt(cfg: ExperimentConfig, run: RunFolder) -> None:
    t_start = time.time()
    resume_from = resume_point(run, _world_size())  # checked before any model work: a damaged run fails fast
    trainer, ledger, _, recorder, evaluator = build_trainer(cfg, run)
    step = 0
    if resume_from is not None:
        ledger.load(resume_from)
        step = checkpoint_step(resume_from)
        logger.info("resuming %s from %s (attempt %d)", run.path, resume_from.name, run.attempt)
    if step >= cfg.max_steps:  # stopped after its last step (SIGTERM there, or a kill before summary.json)
        _finish(cfg, run, trainer, ledger, evaluator, resume_from)
    else:
        _fit(cfg, run, trainer, resume_from)
        step = trainer.state.global_step
    if _is_main():
        run.write_summary(_summary(cfg, run, step, ledger, recorder, evaluator, time.time() - t_start))


def _fit(cfg: ExperimentConfig, run: RunFolder, trainer, resume_from) -> None:
    """trainer.train(), with preemption and divergence turned into events and one-line exits."""
    stop = GracefulStop().install()
    trainer.add_callback(stop)
    try:
        trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    except (RuntimeError, OSError) as err:
        if _disk_full(run.path, err):  # torch's zip writer reports a full disk as "unexpected pos": say it plainly
            raise OSError(errno.ENOSPC, "No space left on device while writing the run", str(run.path)) from None
        if "probability tensor contains" not in str(err):  # NaN logits met in sampling before any logged value
            raise
        raise _diverged(run, Diverged(trainer.state.global_step + 1, "logits", "nan or inf"), "nan") from None
    except Diverged as err:
        raise _diverged(run, err, str(err.value)) from None
    finally:
        stop.uninstall()
        for cb in trainer.callback_handler.callbacks:
            if isinstance(cb, RunRecorder):
                cb.close()
    if stop.received is not None:
        if _is_main():
            run.append(EVENTS, {"event": "preempted", "step": trainer.state.global_step, "signal": stop.received})
        raise Preempted(run.path, trainer.state.global_step, stop.exit_code)


def _finish(cfg: ExperimentConfig, run: RunFolder, trainer, ledger, evaluator, checkpoint) -> None:
    """A run whose newest checkpoint is at max_steps: no more training, only its final evaluation if missing."""
    from types import SimpleNamespace

    from transformers import AutoModelForCausalLM, TrainerControl

    logger.info("%s already trained its %d steps; finishing it (final evaluation if due, summary)", run.name,
                cfg.max_steps)
    state = SimpleNamespace(global_step=cfg.max_steps, max_steps=cfg.max_steps, is_world_process_zero=_is_main())
    model = AutoModelForCausalLM.from_pretrained(checkpoint)
    evaluator.on_log(trainer.args, state, TrainerControl(), logs={"compute/flops": ledger.flops}, model=model,
                     processing_class=trainer.processing_class)


class Preempted(Exception):
    """Training stopped on a signal after saving a checkpoint; re-running the same command resumes."""

    def __init__(self, run_dir: Path, step: int, exit_code: int):
        super().__init__(f"stopped at step {step} after a signal; checkpoint saved in {run_dir}/checkpoints. "
                         "Run the same command again to resume.")
        self.run_dir, self.step, self.exit_code = run_dir, step, exit_code


def build_trainer(cfg: ExperimentConfig, run: RunFolder):
    """Model, tokenizer, datasets, reward and callbacks, wired into a GRPOTrainer."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.trainer_callback import PrinterCallback, ProgressCallback
    from transformers.utils import logging as hf_logging

    from rlvr.data import build_datasets
    from rlvr.pretraining.flops import pretrain_compute
    from rlvr.pretraining.pretrain import ensure_base_model
    from rlvr.runfolder.checkpoints import CompletionMarker
    from rlvr.training.compute import ComputeLedger, FlopsPerToken, flops_params, recomputes_old_logps
    from rlvr.training.eval_schedule import make_evaluator
    from rlvr.training.reward import VerifierReward
    from rlvr.training.tracker import SampleWriter
    from rlvr.training.trainer import RLVRGRPOTrainer

    hf_logging.disable_progress_bar()  # no "Writing model shards" bar at every checkpoint; ours is the only bar
    torch.manual_seed(cfg.seed)
    verifier = cfg.make_verifier()
    if cfg.reward_cache:  # one verifier (and cache) for the reward and the evaluations
        from verifiers.cache import CachedVerifier

        verifier = CachedVerifier(verifier, cfg.reward_cache)
    model_path = ensure_base_model(cfg)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    positions = getattr(AutoConfig.from_pretrained(model_path), "max_position_embeddings", None)
    train_ds, heldout_ds = build_datasets(cfg, verifier, tokenizer, positions)  # fail fast, before loading weights
    model = AutoModelForCausalLM.from_pretrained(model_path, attn_implementation=cfg.attn_implementation)
    _quiet_tied_weights(model)
    args = grpo_args(cfg, run.checkpoints)
    if getattr(verifier, "limits", None) is not None and _is_main():  # after RLVR_CODE_* environment overrides
        run.note_env("verifier_limits", dataclasses.asdict(verifier.limits))

    is_main = _is_main()
    samples = SampleWriter(run, cfg.samples_cap, cfg.samples_per_step, is_main)
    reward_fn = VerifierReward(verifier, "reference", workers=cfg.reward_workers, on_batch=samples)

    n_params = flops_params(model)
    per_token = FlopsPerToken.for_grpo(
        n_params, cfg.num_iterations,
        recomputes_old_logps(args.gradient_accumulation_steps, args.steps_per_generation, args.num_iterations,
                             args.use_vllm, getattr(args, "vllm_importance_sampling_correction", True)),
        cfg.beta)
    ledger = ComputeLedger(per_token, n_params)
    wall_offset = max((r.get("time/wall", 0.0) for r in run.read(METRICS)), default=0.0)
    recorder = RunRecorder(run, wall_offset, samples)
    evaluator = make_evaluator(cfg, run, verifier, train_ds, heldout_ds, is_main)
    evaluator.row_extra = {"pretrain_flops": pretrain_compute(cfg, model_path)["pretrain_flops"]}
    trainer = RLVRGRPOTrainer(model=model, reward_funcs=[reward_fn], args=args, train_dataset=train_ds,
                              processing_class=tokenizer, fp32_generation=not cfg.bf16_generation,
                              share_prefill=cfg.share_prefill, share_prompt_forward=cfg.share_prompt_forward,
                              overlap_reward=cfg.overlap_reward,
                              inference_mode_generation=cfg.inference_mode_generation,
                              fit_logprob_chunk=cfg.fit_logprob_chunk, reserve_kv_cache=cfg.reserve_kv_cache,
                              fast_batch_prep=cfg.fast_batch_prep)
    for default in (ProgressCallback, PrinterCallback):  # our recorder owns the terminal (one bar, no dict dumps)
        trainer.remove_callback(default)
    # Ledger first, so every later callback (and every report_to tracker) sees the compute/* keys.
    handler = trainer.callback_handler
    handler.callbacks.insert(0, ledger)
    for cb in (recorder, DivergenceGuard(), evaluator, CompletionMarker(ledger)):
        handler.add_callback(cb)
    return trainer, ledger, reward_fn, recorder, evaluator


def _diverged(run: RunFolder, err: Diverged, value: str) -> UserError:
    """Record the divergence in events.jsonl (once, on rank 0) and turn it into the one-line error users see."""
    if _is_main():
        run.append(EVENTS, {"event": "diverged", "step": err.step, "key": err.key, "value": value})
    return UserError(str(err))


def _disk_full(path: Path, err: Exception) -> bool:
    if getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "No space left" in str(err):
        return True
    try:
        return shutil.disk_usage(path).free < 16 << 20
    except OSError:
        return False


class _TiedWeightsFilter(logging.Filter):
    """Drops transformers' resume warning that the checkpoint lacks the output projection when that projection is
    tied to the input embeddings: it is not saved because it is the same tensor, and loading restores it."""

    def __init__(self, tied: set[str]):
        super().__init__()
        self.tied = tied

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        prefix = "There were missing keys in the checkpoint model loaded: "
        if not msg.startswith(prefix):
            return True
        try:
            import ast

            missing = set(ast.literal_eval(msg[len(prefix):].rstrip(".")))
        except (ValueError, SyntaxError):
            return True
        return not missing <= self.tied


def _quiet_tied_weights(model) -> None:
    if getattr(model.config, "tie_word_embeddings", False):
        tied = {f"{name}.weight" for name, module in model.named_modules()
                if module is model.get_output_embeddings()}
        logging.getLogger("transformers.trainer").addFilter(_TiedWeightsFilter(tied))


def _pretrain_summary(cfg) -> dict:
    """The base model's pretraining compute beside the RL compute (None for a model not pretrained here)."""
    from rlvr.pretraining.flops import pretrain_compute
    from rlvr.pretraining.pretrain import model_cache_dir

    info = pretrain_compute(cfg, None if cfg.model_name_or_path else model_cache_dir(cfg))
    return {"pretrain_flops": info["pretrain_flops"], "pretrain_tokens": info["pretrain_tokens"],
            "pretrain_source": info["pretrain_source"]}


def _summary(cfg, run, step, ledger, recorder, evaluator, seconds) -> dict:
    """summary.json: compute from the ledger (restored with each checkpoint), counts and rows from the run folder,
    so every figure covers the whole run (every attempt, every process)."""
    metrics = [r for r in run.read(METRICS) if "step" in r and "event" not in r]
    last = max(metrics, key=lambda r: (r["step"], r.get("attempt", 0)), default={})
    return {
        "run_id": run.name, "experiment": cfg.experiment, "seed": cfg.seed,
        "steps": step, "max_steps": cfg.max_steps, "attempts": run.attempt, "compute_flops": ledger.flops,
        "compute_flops_generate": ledger.flops_generate, "compute_flops_train": ledger.flops_train,
        "tokens": ledger.tokens, "n_params_flops": ledger.n_params,
        **_pretrain_summary(cfg),
        **evaluator.summary(),
        "verifier_statuses": verifier_totals(run),
        "final_metrics": {k: v for k, v in last.items() if k.startswith(("reward", "compute/"))},
        "seconds_this_attempt": round(seconds, 1),
        "time_wall": last.get("time/wall"),
    }
