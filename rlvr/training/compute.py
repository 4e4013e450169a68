"""The compute ledger: RL FLOPs per step, counted from token numbers, in one documented place.

What counts as RL compute (the x-axis of every scaling plot):

- N, the parameter count, is the non-embedding parameters plus the output projection (`lm_head`): the input
  embedding is a table lookup, not a matmul, while the output projection is a real (N_vocab x d) matmul for every
  token. With tied embeddings the shared matrix is counted once, as the output projection. See `flops_params`.
- Generation: 2N FLOPs per processed token (prompt prefill + every sampled token; one forward of a matmul costs
  2 FLOPs per weight per token, as in Kaplan et al. 2020 and nanoGPT's `estimate_flops`).
- Policy update: 6N per trained token (forward 2N + backward 4N) for every optimisation pass over the batch
  (TRL's `num_iterations`).
- Extra forwards TRL makes: 2N per token for the old-policy log-probs when TRL recomputes them
  (`gradient_accumulation_steps % (steps_per_generation * num_iterations) != 0`, or vLLM importance sampling)
  and 2N per token for the reference model when `beta > 0`.

Departures, on purpose: attention score FLOPs (2 * n_layer * ctx * d per token) are left out: at the context
lengths of the tasks here they are < 5% of 2N; padding tokens are not counted (TRL's `num_tokens` counts
attention-mask tokens only); evaluation FLOPs are recorded separately and never counted as RL compute.

`ComputeLedger` is a TRL/transformers `TrainerCallback`. It reads TRL's cumulative `num_tokens` (prompt +
completion tokens of every generated batch, gathered over processes) from each log, converts the increase into
FLOPs and writes cumulative `compute/*` keys into the same log dict, so every metrics line (and every tracker)
carries them. Its state is saved next to each checkpoint and restored on resume.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from transformers import TrainerCallback

__all__ = ["flops_params", "FlopsPerToken", "ComputeLedger", "LEDGER_FILE"]

LEDGER_FILE = "ledger.json"


def flops_params(model) -> int:
    """N for FLOP counting: all parameters minus the input embedding, plus the output projection.

    >>> flops_params(model)   # the demo model (width 128, 4 layers, tied embeddings): 1062528
    """
    seen: set[int] = set()
    total = 0
    for p in model.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            total += p.numel()
    inp, out = model.get_input_embeddings(), model.get_output_embeddings()
    n = total - inp.weight.numel()
    if out is not None:
        n += out.weight.numel()  # tied: added back once as the output matmul; untied: already in total once
        if out.weight is not inp.weight:
            n -= out.weight.numel()
    return int(n)


FORWARD_FLOPS = 2.0  # per parameter per token: one multiply-add per weight
TRAIN_FLOPS = 6.0  # per parameter per token: forward (2) + backward (4)


def forward_flops(n_params: int, tokens: int) -> float:
    """FLOPs of `tokens` forward tokens through `n_params` parameters (generation, evaluation, extra passes)."""
    return FORWARD_FLOPS * n_params * tokens


@dataclass(frozen=True)
class FlopsPerToken:
    """FLOPs charged per token for each phase of a GRPO step (see module docstring)."""

    generate: float
    train: float  # all optimisation passes together
    extra_forward: float  # old-policy log-probs + reference model

    @classmethod
    def for_grpo(cls, n_params: int, num_iterations: int, recompute_old_logps: bool, beta: float) -> FlopsPerToken:
        extra = int(recompute_old_logps) + int(beta > 0)
        return cls(generate=FORWARD_FLOPS * n_params, train=TRAIN_FLOPS * n_params * num_iterations,
                   extra_forward=FORWARD_FLOPS * n_params * extra)

    @property
    def total(self) -> float:
        return self.generate + self.train + self.extra_forward


def recomputes_old_logps(gradient_accumulation_steps: int, steps_per_generation: int, num_iterations: int,
                         use_vllm: bool = False, vllm_importance_sampling_correction: bool = True) -> bool:
    """Mirror of TRL 1.16's rule for the extra old-log-prob forward pass (grpo_trainer.py)."""
    generate_every = steps_per_generation * num_iterations
    return gradient_accumulation_steps % generate_every != 0 or (use_vllm and vllm_importance_sampling_correction)


class ComputeLedger(TrainerCallback):
    """Adds cumulative RL FLOPs to every log: `compute/flops`, `compute/flops_generate`, `compute/flops_train`.

    `compute/flops_train` includes the extra forward passes. Token counts: `tokens/total` (cumulative processed
    tokens), `tokens/step` (this log's increase).
    """

    def __init__(self, per_token: FlopsPerToken, n_params: int):
        self.per_token = per_token
        self.n_params = n_params
        self.tokens = 0  # cumulative tokens processed by generation (prompt + completion)
        self.flops_generate = 0.0
        self.flops_train = 0.0

    @property
    def flops(self) -> float:
        return self.flops_generate + self.flops_train

    def add_tokens(self, new_tokens: int) -> None:
        assert new_tokens >= 0, f"token counter went backwards by {-new_tokens}"
        self.tokens += new_tokens
        self.flops_generate += self.per_token.generate * new_tokens
        self.flops_train += (self.per_token.train + self.per_token.extra_forward) * new_tokens

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is None or "num_tokens" not in logs:
            return  # not a training log (e.g. the final train summary)
        seen = int(round(logs["num_tokens"]))
        step_tokens = seen - self.tokens
        self.add_tokens(step_tokens)
        logs.update({
            "compute/flops": self.flops,
            "compute/flops_generate": self.flops_generate,
            "compute/flops_train": self.flops_train,
            "tokens/total": self.tokens,
            "tokens/step": step_tokens,
        })

    # Checkpoint state --------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"tokens": self.tokens, "flops_generate": self.flops_generate, "flops_train": self.flops_train,
                "n_params": self.n_params, "per_token": asdict(self.per_token)}

    def save(self, folder: str | Path) -> None:
        (Path(folder) / LEDGER_FILE).write_text(json.dumps(self.state_dict(), indent=2))

    def load(self, folder: str | Path) -> None:
        state = json.loads((Path(folder) / LEDGER_FILE).read_text())
        if state["n_params"] != self.n_params or state["per_token"] != asdict(self.per_token):
            raise ValueError(f"checkpoint {folder} was counted with different FLOP constants {state['per_token']}; "
                             "it belongs to a different model or GRPO setting")
        self.tokens, self.flops_generate, self.flops_train = (
            int(state["tokens"]), float(state["flops_generate"]), float(state["flops_train"]))
