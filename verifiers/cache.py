"""A verdict cache in front of any verifier: a repeated (completion, reference) pair is scored once.

    verifier = CachedVerifier(get_verifier("code"), size=100_000)
    verifier.verify_batch(pairs, workers=2)     # duplicates in the batch and pairs seen before are not re-run

Why: a GRPO group samples the same prompt 8 times, and as RL sharpens the policy most of a group's completions
are the same text; held-out evaluation samples each problem n times too. A verifier is pure and deterministic
(`verifiers.base`), so re-running a pair only repeats a verdict, and for the code verifier every run is a sandboxed
process. Cached verdicts are exact for every status that depends on the pair alone. Never cached: verdicts that
cannot be scored (``reward is None``: bad reference, infrastructure failure) and statuses that depend on the
machine's load or limits (`TRANSIENT`: timeout, memory, ...); those pairs are verified again each time.

Keys are 16-byte BLAKE2 digests of the pair, so 100,000 entries take about 15 MB whatever the lengths of the texts.
The least recently used entry is dropped first. Everything else (name, statuses, options, ``canonical``, ``limits``,
``close``) is the wrapped verifier's.

``prefetch(pairs)`` verifies pairs ahead of the call that will ask for them (the GRPO loop sandboxes finished
completions while the rest of the batch is still being sampled, `rlvr/training/overlap.py`). A prefetched verdict is
the verdict that call would have computed, and the call counts it as it would have (its first use a miss, not a
hit), so ``hits``/``misses`` are the same with or without prefetching. The dictionary is guarded by a lock: one
thread may prefetch while another reads.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from verifiers.base import Verdict, Verifier

__all__ = ["CachedVerifier", "TRANSIENT"]

#: statuses that can differ between two runs of the same pair (time, memory, the sandbox's health).
TRANSIENT = frozenset({"timeout", "memory", "infra", "error", "unevaluated"})


def _key(completion, reference) -> bytes | None:
    if not isinstance(completion, str) or not isinstance(reference, str):
        return None  # odd types go to the verifier, which says what is wrong with them
    h = hashlib.blake2b(digest_size=16)
    h.update(completion.encode("utf-8", "surrogatepass"))
    h.update(b"\0\1\0")
    h.update(reference.encode("utf-8", "surrogatepass"))
    return h.digest()


class CachedVerifier(Verifier):
    """`verifier` with its verdicts remembered (see module docstring); `size` entries at most (positive)."""

    def __init__(self, verifier: Verifier, size: int = 100_000):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"cache size must be a positive integer, got {size!r}")
        self.inner, self.size = verifier, size
        self.name, self.statuses, self.Options = verifier.name, verifier.statuses, verifier.Options
        self.options = verifier.options
        self._verdicts: OrderedDict[bytes, Verdict] = OrderedDict()
        self._prefetched: set[bytes] = set()  # verified ahead of the call that asks for them
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __getattr__(self, attr):  # canonical, canonical_batch, limits, counts, ...: the wrapped verifier's
        if attr in ("inner", "_lock", "_verdicts", "_prefetched"):
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    def verify(self, completion: str, reference: str) -> Verdict:
        return self.verify_batch([(completion, reference)])[0]

    def verify_batch(self, pairs: Iterable[Sequence[str]], workers: int | None = None) -> list[Verdict]:
        pairs = [tuple(p) for p in pairs]
        keys = [_key(*p) for p in pairs]
        out: list[Verdict | None] = [None] * len(pairs)
        todo: dict[bytes | int, list[int]] = {}  # one verifier call per distinct uncached pair
        with self._lock:
            for i, key in enumerate(keys):
                hit = self._verdicts.get(key) if key is not None else None
                if hit is not None:
                    self._verdicts.move_to_end(key)
                    out[i] = hit
                    if key in self._prefetched:  # computed for this call: counted as the miss it replaced
                        self._prefetched.discard(key)
                        self.misses += 1
                    else:
                        self.hits += 1
                else:
                    todo.setdefault(key if key is not None else -1 - i, []).append(i)
        if todo:
            verdicts = self._run([pairs[idxs[0]] for idxs in todo.values()], workers)
            with self._lock:
                for (key, idxs), verdict in zip(todo.items(), verdicts, strict=True):
                    self.misses += 1
                    self.hits += len(idxs) - 1
                    for i in idxs:
                        out[i] = verdict
                    self._store(key, verdict)
        return out  # type: ignore[return-value]

    def prefetch(self, pairs: Iterable[Sequence[str]], workers: int | None = None) -> int:
        """Verify the distinct pairs not cached yet and keep their verdicts for a later `verify_batch`; returns how
        many were run. Counts nothing: the later call counts them as it would have (module docstring)."""
        pairs = [tuple(p) for p in pairs]
        todo: dict[bytes, tuple] = {}
        with self._lock:
            for p in pairs:
                key = _key(*p)
                if key is not None and key not in self._verdicts:
                    todo.setdefault(key, p)
        if not todo:
            return 0
        verdicts = self._run(list(todo.values()), workers)
        with self._lock:
            for key, verdict in zip(todo, verdicts, strict=True):
                if key not in self._verdicts and self._store(key, verdict):
                    self._prefetched.add(key)
        return len(todo)

    def forget_prefetched(self) -> None:
        """Count verdicts prefetched but never asked for as ordinary cache entries from now on."""
        with self._lock:
            self._prefetched.clear()

    def _run(self, pairs: list, workers: int | None) -> list[Verdict]:
        """The wrapped verifier's verdicts of `pairs` (its own default workers unless given)."""
        return self.inner.verify_batch(pairs, **({} if workers is None else {"workers": workers}))

    def _store(self, key, verdict: Verdict) -> bool:
        """Keep `verdict` if it is cacheable (lock held); whether it was kept."""
        if not isinstance(key, bytes) or verdict.reward is None or verdict.status in TRANSIENT:
            return False
        self._verdicts[key] = verdict
        if len(self._verdicts) > self.size:
            dropped, _ = self._verdicts.popitem(last=False)
            self._prefetched.discard(dropped)
        return True

    def check_reference(self, reference: str) -> str | None:
        return self.inner.check_reference(reference)

    def close(self) -> None:
        self.inner.close()
