"""Typed experiment config: one flat YAML file per experiment, command-line overrides on top.

    cfg = load_config("configs/demo.yaml", ["--learning_rate", "1e-4", "--seed", "3"])

Every field has a type and help text (``rlvr train --help`` lists them). Loading is strict, in the spirit of
TRL's ``TrlParser``: an unknown key (in the file or on the command line) is an error that names it and suggests
the closest known key; a value of the wrong type is an error naming the key, the value and the expected type.
YAML is read with `rlvr.yamlio.StrictLoader`, so ``1e-5`` is a float and ``yes`` is a string, never a bool.
Range checks live in ``__post_init__`` and say how to fix the value.

The GRPO-defining knobs (loss_type, beta, scale_rewards, num_generations, max_completion_length, temperature,
learning_rate) have defaults here, but every shipped config sets them explicitly: TRL has changed its defaults.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from rlvr.errors import UserError
from rlvr.yamlio import dump_yaml, load_yaml, parse_scalar

__all__ = ["ExperimentConfig", "load_config", "config_from_dict", "config_hash", "dump_config", "parse_overrides",
           "PRETRAIN_KEYS", "config_help"]


def _f(default, help_: str, **kw):
    """A dataclass field with help text (shown by --help and in the README table)."""
    if isinstance(default, list):
        return field(default_factory=lambda d=default: list(d), metadata={"help": help_, **kw})
    return field(default=default, metadata={"help": help_, **kw})


@dataclass
class ExperimentConfig:
    # --- experiment -------------------------------------------------------------------------------------------
    experiment: str = _f("demo", "Experiment name; part of the run folder name.")
    seed: int = _f(0, "Seed of the RL run: data order, sampling, training (and procedural data generation).")
    pretrain_seed: int = _f(0, "Seed of the tiny base model's pretraining. Separate from `seed`, so RL runs with "
                               "different seeds start from the same base model, as they would from a hub model.")
    output_dir: str = _f("runs", "Parent folder of run folders.")
    run_dir: str | None = _f(None, "Explicit run folder. Default: <output_dir>/<date>-<experiment>-...-<hash>.")

    # --- task and data ----------------------------------------------------------------------------------------
    task: str = _f("add", "Procedural task name (see rlvr/tasks/), or 'dataset' to read dataset_path.")
    verifier: str = _f("math", "Registered verifier that scores completions (see `rlvr verify --help`).")
    operand_max: int = _f(99, "Procedural tasks: operands are drawn from 0..operand_max.")
    train_size: int = _f(20000, "Procedural tasks: number of training problems.")
    heldout_size: int = _f(256, "Held-out benchmark size (disjoint from training, never trained on).")
    dataset_path: str | None = _f(None, "task=dataset: local .jsonl/.json file, or a Hugging Face dataset name.")
    dataset_config: str | None = _f(None, "task=dataset: Hugging Face dataset config name (e.g. 'main').")
    dataset_train_split: str = _f("train", "task=dataset: split to train on.")
    dataset_eval_split: str | None = _f(None, "task=dataset: held-out split; None holds out heldout_size rows.")
    question_column: str = _f("question", "task=dataset: column with the problem text.")
    answer_column: str = _f("answer", "task=dataset: column with the reference answer.")
    answer_regex: str | None = _f(None, "task=dataset: regex whose group 1 extracts the reference from the answer "
                                        "column (GSM8K: '####\\s*(.+)$').")
    prompt_template: str = _f("{question}", "Prompt text; '{question}' is replaced by the problem.")
    use_chat_template: bool = _f(False, "Wrap prompts as chat messages (instruct models).")

    # --- model ------------------------------------------------------------------------------------------------
    model_name_or_path: str | None = _f(None, "Base model: a local HF folder or hub name. None builds the tiny "
                                              "local model with `rlvr pretrain` (cached by its settings).")
    hidden_size: int = _f(128, "Tiny model: width.")
    num_layers: int = _f(4, "Tiny model: depth (transformer blocks).")
    num_heads: int = _f(4, "Tiny model: attention heads (must divide hidden_size).")
    intermediate_size: int = _f(512, "Tiny model: MLP width.")
    pretrain_steps: int = _f(1500, "Tiny model: pretraining steps.")
    pretrain_batch_size: int = _f(128, "Tiny model: pretraining batch size (sequences).")
    pretrain_lr: float = _f(3e-3, "Tiny model: peak AdamW learning rate (warm-up then cosine decay).")
    pretrain_answer_fraction: float = _f(0.4, "Tiny model: fraction of pretraining examples whose completion is "
                                              "the correct answer; the rest follow a distractor mode, so that "
                                              "pass@k is well above pass@1 and RL has something to sharpen.")
    cache_dir: str | None = _f(None, "Where pretrained tiny models are cached. Default: $RLVR_CACHE or "
                                     "~/.cache/rlvr.")

    # --- GRPO (TRL GRPOConfig) --------------------------------------------------------------------------------
    max_steps: int = _f(256, "Optimizer steps of GRPO.")
    learning_rate: float = _f(1e-4, "AdamW learning rate of the policy.")
    warmup_steps: int = _f(10, "Linear warm-up steps.")
    lr_scheduler_type: str = _f("constant_with_warmup", "transformers scheduler name.")
    weight_decay: float = _f(0.0, "AdamW weight decay.")
    max_grad_norm: float = _f(1.0, "Gradient clipping norm.")
    loss_type: str = _f("dapo", "TRL loss_type: grpo, dapo, dr_grpo, bnpo, ...")
    beta: float = _f(0.0, "KL coefficient; 0 skips the reference model (no extra forward pass).")
    scale_rewards: str = _f("group", "TRL scale_rewards: group, batch or none.")
    num_generations: int = _f(8, "Completions per prompt (the GRPO group size); at least 2.")
    prompts_per_step: int = _f(32, "Distinct prompts per optimizer step.")
    gradient_accumulation_steps: int = _f(1, "Micro-batches per optimizer step.")
    num_iterations: int = _f(1, "Optimisation passes per generated batch (TRL's mu).")
    epsilon: float = _f(0.2, "PPO clip range.")
    max_prompt_length: int | None = _f(None, "Prompts longer than this many tokens are rejected at dataset build.")
    max_completion_length: int = _f(8, "Maximum generated tokens per completion.")
    temperature: float = _f(1.0, "Sampling temperature during training.")
    top_p: float = _f(1.0, "Nucleus sampling during training.")
    mask_truncated_completions: bool = _f(False, "Exclude completions cut at max_completion_length from the loss.")
    use_vllm: bool = _f(False, "Generate with vLLM through TRL (GPU users).")
    vllm_mode: str = _f("colocate", "TRL vllm_mode: colocate or server.")
    bf16: bool = _f(False, "bfloat16 training (GPU users).")
    gradient_checkpointing: bool = _f(False, "Trade compute for memory (large models).")
    reward_workers: int = _f(1, "Parallel workers for the verifier's batch path.")
    report_to: str = _f("none", "Extra trackers through TRL: none, tensorboard, wandb, mlflow (JSONL is always on).")

    # --- evaluation at log-spaced RL compute ------------------------------------------------------------------
    eval_points_per_decade: int = _f(3, "Evaluations per 10x of RL compute (the base model is evaluated first).")
    eval_problems: int = _f(256, "Held-out problems per evaluation (<= heldout_size).")
    eval_samples_per_problem: int = _f(8, "Samples per problem (n) for pass@1 and pass@k.")
    eval_k: list[int] = _f([8], "k values for unbiased pass@k (each <= eval_samples_per_problem).")
    eval_temperature: float = _f(1.0, "Sampling temperature at evaluation.")
    eval_max_new_tokens: int | None = _f(None, "Generation length at evaluation. None: max_completion_length.")
    eval_batch_size: int = _f(1024, "Sequences generated at once during evaluation.")

    # --- run folder -------------------------------------------------------------------------------------------
    save_steps: int = _f(32, "Checkpoint every this many steps (and at every evaluation).")
    save_total_limit: int = _f(2, "Checkpoints kept.")
    samples_cap: int = _f(2000, "Maximum rows written to samples.jsonl.")
    samples_per_step: int = _f(4, "Completions per step written to samples.jsonl (until samples_cap).")

    def __post_init__(self) -> None:
        checks = [
            (self.num_generations >= 2, "num_generations", "GRPO needs at least 2 completions per prompt; use 8"),
            (self.prompts_per_step >= 1, "prompts_per_step", "use a positive number such as 32"),
            ((self.prompts_per_step * self.num_generations) % self.gradient_accumulation_steps == 0,
             "gradient_accumulation_steps", "must divide prompts_per_step * num_generations"),
            (self.max_steps >= 1, "max_steps", "use a positive number of steps"),
            (self.learning_rate > 0, "learning_rate", "use a positive float such as 1e-4"),
            (self.beta >= 0, "beta", "use 0 (no KL) or a positive coefficient"),
            (self.temperature > 0, "temperature", "use a positive float such as 1.0"),
            (0 < self.top_p <= 1, "top_p", "use a float in (0, 1]"),
            (self.max_completion_length >= 1, "max_completion_length", "use a positive token count"),
            (self.num_iterations >= 1, "num_iterations", "use 1 or more"),
            (self.scale_rewards in ("group", "batch", "none"), "scale_rewards", "use group, batch or none"),
            (self.hidden_size % max(self.num_heads, 1) == 0 and self.num_heads >= 1, "num_heads",
             "must be positive and divide hidden_size"),
            (min(self.hidden_size, self.num_layers, self.intermediate_size) >= 1, "hidden_size",
             "model sizes must be positive"),
            (0 < self.pretrain_answer_fraction <= 1, "pretrain_answer_fraction", "use a fraction in (0, 1]"),
            (self.eval_points_per_decade >= 1, "eval_points_per_decade", "use 1 or more"),
            (1 <= self.eval_problems <= self.heldout_size, "eval_problems", "use 1..heldout_size"),
            (self.eval_samples_per_problem >= 1, "eval_samples_per_problem", "use 1 or more"),
            (all(1 <= k <= self.eval_samples_per_problem for k in self.eval_k), "eval_k",
             "each k must be in 1..eval_samples_per_problem"),
            (self.reward_workers >= 1, "reward_workers", "use 1 or more"),
            (self.save_steps >= 1 and self.save_total_limit >= 1, "save_steps", "use positive numbers"),
            (self.operand_max >= 1 and self.train_size >= 1 and self.heldout_size >= 1, "train_size",
             "sizes must be positive"),
            ("{question}" in self.prompt_template, "prompt_template", "must contain '{question}'"),
        ]
        for ok, key, fix in checks:
            if not ok:
                raise UserError(f"config key '{key}' has an invalid value {getattr(self, key)!r}: {fix}")

    # Convenience views -----------------------------------------------------------------------------------------
    @property
    def generation_batch_size(self) -> int:
        return self.prompts_per_step * self.num_generations

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# Keys that define the tiny base model; its cache folder is keyed by their values.
PRETRAIN_KEYS = ("task", "operand_max", "heldout_size", "prompt_template", "pretrain_seed", "hidden_size",
                 "num_layers", "num_heads", "intermediate_size", "pretrain_steps", "pretrain_batch_size",
                 "pretrain_lr", "pretrain_answer_fraction")
_FIELDS = {f.name: f for f in dataclasses.fields(ExperimentConfig)}
_HINTS = typing.get_type_hints(ExperimentConfig)


def _type_name(tp) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(key: str, value, tp):
    """Return `value` as type `tp`, or raise UserError naming the key. Never guesses across types."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(key, value, inner)
    if origin is list:
        if not isinstance(value, list):
            value = [value] if not isinstance(value, str) else [parse_scalar(v) for v in value.split(",")]
        return [_coerce(key, v, args[0]) for v in value]
    fix = {str: "Quote it in YAML if you meant text.", bool: "Write true or false."}.get(
        tp, f"Write a plain {_type_name(tp)}.")
    bad = UserError(f"config key '{key}' expects {_type_name(tp)}, got {value!r} ({type(value).__name__}). {fix}")
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise bad
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)  # 1e3 steps is fine; 1.5 steps is not
        raise bad
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # '1e-5' that slipped through another YAML parser
            try:
                return float(value)
            except ValueError:
                raise bad from None
        raise bad
    if tp is str:
        if isinstance(value, str):
            return value
        raise bad
    raise AssertionError(f"unsupported config field type {tp} for {key}")


