"""The `math` verifier: exact, safe and bounded grading of final answers against a reference.

Policy (every decision below is pinned by a test in tests/test_math_verifier.py):

Extraction. The final answer is the last complete ``\\boxed{...}`` (or ``\\fbox``); else the last ``#### x``
line; else the last "answer is x" / "Answer: x"; else the last number. Only the last 20,000 characters are
searched. A ``\\boxed{`` left open after the last complete box (output cut by the token limit) is ``no_answer``.

Equality is mathematical and exact:
- numbers are exact rationals: ``0.5 == 1/2 == \\frac{1}{2}``, but a decimal equals only the value it denotes
  (``0.333 != 1/3``, ``1.414 != \\sqrt{2}``, ``0.999999999 != 1``); no tolerance anywhere;
- integers of any length (thousands of digits) compare exactly; ``3,000 == 3000`` (groups of three), while ``1,2``
  is a list of two numbers, not 1.2;
- a trailing unit is ignored (``3 \\text{ cm} == 3``, ``46 apples == 46``; ``3x`` is not a unit), and so is a degree
  sign (``90^\\circ == 90``, but ``90^\\circ != \\frac{\\pi}{2}``); a percentage equals its number or its
  fraction (``3\\% == 3 == 0.03``, ``300\\% == 3``);
- symbolic answers are equal when their difference simplifies to 0 (``x^2-1 == (x-1)(x+1)``); ``e`` is Euler's
  number and ``i`` the imaginary unit;
- sets and "or"/comma lists compare as multisets (``\\{1,2\\} == \\{2,1\\}``); tuples and intervals compare
  element-wise with their brackets (``[0,10) != [0,10]``); matrices entry by entry; a list never equals a single
  value (``\\boxed{1,2,3}`` does not answer 2);
- an equation ``x = 3`` answers ``3`` when its left side is a single variable (``3 = 3`` does not); two equations
  are equal when one is a non-zero multiple of the other;
- ``\\pm`` answers, chained inequalities (``2<x<4``) and answers with operations left unevaluated
  (``\\int``, ``\\sum``, ``\\prod``, ``\\lim``, ``\\binom``, derivatives, ``\\bmod``) are not values: the latter get
  status ``unevaluated``, reward 0. (An answer that merely restates the problem's own expression cannot be
  detected without the problem text, which `verify` does not receive.)

Safety. Model text is never passed to ``eval``, ``sympify`` or ``parse_expr``: the slow path tokenizes it with
a whitelist grammar and builds sympy objects by constructor calls (`verifiers/_math_grammar.py`); anything outside
the grammar is a wrong answer. Plain numbers are decided in-process without sympy. Everything else runs in worker
processes that the parent kills and replaces when they overrun `timeout` seconds (status ``timeout``, reward 0),
so the limit holds from any thread or process and inside async code, and no input can change later verdicts.
Power towers and huge factorials are refused before evaluation, nesting is capped.

References. A reference that does not parse completely is ``bad_reference`` with reward None (masked in
training, never 0 or 1); `check_reference` and `rlvr audit` find them before training.

Statuses: correct, wrong, no_answer, unevaluated, timeout, bad_reference, error (an internal failure: reward None,
surfaced and counted, never a silent 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from verifiers._math_extract import extract_answer, normalize, plain_number
from verifiers.base import Verdict, Verifier
from verifiers.registry import register

__all__ = ["MathVerifier", "MathOptions"]


@dataclass(frozen=True)
class MathOptions:
    timeout: float = 3.0  # seconds per pair on the slow path (worker killed past it)
    workers: int = 2  # default size of the worker pool

    def __post_init__(self):
        if not isinstance(self.timeout, (int, float)) or isinstance(self.timeout, bool) or not self.timeout > 0:
            raise ValueError(f"math verifier timeout must be a positive number of seconds, got {self.timeout!r}: "
                             "a zero or missing limit would let one answer hang training")
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"math verifier workers must be a positive integer, got {self.workers!r}")


def _fast_equal(a, kind_a: str, b, kind_b: str) -> bool:
    if isinstance(a, str) or isinstance(b, str):  # integers beyond int(str) limits: canonical digit strings
        return a == b and kind_a == kind_b
    if kind_a == kind_b or "percent" not in (kind_a, kind_b):
        return a == b  # number/degree mix: the degree sign is a unit
    if "degree" in (kind_a, kind_b):
        return False
    pct, other = (a, b) if kind_a == "percent" else (b, a)
    return other == pct or other == pct / 100


@register("math")
class MathVerifier(Verifier):
    statuses = ("correct", "wrong", "no_answer", "unevaluated", "timeout", "bad_reference", "error")

    def __init__(self, timeout: float = 3.0, workers: int = 2):
        self.options = MathOptions(timeout=timeout, workers=workers)
        self._pool = None

    @property
    def pool(self):
        if self._pool is None:
            from verifiers._math_pool import WorkerPool

            self._pool = WorkerPool(self.options.workers, self.options.timeout)
        return self._pool

    def verify(self, completion: str, reference: str) -> Verdict:
        return self.verify_batch([(completion, reference)])[0]

    def verify_batch(self, pairs, workers: int = 1) -> list[Verdict]:
        pairs = list(pairs)
        verdicts: list[Verdict | None] = [None] * len(pairs)
        slow: list[tuple[int, str, str]] = []
        for i, pair in enumerate(pairs):
            verdict, job = self._fast(pair)
            if verdict is not None:
                verdicts[i] = verdict
            else:
                slow.append((i, *job))
        if slow:
            for (i, _, _), result in zip(slow, self._run([("judge", a, r) for _, a, r in slow], workers),
                                         strict=True):
                verdicts[i] = Verdict(*result)
        return verdicts  # type: ignore[return-value]

    def _run(self, jobs, workers):
        try:
            return self.pool.run(jobs, max(workers, 1))
        except (RuntimeError, OSError) as err:  # could not start a worker: infrastructure, not the answer
            return [(None, "error", f"math worker unavailable: {err}") for _ in jobs]

    @staticmethod
    def _fast(pair) -> tuple[Verdict | None, tuple[str, str] | None]:
        """Decide in-process when possible; else return the (answer, reference) job for a worker."""
        try:
            completion, reference = pair
        except (TypeError, ValueError):
            return Verdict(None, "error", "each pair must be (completion, reference)"), None
        if not isinstance(reference, str) or not reference.strip():
            return Verdict(None, "bad_reference", f"reference must be a non-empty string, got {reference!r}"), None
        if not isinstance(completion, str):
            return Verdict(0.0, "no_answer", f"completion is not text ({type(completion).__name__})"), None
        answer, how = extract_answer(completion)
        ref_num = plain_number(reference)
        if answer is None or not normalize(answer):
            if ref_num is None:  # the reference must still be checked: a bad one is None, not 0
                return None, ("", normalize(reference))
            return Verdict(0.0, "no_answer", how), None
        ref_text = _text_answer(reference)
        if ref_text is not None:  # a word answer (a name, a day): compared as text, case-insensitively
            ok = _text_answer(answer) == ref_text
            return Verdict(1.0 if ok else 0.0, "correct" if ok else "wrong", "" if ok else "text differs"), None
        ans_num = plain_number(answer)
        if ref_num is not None and ans_num is not None:
            ok = _fast_equal(ans_num[0], ans_num[1], ref_num[0], ref_num[1])
            detail = "" if ok else f"{_show(ans_num[0])} != {_show(ref_num[0])} ({how})"
            return Verdict(1.0 if ok else 0.0, "correct" if ok else "wrong", detail), None
        return None, (normalize(answer), normalize(reference))

    def check_reference(self, reference: str) -> str | None:
        if not isinstance(reference, str) or not reference.strip():
            return f"reference must be a non-empty string, got {reference!r}"
        if plain_number(reference) is not None:
            return None
        try:
            return self.pool.run([("check", normalize(reference), "")])[0][0]
        except (RuntimeError, OSError) as err:
            return f"could not check the reference: {err}"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


_TEXT = re.compile(r"^(?:\\(?:text|textbf|mathrm)\{\s*([A-Za-z][A-Za-z .'-]*?)\s*\}|([A-Za-z][A-Za-z .'-]*[A-Za-z]))$")


def _text_answer(text: str) -> str | None:
    """Lower-cased words of a text answer (``\\text{Tina}``, ``Monday``), or None for anything mathematical."""
    m = _TEXT.match(normalize(text).strip())
    if not m:
        return None
    words = (m.group(1) or m.group(2)).lower().split()
    return " ".join(words) if words and any(len(w) > 1 for w in words) else None


def _show(value) -> str:
    if isinstance(value, Fraction):
        return str(value) if value.denominator != 1 else str(value.numerator)
    return value[:40] + "..."
