"""Verify completions while the rest of the batch is still being sampled (config key `overlap_reward`).

TRL samples a whole batch, then scores it: the sandbox sits idle while `generate` decodes, and the model sits idle
while the sandbox runs. A GRPO batch's completions end at different steps (a short program after 10 tokens, a long
one after 40), so most of them are finished long before `generate` returns. `RewardPrefetcher` is a transformers
streamer (`generate(..., streamer=...)` hands it every step's tokens): each row that emits its end-of-sequence
token is decoded exactly as TRL decodes it and queued, and one background thread verifies the queue in batches
through the reward's verdict cache (`verifiers.cache.CachedVerifier.prefetch`). When TRL then calls the reward,
those verdicts are cache hits.

Exact by construction: a verdict is a pure function of (completion, reference), the cache counts a prefetched
verdict as the miss it replaced, and whatever was not prefetched (a row cut by the length limit, a text decoded
differently, a timeout, which is never cached, or any failure of the background thread) is verified by TRL's own
call as before. Only verifiers that run their work in other processes gain (the code sandbox); the math verifier
works in this process, so the trainer does not prefetch for it (`worth_prefetching`).
"""

from __future__ import annotations

import logging
import queue
import threading

__all__ = ["RewardPrefetcher", "worth_prefetching"]

logger = logging.getLogger(__name__)


def worth_prefetching(verifier) -> bool:
    """Whether `verifier` can be prefetched (a verdict cache in front) and gains from it (work in other processes:
    its `runs_in_subprocess` attribute, set by the code verifier)."""
    return callable(getattr(verifier, "prefetch", None)) and bool(getattr(verifier, "runs_in_subprocess", False))


class RewardPrefetcher:
    """A `generate` streamer that verifies each finished row in a background thread (module docstring).

    `references[i]` is row i's reference; `decode` turns a row's token ids (through its end-of-sequence token)
    into TRL's completion text; `eos_ids` are the end-of-sequence token ids. Call `close()` after `generate`
    returns: it waits for the queued verdicts (the reward is computed next) and stops the thread.
    """

    _STOP = object()

    def __init__(self, verifier, references, decode, eos_ids, workers: int | None = None):
        self.verifier, self.references, self.decode = verifier, list(references), decode
        self.eos_ids = set(int(e) for e in eos_ids)
        self.workers = workers
        self.rows: list[list[int]] | None = None  # completion tokens so far, per row
        self.done: list[bool] = []
        self.queued = self.verified = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="rlvr-reward-prefetch", daemon=True)
        self._thread.start()

    # -- the streamer interface of transformers (BaseStreamer: put, end) --------------------------------------
    def put(self, value) -> None:
        """The prompt (2-D, first call) or one step's new token per row (1-D)."""
        if self.rows is None:  # the prompt: nothing to verify yet
            n = int(value.shape[0])
            if n != len(self.references):
                logger.warning("reward prefetch off for this batch: %d rows, %d references", n,
                               len(self.references))
                self.rows, self.done = [], []
                return
            self.rows, self.done = [[] for _ in range(n)], [False] * n
            return
        if not self.rows:
            return
        finished = []
        for i, token in enumerate(value.reshape(-1).tolist()):
            if self.done[i]:
                continue
            self.rows[i].append(token)
            if token in self.eos_ids:
                self.done[i] = True
                finished.append(i)
        if finished:
            self._queue.put([(self.decode(self.rows[i]), self.references[i]) for i in finished])
            self.queued += len(finished)

    def end(self) -> None:
        """End of generation: nothing left to stream (rows cut by the length limit are TRL's call's to verify)."""

    def close(self) -> None:
        """Wait for the queued verdicts, then stop the thread."""
        self._queue.put(self._STOP)
        self._thread.join()

    # -- the background thread --------------------------------------------------------------------------------
    def _work(self) -> None:
        stop = False
        while not stop:
            batch = [self._queue.get()]
            while True:  # everything queued so far goes into one verifier call
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(b is self._STOP for b in batch)
            pairs = [p for b in batch if b is not self._STOP for p in b]
            if not pairs or self.error is not None:
                continue
            try:
                self.verified += self.verifier.prefetch(pairs, workers=self.workers)
            except BaseException as exc:  # never fatal: TRL's own reward call verifies these pairs again
                self.error = exc
                logger.warning("reward prefetch failed (the reward call verifies these completions itself): %s",
                               exc)
