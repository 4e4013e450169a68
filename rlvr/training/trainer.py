"""TRL's `GRPOTrainer` with one hook: the training completions can be sampled in fp32 inside a bf16 run.

accelerate wraps the policy's forward in bf16 autocast when `bf16` is on. That pays in the loss forward and
backward (large batched matmuls), but at the tiny models' decode steps (a few hundred rows, one token each) casting
the weights at every step costs more than the bf16 matmuls save: the code demo's generation took 179 ms per step
with autocast against 150 ms without (docs/performance.md). With ``bf16_generation: false`` (the default) the
completions are sampled from the fp32 weights, as on the plain path; everything else is TRL's, unchanged.
"""

from __future__ import annotations

from trl import GRPOTrainer

from rlvr.evaluation.evaluate import full_precision

__all__ = ["RLVRGRPOTrainer"]


class RLVRGRPOTrainer(GRPOTrainer):
    """`GRPOTrainer`; `fp32_generation=True` samples outside the bf16 autocast (see module docstring)."""

    def __init__(self, *args, fp32_generation: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fp32_generation = fp32_generation

    def _generate_single_turn(self, *args, **kwargs):
        if not self.fp32_generation:
            return super()._generate_single_turn(*args, **kwargs)
        with full_precision(self.model):
            return super()._generate_single_turn(*args, **kwargs)
