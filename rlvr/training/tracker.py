"""The local-first tracker: metrics.jsonl, samples.jsonl and the terminal progress bar.

JSONL in the run folder is the source of truth; TensorBoard / wandb / MLflow are optional views through TRL's
``report_to`` and their failures never stop training. Every metrics line carries ``step``, ``run_id``,
``attempt`` (incremented on each resume, so readers keep the last attempt per step), ``time/wall`` (seconds since
the run's first start, continued across resumes), ``time/step_seconds``, the compute ledger's cumulative
``compute/*`` and token counts, TRL's reward mean and the verifier's status counts. Only the main process writes
(``state.is_world_process_zero``), so ``accelerate launch`` works.
"""

from __future__ import annotations

import math
import time

from tqdm.auto import tqdm
from transformers import TrainerCallback

from rlvr.runfolder.folder import METRICS, SAMPLES, RunFolder

__all__ = ["RunRecorder", "SampleWriter"]


class SampleWriter:
    """Appends up to `per_batch` rows per reward batch to samples.jsonl, at most `cap` rows in total.

    Rows already in the file (earlier attempts) count against the cap, and a step that already has samples (a step
    replayed after a resume from an older checkpoint) writes none, so the file never holds duplicates."""

    def __init__(self, run: RunFolder, cap: int, per_batch: int, is_main: bool = True):
        self.run, self.cap, self.per_batch, self.is_main = run, cap, per_batch, is_main
        prior = run.read(SAMPLES)
        self.written = len(prior)
        self.done_steps = {r.get("step") for r in prior}
        self.step = 0

    def __call__(self, batch: dict) -> None:
        if not self.is_main or self.written >= self.cap or self.step in self.done_steps:
            return
        total = len(batch["completions"])
        take = min(self.per_batch, self.cap - self.written, total)
        picks = [i * total // take for i in range(take)]  # spread over the batch: different prompts, not one group
        rows = [{"step": self.step, "prompt": batch["prompts"][i], "completion": batch["completions"][i],
                 "reference": batch["references"][i], "reward": batch["rewards"][i], "status": batch["statuses"][i]}
                for i in picks]
        self.run.append(SAMPLES, rows)
        self.written += take


class RunRecorder(TrainerCallback):
    """Writes one strict-JSON metrics line per logged step and drives the progress bar."""

    def __init__(self, run: RunFolder, wall_offset: float = 0.0, samples: SampleWriter | None = None,
                 reward_name: str = "reward"):
        self.run = run
        self.run_id, self.attempt, self.wall_offset = run.name, run.attempt, wall_offset
        self.samples = samples
        self.reward_name = reward_name
        self.t_start = time.time()
        self.t_last = self.t_start
        self.step_last = 0
        self.bar: tqdm | None = None
        self.last_row: dict = {}

    def on_train_begin(self, args, state, control, **kwargs):
        self.step_last = state.global_step
        if state.is_world_process_zero:
            self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc="GRPO", unit="step",
                            dynamic_ncols=True)

    def on_step_begin(self, args, state, control, **kwargs):
        if self.samples is not None:
            self.samples.step = state.global_step + 1  # the step these completions will train

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or logs is None or "compute/flops" not in logs:
            return
        now = time.time()
        steps = max(1, state.global_step - self.step_last)
        step_seconds = (now - self.t_last) / steps
        row = {"step": state.global_step, "run_id": self.run_id, "attempt": self.attempt,
               "time/wall": round(self.wall_offset + now - self.t_start, 3), "time/unix": now,
               "time/step_seconds": round(step_seconds, 4)}
        row.update({k: v for k, v in logs.items() if isinstance(v, (int, float, str, bool)) or v is None})
        reward_seconds = logs.get("time/reward_seconds")
        if isinstance(reward_seconds, (int, float)) and step_seconds > 0:
            row["time/reward_fraction"] = reward_seconds / step_seconds
        self.run.append(METRICS, row)
        self.last_row = row
        self.t_last, self.step_last = now, state.global_step
        if self.bar is not None:
            reward = logs.get("reward", float("nan"))
            self.bar.n = state.global_step
            self.bar.set_postfix_str(f"reward={reward:.3f} flops={logs['compute/flops']:.3g}"
                                     if isinstance(reward, float) and math.isfinite(reward) else
                                     f"flops={logs['compute/flops']:.3g}", refresh=False)
            self.bar.refresh()

    def on_train_end(self, args, state, control, **kwargs):
        self.close()

    def close(self) -> None:
        """Close the progress bar (also when training stops on an exception, so the error is the last line)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
