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
import typing
from dataclasses import dataclass, field

from rlvr.errors import UserError
from rlvr.yamlio import dump_yaml, load_yaml
from verifiers.options import OptionError, coerce_value

__all__ = ["ExperimentConfig", "config_from_dict", "config_hash", "dump_config", "PRETRAIN_KEYS", "option_defaults",
           "IDENTITY_BASELINE"]

# The options whose defaults come from a plugin.
_OPTION_KEYS = {"task_options", "verifier_options"}


def _f(default, help_: str, **kw):
    """A dataclass field with help text (shown by --help and in the README table)."""
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help_, **kw})
    return field(default=default, metadata={"help": help_, **kw})


@dataclass
class ExperimentConfig:
    # Keys that say where a run is written, not what it is (not part of its identity).
    LOCATION_KEYS: typing.ClassVar[frozenset] = frozenset({"output_dir", "run_dir", "cache_dir"})
    # Speed options that cannot change results (rlvr/training/speed.py): not part of the identity either.
    EXACT_SPEED_KEYS: typing.ClassVar[frozenset] = frozenset({"gradient_checkpointing", "reward_cache",
                                                               "overlap_reward", "inference_mode_generation",
                                                               "fit_logprob_chunk", "reserve_kv_cache",
                                                               "fast_batch_prep"})

    # --- experiment -------------------------------------------------------------------------------------------
    experiment: str = _f("demo", "Experiment name; part of the run folder name.")
    seed: int = _f(0, "Seed of the RL run: data order, sampling, training (and procedural data generation).")
    pretrain_seed: int = _f(0, "Seed of the tiny base model's pretraining. Separate from `seed`, so RL runs with "
                               "different seeds start from the same base model, as they would from a hub model.")
    output_dir: str = _f("runs", "Parent folder of run folders.")
    run_dir: str | None = _f(None, "Explicit run folder. Default: <output_dir>/<date>-<experiment>-...-<hash>.")

    # --- task and data ----------------------------------------------------------------------------------------
    task: str = _f("add", "Procedural task name (see rlvr/tasks/), or 'dataset' to read dataset_path.")
    task_options: dict = _f({}, "Options of the task, e.g. {operand_max: 99, train_size: 20000}; each task's "
                                "options are listed below. Stored complete (defaults filled in) in config.yaml.")
    verifier: str | None = _f(None, "Registered verifier that scores completions. None: the task's own (add: math, "
                                    "linfn: code, dataset: math).")
    verifier_options: dict = _f({}, "Options of the verifier, e.g. {wall_seconds: 5, memory_bytes: 536870912} for "
                                    "code; listed below. Part of the run's identity.")
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
    pretrain_prompt_loss: bool = _f(False, "Tiny model: also train on the prompt's tokens, as language-model "
                                           "pretraining does (in a few-shot prompt the later examples' outputs "
                                           "are predictable); False trains on the completion only.")
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
    # Speed options (rlvr/training/speed.py, docs/performance.md); rlvr.training.speed.PLAIN turns them all off.
    bf16: bool | None = _f(None, "bfloat16 mixed precision (autocast, fp32 master weights; evaluation stays fp32). "
                                 "None: on where the CPU computes bf16 natively (avx512_bf16 / amx_bf16), about "
                                 "2x the matmul speed of fp32 there; off elsewhere. GPU users set true. Changes "
                                 "results within noise, so it is part of the run identity when on.")
    bf16_generation: bool = _f(False, "With bf16 on, also sample the training completions under bf16 autocast. "
                                      "Off: sampled from the fp32 weights (faster for the code demo's h64 model, "
                                      "slower for the demo's h128: docs/performance.md). Part of the identity when "
                                      "on.")
    share_prefill: bool = _f(True, "Prefill each prompt once per GRPO step, its last token included, and copy "
                                   "its KV cache and first-token logits to its num_generations rows, instead of "
                                   "prefilling every copy. Same random draws; "
                                   "completions differ only by float rounding. Part of the identity when on.")
    share_prompt_forward: bool = _f(True, "In the loss forward, run each distinct prompt once and index its keys "
                                          "and values out to its num_generations rows (gradients flow back "
                                          "through the index). Log-probs and gradients equal TRL's up to float "
                                          "rounding; the FLOPs ledger still counts every row. Part of the "
                                          "identity when on.")
    inference_mode_generation: bool = _f(True, "Sample the training completions under torch.inference_mode() "
                                               "instead of TRL's no_grad(): less autograd bookkeeping per op "
                                               "(7-10% of a decode step here). Exact, so not part of the run "
                                               "identity.")
    fit_logprob_chunk: bool = _f(True, "TRL's fused log-prob head tiles the vocabulary in chunks of 32768 columns "
                                       "and allocates a [4096 x 32768] buffer in every loss forward and backward, "
                                       "however small the vocabulary; true sizes the chunk to the vocabulary when "
                                       "that is smaller (the same single tile, the same numbers, without touching "
                                       "a fresh 256 MB buffer each call). Exact, so not part of the run identity.")
    reserve_kv_cache: bool = _f(True, "With share_prefill, sample the training completions into a KV cache with "
                                      "room for max_completion_length more positions, written in place, instead "
                                      "of transformers' cache that concatenates (copies) every layer's keys and "
                                      "values at each decode step. Exact (the same numbers in the same order), so "
                                      "not part of the run identity.")
    fast_batch_prep: bool = _f(True, "Build each GRPO batch with vectorised stand-ins for TRL's per-row loops: "
                                     "pad the 1-D rows with one pad_sequence call and tokenise each distinct "
                                     "plain-text prompt once (rlvr/training/batching.py). The same tensors and "
                                     "ids, so exact and not part of the run identity.")
    gradient_checkpointing: bool = _f(False, "Recompute activations in the backward pass: trades compute for "
                                             "memory (large models). Off unless set (TRL 1.16 turns it on by "
                                             "default; the loop ran with it before the speed options).")
    attn_implementation: str | None = _f(None, "transformers attention kernel of the policy: eager (plain "
                                                "matmuls, fastest at the tiny models' lengths) or sdpa (the "
                                                "transformers default, better for long sequences). None: eager for "
                                                "the tiny local model, sdpa for model_name_or_path. Part of the "
                                                "run identity when eager.")
    reward_cache: int = _f(100_000, "Verdicts remembered for repeated (completion, reference) pairs (GRPO groups "
                                    "and evaluation samples repeat themselves): each distinct pair is verified "
                                    "once. Timeouts and unscorable verdicts are never kept. 0 turns it off. "
                                    "Exact, so not part of the run identity.")
    overlap_reward: bool = _f(False, "Verify finished completions in a background thread while the rest of "
                                     "the batch is sampled (verifiers that work in other processes, the code "
                                     "sandbox; needs reward_cache). For sampling on a GPU, where the CPU idles "
                                     "while it decodes; on 2 CPU cores a net loss (docs/performance.md). The same "
                                     "verdicts and counts, so not part of the run identity.")
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
    test_time_samples: int = _f(64, "`rlvr demo`'s test-time compute: samples per problem at the base model and the "
                                "final checkpoint (pass@k / maj@k for k = 1, 2, 4, ... up to it).")
    eval_benchmarks: list[dict] = _f([], "Benchmarks tracked at every evaluation, each a mapping with a `name` "
                                         "and a source (docs/benchmarks.md). Empty: the training task's "
                                         "held-out split only.")

    # --- run folder -------------------------------------------------------------------------------------------
    save_steps: int = _f(32, "Checkpoint every this many steps (and at every evaluation).")
    save_total_limit: int = _f(2, "Checkpoints kept.")
    samples_cap: int = _f(2000, "Maximum rows written to samples.jsonl.")
    samples_per_step: int = _f(4, "Completions per step written to samples.jsonl (until samples_cap).")

    def __post_init__(self) -> None:
        self._resolve_plugins()
        if self.bf16 is None:  # resolved here, so config.yaml records what the run did
            from rlvr.config.hardware import native_bf16

            self.bf16 = native_bf16()
        if self.attn_implementation is None:
            self.attn_implementation = "sdpa" if self.model_name_or_path else "eager"
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
            (self.test_time_samples >= 1, "test_time_samples", "use 1 or more"),
            (all(1 <= k <= self.eval_samples_per_problem for k in self.eval_k), "eval_k",
             "each k must be in 1..eval_samples_per_problem"),
            (self.reward_workers >= 1, "reward_workers", "use 1 or more"),
            (self.reward_cache >= 0, "reward_cache", "use 0 (off) or a number of verdicts such as 100000"),
            (self.attn_implementation in ("eager", "sdpa"), "attn_implementation", "use eager or sdpa"),
            (self.save_steps >= 1 and self.save_total_limit >= 1, "save_steps", "use positive numbers"),
            (self.heldout_size >= 1, "heldout_size", "use a positive size"),
            (self.task != "dataset" or bool(self.model_name_or_path), "model_name_or_path",
             "task 'dataset' needs a base model: set model_name_or_path to a local Hugging Face model folder (or a "
             "hub name); the tiny local model is pretrained only on procedural tasks"),
            ("{question}" in self.prompt_template, "prompt_template", "must contain '{question}'"),
        ]
        for ok, key, fix in checks:
            if not ok:
                raise UserError(f"config key '{key}' has an invalid value {getattr(self, key)!r}: {fix}")
        from rlvr.evaluation.specs import parse_specs

        parse_specs(self)  # each benchmark's keys and values; errors name the benchmark and the key

    def _resolve_plugins(self) -> None:
        """Check task/verifier names and their options; store the options complete (defaults filled in)."""
        from verifiers import get_verifier_class
        from verifiers.options import build_options, options_to_dict

        task_cls = _task_class(self.task)
        if self.verifier is None:
            self.verifier = task_cls.verifier if task_cls is not None else "math"
        try:
            verifier_cls = get_verifier_class(self.verifier)
        except ValueError as err:
            raise UserError(f"config key 'verifier': {err}") from None
        if task_cls is not None:
            self.task_options = options_to_dict(build_options(task_cls.Options, self.task_options,
                                                              f"task '{self.task}'"))
        elif self.task_options:
            raise UserError(f"task 'dataset' takes no task_options (got {sorted(self.task_options)}); its keys are "
                            "top-level (dataset_path, question_column, ...)")
        self.verifier_options = options_to_dict(build_options(verifier_cls.Options, self.verifier_options,
                                                              f"verifier '{self.verifier}'"))

    def make_task(self):
        """The configured procedural task (None for task 'dataset')."""
        from rlvr.tasks import get_task

        return None if self.task == "dataset" else get_task(self.task, self.task_options)

    def make_verifier(self):
        """A fresh instance of the configured verifier with its options. Close it when done."""
        from verifiers import get_verifier

        return get_verifier(self.verifier, **self.verifier_options)

    # Identity and serialisation: all a run folder needs of a config -----------------------------------------
    def identity(self) -> str:
        """Hash of the values that differ from the defaults (location keys and exact speed options excluded; a
        result-changing speed option compared with its `IDENTITY_BASELINE`), plugin options included the same way.
        Keys and options added later with a default therefore leave existing runs' identities unchanged."""
        defaults = {**ExperimentConfig().to_dict(), **IDENTITY_BASELINE}
        skip = self.LOCATION_KEYS | self.EXACT_SPEED_KEYS | _OPTION_KEYS
        values = {k: v for k, v in self.to_dict().items() if k not in skip and v != defaults.get(k)}
        for key, plugin_defaults in option_defaults(self).items():
            changed = {k: v for k, v in getattr(self, key).items() if plugin_defaults.get(k) != v}
            if changed:
                values[key] = changed
        return config_hash(values)

    def to_yaml(self) -> str:
        """The fully resolved config as YAML (a run's config.yaml)."""
        return dump_yaml(self.to_dict())

    @classmethod
    def from_yaml(cls, text: str, source: str) -> ExperimentConfig:
        """A config from YAML text (a run's config.yaml); ValueError (a UserError) naming `source` when bad. A
        result-changing key the file lacks (written before the key existed) takes its `IDENTITY_BASELINE` value."""
        values = load_yaml(text, source) or {}
        if isinstance(values, dict):  # a config.yaml is written complete: a missing speed key predates the key
            values = {**{k: v for k, v in IDENTITY_BASELINE.items() if k not in values}, **values}
        return config_from_dict(values, source)

    # Convenience views -----------------------------------------------------------------------------------------
    @property
    def generation_batch_size(self) -> int:
        return self.prompts_per_step * self.num_generations

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# For the run identity, the value each result-changing speed option had before it existed (the plain path): a run
# at this value hashes as it always did, whatever the key's default is now (rlvr/training/speed.py).
IDENTITY_BASELINE: dict = {"bf16": False, "attn_implementation": "sdpa", "bf16_generation": False,
                           "share_prefill": False, "share_prompt_forward": False}

