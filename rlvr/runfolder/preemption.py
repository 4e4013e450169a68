"""Graceful stop on SIGTERM / SIGINT (preemption, `scancel`, Ctrl-C): finish the step, checkpoint, exit non-zero.

The first signal sets a flag; at the end of the current optimizer step the callback asks the trainer to save a
checkpoint and stop. `rlvr train` then appends a ``{"event": "preempted"}`` row to metrics.jsonl, does not write
summary.json (the run is not complete) and exits with status 143 (SIGTERM) or 130 (SIGINT), so schedulers
requeue it; re-running the same command resumes from that checkpoint. A second signal restores the default
handler, so pressing Ctrl-C twice stops at once.
"""

from __future__ import annotations

import logging
import signal

from transformers import TrainerCallback

__all__ = ["GracefulStop"]

logger = logging.getLogger(__name__)


class GracefulStop(TrainerCallback):
    def __init__(self, signals=(signal.SIGTERM, signal.SIGINT)):
        self.signals = signals
        self.received: int | None = None
        self._previous: dict = {}

    def install(self) -> GracefulStop:
        for sig in self.signals:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum, frame) -> None:
        if self.received is not None:  # second signal: stop now
            self.uninstall()
            signal.raise_signal(signum)
            return
        self.received = signum
        logger.warning("received %s: finishing this step, saving a checkpoint, then stopping "
                       "(send it again to stop at once)", signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + int(self.received) if self.received is not None else 0

    def on_step_end(self, args, state, control, **kwargs):
        if self.received is not None:
            control.should_save = True
            control.should_training_stop = True
