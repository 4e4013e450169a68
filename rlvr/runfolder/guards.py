"""Guards that keep a run from reporting a wrong number: divergence, the resume point, run-wide totals.

    guard = DivergenceGuard()            # a TrainerCallback: non-finite loss / grad norm -> `Diverged`, no checkpoint
    ckpt = resume_point(run, world_size) # newest *intact* checkpoint (damaged ones skipped, with one line why)
    totals = verifier_totals(run)        # verdict counts over every attempt and every process

Why each exists:
- A diverged policy (learning rate far too high) produces NaN gradient norms, then NaN logits, and the next
  generation dies inside ``torch.multinomial`` with a 40-line traceback. The guard stops at the first
  non-finite loss or gradient norm, before that step is evaluated or checkpointed, so no NaN weights are ever
  saved; `rlvr train` records a ``diverged`` event and exits with one line saying what and where.
- A checkpoint marked complete can still lose a file later; resuming from it silently restarts the optimizer.
- Totals kept in memory cover one attempt of one process; metrics.jsonl covers them all.
"""

from __future__ import annotations

import logging
import math

from transformers import TrainerCallback

from rlvr.errors import UserError
from rlvr.runfolder.folder import METRICS, RunFolder
from rlvr.runfolder.jsonl import latest_per_key

__all__ = ["Diverged", "DivergenceGuard", "resume_point", "verifier_totals"]

logger = logging.getLogger(__name__)
WATCHED = ("loss", "grad_norm")  # what TRL logs every step; NaN logits show up in both within a step


class Diverged(Exception):
    """Training produced a non-finite value; the message says what, where, and what to try."""

    def __init__(self, step: int, key: str, value):
        super().__init__(f"training diverged at step {step}: {key} is {value}. No checkpoint was written for this "
                         "step. Lower learning_rate (e.g. by 10x), keep max_grad_norm at 1.0, or add warmup_steps; "
                         "then delete the run folder (or pass another --run_dir) and start again.")
        self.step, self.key, self.value = step, key, value


def _finite(value) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


class DivergenceGuard(TrainerCallback):
    """Raises `Diverged` from ``on_log`` when a watched value is non-finite (register before the evaluator)."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        for key in WATCHED:
            value = (logs or {}).get(key)
            if value is not None and not _finite(float(value)):
                control.should_save = False
                raise Diverged(state.global_step, key, value)


def resume_point(run: RunFolder, world_size: int = 1):
    """The newest checkpoint whose files are all whole, or None for a fresh start.

    Damaged newer checkpoints are skipped with one warning line each; if checkpoints exist but none is whole, the
    run is refused (starting over silently would throw away the run's history)."""
    from rlvr.runfolder.checkpoints import newest_intact, remove_incomplete

    removed = remove_incomplete(run.checkpoints)
    if removed:
        logger.warning("ignored %d interrupted checkpoint save(s): %s", len(removed), [p.name for p in removed])
    found, skipped = newest_intact(run.checkpoints, world_size)
    for ckpt, why in skipped:
        fallback = f"falling back to {found.name}" if found else "no older intact checkpoint"
        logger.warning("checkpoint %s is damaged (%s); %s", ckpt.name, why, fallback)
    if found is None and skipped:
        listed = "; ".join(f"{c.name}: {why}" for c, why in skipped)
        raise UserError(f"no intact checkpoint in {run.checkpoints} ({listed}). Restore the missing files, or "
                        f"delete {run.checkpoints} to retrain from step 0.")
    return found


def verifier_totals(run: RunFolder) -> dict[str, int]:
    """Verdict counts summed over the run's metrics rows: every attempt (a replayed step counts once, from its
    last attempt) and every process (the reward adapter logs counts summed over processes)."""
    totals: dict[str, float] = {}
    for row in latest_per_key(r for r in run.read(METRICS) if "step" in r and "event" not in r):
        for key, value in row.items():
            if key.startswith("verifier/") and isinstance(value, (int, float)) and _finite(float(value)):
                name = key.removeprefix("verifier/")
                totals[name] = totals.get(name, 0.0) + value
    return {k: int(round(v)) for k, v in sorted(totals.items())}