# Keys that define the tiny base model; its cache folder is keyed by their values.
PRETRAIN_KEYS = ("task", "task_options", "heldout_size", "prompt_template", "pretrain_seed", "hidden_size",
                 "num_layers", "num_heads", "intermediate_size", "pretrain_steps", "pretrain_batch_size",
                 "pretrain_lr", "pretrain_answer_fraction", "pretrain_prompt_loss")
def _task_class(name: str):
    """The task class named `name`, None for 'dataset'; a UserError naming the key otherwise."""
    if name == "dataset":
        return None
    from rlvr.tasks import get_task_class

    try:
        return get_task_class(name)
    except ValueError as err:
        raise UserError(f"config key 'task': {err}") from None


_FIELDS = {f.name: f for f in dataclasses.fields(ExperimentConfig)}
_MAPPING_KEYS = ("task_options", "verifier_options")
_HINTS = typing.get_type_hints(ExperimentConfig)


def _coerce(key: str, value, tp):
    """Return `value` as type `tp`, or raise UserError naming the key. Never guesses across types."""
    inner = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
    if inner == [float] and isinstance(value, str):  # '1e-5' that slipped through another YAML parser
        try:
            return float(value)
        except ValueError:
            pass
    try:
        return coerce_value(key, value, tp, "config")
    except OptionError as err:
        raise UserError(str(err)) from None


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


def option_defaults(cfg: ExperimentConfig) -> dict[str, dict]:
    """The default options of the configured task and verifier: {"task_options": {...}, "verifier_options": {...}}."""
    from verifiers import get_verifier_class
    from verifiers.options import NoOptions, options_to_dict

    task_cls = _task_class(cfg.task)
    return {"task_options": options_to_dict((task_cls.Options if task_cls else NoOptions)()),
            "verifier_options": options_to_dict(get_verifier_class(cfg.verifier).Options())}


def config_hash(values: dict, keys: typing.Iterable[str] | None = None) -> str:
    """Short stable hash of (a subset of) config values; names run folders and model caches."""
    chosen = {k: values[k] for k in (keys or sorted(values))}
    blob = json.dumps(chosen, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:8]


def dump_config(cfg: ExperimentConfig) -> str:
    return dump_yaml(cfg.to_dict())