def _unknown_key(key: str, source: str) -> UserError:
    close = difflib.get_close_matches(key, list(_FIELDS), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return UserError(f"unknown config key '{key}' in {source}.{hint} `rlvr train --help` lists every key.")


def config_from_dict(values: dict, source: str = "config") -> ExperimentConfig:
    """Build a config from a plain dict, checking keys and types."""
    if not isinstance(values, dict):
        raise UserError(f"{source} must be a mapping of key: value, got {type(values).__name__}")
    kwargs = {}
    for key, value in values.items():
        if key not in _FIELDS:
            raise _unknown_key(str(key), source)
        kwargs[key] = _coerce(key, value, _HINTS[key])
    return ExperimentConfig(**kwargs)


def parse_overrides(overrides: list[str]) -> dict:
    """`['--lr', '1e-4', '--seed=3']` -> {'lr': 1e-4, 'seed': 3} (values parsed as YAML scalars)."""
    out, i = {}, 0
    while i < len(overrides):
        token = overrides[i]
        if not token.startswith("--") or len(token) < 3:
            raise UserError(f"expected an override like --key value, got {token!r}")
        key, eq, value = token[2:].partition("=")
        if not eq:
            if i + 1 >= len(overrides):
                raise UserError(f"override --{key} has no value; write --{key} VALUE")
            value, i = overrides[i + 1], i + 1
        key = key.replace("-", "_")
        if key not in _FIELDS:
            raise _unknown_key(key, "command-line overrides")
        out[key] = parse_scalar(value) if value != "" else ""
        i += 1
    return out


def load_config(path: str | Path, overrides: list[str] | None = None) -> tuple[ExperimentConfig, dict]:
    """Load a YAML config and apply `--key value` overrides. Returns (config, the overrides as a dict)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"config file {str(path)!r} not found; pass a YAML file such as configs/demo.yaml")
    values = load_yaml(path.read_text(), str(path)) or {}
    if not isinstance(values, dict):
        raise UserError(f"{path} must be a mapping of key: value")
    for key in values:
        if key not in _FIELDS:
            raise _unknown_key(str(key), str(path))
    override_values = parse_overrides(overrides or [])
    cfg = config_from_dict({**values, **override_values}, source=str(path))
    return cfg, override_values


def config_hash(values: dict, keys: typing.Iterable[str] | None = None) -> str:
    """Short stable hash of (a subset of) config values; names run folders and model caches."""
    chosen = {k: values[k] for k in (keys or sorted(values))}
    blob = json.dumps(chosen, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:8]


def dump_config(cfg: ExperimentConfig) -> str:
    return dump_yaml(cfg.to_dict())


def config_help() -> str:
    """One line per key: name, type, default, help (used by --help and the README)."""
    lines = []
    for f in dataclasses.fields(ExperimentConfig):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        lines.append(f"  --{f.name} ({_type_name(_HINTS[f.name])}, default {default!r}): {f.metadata['help']}")
    return "\n".join(lines)
