"""The `reasoning_gym` verifier: a reasoning-gym dataset's own scorer, paying only full marks.

    from verifiers import get_verifier
    v = get_verifier("reasoning_gym")
    ref = '{"dataset": "chain_sum", "entry": {"question": "... 1 + 2 =", "answer": "3", "metadata": {...}}}'
    v.verify("<answer>3</answer>", ref)     # Verdict(1.0, 'correct', '')
    v.verify("30", ref)                     # Verdict(0.0, 'partial', 'scorer gave 0.5: ...')

Reference: a JSON object ``{"dataset": NAME, "entry": {...}}`` as the `reasoning_gym` task writes it: NAME is a
registered reasoning-gym dataset (for a composite mixture, the sub-dataset that generated the entry) and entry is
the generator's whole item. Anything else (not JSON, not such an object, an unknown NAME, an entry that is not a
mapping) is ``bad_reference`` with reward None; `check_reference` says why before training.

Extraction (option ``answer_from``): ``tag`` (default) takes the content of the last complete
``<answer>...</answer>``, stripped, or else the whole completion stripped; ``last_line`` takes the last non-blank
line, stripped; ``whole`` the whole completion stripped. An empty answer is ``no_answer`` (reward 0, without calling
the scorer); an answer longer than ``max_answer_chars`` is ``too_long`` (reward 0).

Policy: the answer goes to that dataset's own ``score_answer(answer, entry)``, exactly as reasoning-gym scores it
(`reasoning_gym.factory.get_score_answer_fn`, i.e. a scorer built with the dataset's default config). **Reward is
1 only when the scorer returns exactly 1.0.** reasoning-gym pays partial credit (chain_sum: "30" against "3" scores
0.5, "x 3" scores 0.33), which in RL rewards wrong answers: such an answer is ``partial``, reward 0, with the
partial score in `detail`. A score of 0 is ``wrong``.

Safety and bounds: the scorer runs in killable worker processes (`verifiers/_rg_pool.py`), never in the caller's
process: one that runs past ``timeout`` seconds is killed (status ``timeout``), one that raises, returns a
non-number or a number outside [0, 1] gives ``error``, and a worker that dies gives ``error``: all reward None
(cannot be scored; masked in training), never 0 or 1. What this does not protect against: a scorer that is
deterministic but wrong (it is reasoning-gym's policy, not ours, apart from refusing partial credit).
reasoning-gym is imported only in the workers, so ``import verifiers`` stays fast.

Statuses: correct, partial, wrong, no_answer, too_long, timeout, error, bad_reference.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass

from verifiers.base import Verdict, Verifier
from verifiers.options import OptionError, option
from verifiers.registry import register

__all__ = ["ReasoningGymVerifier", "ReasoningGymOptions", "extract"]

_MODES = ("tag", "last_line", "whole")


@dataclass(frozen=True)
class ReasoningGymOptions:
    answer_from: str = option("tag", "answer extraction: tag (<answer>...</answer>, else the whole completion), "
                                     "last_line, or whole")
    timeout: float = option(5.0, "seconds per scorer call; a worker past it is killed (status timeout, reward None)")
    workers: int = option(1, "default number of scorer worker processes", low=1, high=64)
    max_answer_chars: int = option(10000, "longer extracted answers are not scored (status too_long, reward 0)",
                                   low=1)
    plugins: list[str] = option([], "modules the scorer workers import first, e.g. a package registering its own "
                                    "reasoning-gym datasets")

    def __post_init__(self):
        if self.answer_from not in _MODES:
            raise OptionError(f"reasoning_gym verifier answer_from must be one of {', '.join(_MODES)}, got "
                              f"{self.answer_from!r}")
        t = self.timeout
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or not 0 < t <= 3600:
            raise OptionError(f"reasoning_gym verifier timeout must be a finite number of seconds in (0, 3600], got "
                              f"{t!r}: a zero or infinite limit would let one scorer hang training")


def extract(completion: str, mode: str = "tag") -> str:
    """The answer text of `completion` under extraction `mode` (see the module docstring); may be ''."""
    if mode == "tag":
        end = completion.rfind("</answer>")
        start = completion.rfind("<answer>", 0, end) if end >= 0 else -1
        return completion[start + len("<answer>"):end].strip() if start >= 0 else completion.strip()
    if mode == "last_line":
        lines = [line for line in completion.splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""
    return completion.strip()


def parse_reference(reference) -> tuple[str, dict] | str:
    """(dataset name, entry) of a reference, or the reason it is not usable (names not yet checked)."""
    if not isinstance(reference, str):
        return f"reference must be a JSON string, got {type(reference).__name__}"
    try:
        ref = json.loads(reference)
    except ValueError as err:
        return f'reference is not JSON ({err}); expected {{"dataset": NAME, "entry": {{...}}}}'
    if not isinstance(ref, dict) or not isinstance(ref.get("dataset"), str) or not isinstance(ref.get("entry"), dict):
        return f'reference must be a JSON object {{"dataset": NAME, "entry": {{...}}}}, got {reference[:80]!r}'
    return ref["dataset"], ref["entry"]


@register("reasoning_gym")
class ReasoningGymVerifier(Verifier):
    statuses = ("correct", "partial", "wrong", "no_answer", "too_long", "timeout", "error", "bad_reference")
    Options = ReasoningGymOptions

    def __init__(self, **options):
        super().__init__(**options)
        self.status_counts: Counter[str] = Counter()  # observability only; never read by `verify`
        self._pool = None
        self._names: frozenset[str] | None = None

    @property
    def pool(self):
        if self._pool is None:
            from verifiers._rg_pool import ScorerPool

            self._pool = ScorerPool(self.options.workers, self.options.timeout, tuple(self.options.plugins))
        return self._pool

    def dataset_names(self) -> frozenset[str]:
        """The registered reasoning-gym datasets (asked once of a worker). RuntimeError when none can start."""
        if self._names is None:
            reply = self.pool.run([["names"]])[0]
            if "names" not in reply:
                raise RuntimeError(f"could not list reasoning-gym datasets: {reply}")
            self._names = frozenset(reply["names"])
        return self._names

    def verify(self, completion: str, reference: str) -> Verdict:
        return self.verify_batch([(completion, reference)])[0]

    def verify_batch(self, pairs, workers: int = 1) -> list[Verdict]:
        """Verdicts in input order; answers are scored by up to `workers` worker processes."""
        verdicts: list[Verdict | None] = []
        jobs: list[tuple[int, list]] = []
        for i, pair in enumerate(pairs):
            try:
                verdict, job = self._prepare(pair)
            except RuntimeError as err:  # no worker could start: infrastructure, not the answer
                verdict, job = Verdict(None, "error", f"reasoning-gym worker unavailable: {err}"), None
            verdicts.append(verdict)
            if job is not None:
                jobs.append((i, job))
        if jobs:
            try:
                results = self.pool.run([job for _, job in jobs], max(workers, self.options.workers))
            except (RuntimeError, OSError) as err:
                results = [{"died": f"reasoning-gym worker unavailable: {err}"}] * len(jobs)
            for (i, _), result in zip(jobs, results, strict=True):
                verdicts[i] = self._judge(result)
        self.status_counts.update(v.status for v in verdicts)
        return verdicts  # type: ignore[return-value]

    def _prepare(self, pair) -> tuple[Verdict | None, list | None]:
        """Decide here when possible (bad reference, no answer); else the scorer job for a worker."""
        try:
            completion, reference = pair
        except (TypeError, ValueError):
            return Verdict(None, "error", "each pair must be (completion, reference)"), None
        parsed = parse_reference(reference)
        if isinstance(parsed, str):
            return Verdict(None, "bad_reference", parsed), None
        name, entry = parsed
        if name not in self.dataset_names():
            return Verdict(None, "bad_reference", f"unknown reasoning-gym dataset {name!r}"), None
        if not isinstance(completion, str):
            return Verdict(0.0, "no_answer", f"completion is not text ({type(completion).__name__})"), None
        answer = extract(completion, self.options.answer_from)
        if not answer:
            return Verdict(0.0, "no_answer", f"empty answer ({self.options.answer_from})"), None
        if len(answer) > self.options.max_answer_chars:
            return Verdict(0.0, "too_long", f"answer of {len(answer)} characters, limit "
                                            f"{self.options.max_answer_chars}"), None
        return None, ["score", answer, name, entry]

    @staticmethod
    def _judge(result: dict) -> Verdict:
        if "score" in result:
            score = result["score"]
            if not (isinstance(score, (int, float)) and math.isfinite(score) and 0.0 <= score <= 1.0):
                return Verdict(None, "error", f"scorer returned {score!r}, outside [0, 1]")
            if score == 1.0:
                return Verdict(1.0, "correct", "")
            if score > 0.0:
                return Verdict(0.0, "partial", f"scorer gave {score:g} (partial credit is never paid)")
            return Verdict(0.0, "wrong", "scorer gave 0")
        if "timeout" in result:
            return Verdict(None, "timeout", f"scorer ran over the {result['timeout']:g} s limit")
        if "unknown" in result:
            return Verdict(None, "bad_reference", f"unknown reasoning-gym dataset {result['unknown']!r}")
        return Verdict(None, "error", str(result.get("error") or result.get("died") or result)[:300])

    def check_reference(self, reference: str) -> str | None:
        """None when `reference` names a registered dataset and carries an entry, else the reason."""
        parsed = parse_reference(reference)
        if isinstance(parsed, str):
            return parsed
        try:
            names = self.dataset_names()
        except (RuntimeError, OSError) as err:
            return f"could not check the reference: {err}"
        if parsed[0] not in names:
            return f"unknown reasoning-gym dataset {parsed[0]!r}"
        return None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
