"""The `math` verifier: exact, safe and bounded grading of final answers against a reference.

    from verifiers import get_verifier
    v = get_verifier("math", timeout=3.0)
    v.verify("... so the answer is \\boxed{\\frac{1}{2}}", "0.5")   # Verdict(1.0, 'correct', '')

Policy (every decision below is pinned by a test in tests/test_math_verifier.py, tests/test_math_policy.py and
tests/test_math_fuzz.py, and listed with an example in docs/math_policy.md; when in doubt the answer is 0, never 1,
because a false reward is worse for RL than a missed one):

Extraction. The final answer is the last complete ``\\boxed{...}`` (or ``\\fbox``; boxes inside ``<think>`` count
like any other); else the content of the last ``<answer>...</answer>``; else the last ``#### x`` line; else the last
"answer is x" / "Answer: x" (its first sentence; a leading math span is taken whole when only a unit follows it, and
a sentence that opens with words answers with its only value: "The largest $n$ is 34"); else the last complete math
span (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``, parsed whole, so ``$\\frac{1}{3}$`` is 1/3 and never 3)
or the last matrix environment written without delimiters or the last plain number outside both, whichever ends
later (a number inside LaTeX written without delimiters, ``\\frac{10}{9}`` or ``2^{10}``, stands for its whole run of
non-blank characters; ``A + B = C`` written with bare ``pmatrix`` environments answers C, never C's last entry,
while in one span or box it is an equation that names nothing, like ``2 + 3 = 5``, and not an answer). A ``$``
before a digit followed by words, before the next ``$``, is a currency sign, and inline spans do not cross a line
break. A last value joined to the one before it by "or"/"and" ("3 or 4") is both values (an unordered list). Only
the last 20,000 characters are searched. A ``\\boxed{`` left open after the last complete box (output cut by the
token limit) is ``no_answer``, and so is an empty box.

Numbers written side by side are never a product: ``a b/c`` with ``1 <= a`` and ``0 <= b < c`` (or
``a\\frac{b}{c}``) is the mixed number a + b/c (``4 4/9 == 40/9``, ``4 0/9 == 4``); digit groups of three after a
first group of one to three digits, separated by spaces or by commas, are one number, also before a slash
(``1 000 == 1,000 == 10,\\! 000/10``, ``1 000/3 == 1000/3``); ``0,111`` and ``1,2`` are lists, boxed or not (never
111, 0.111 or 2); anything else (``2 3``, ``10 9/4``, ``x 2``, ``2\\,3``) is status ``no_answer`` saying why,
and as a reference it is ``bad_reference``.

Equality is mathematical and exact:
- numbers are exact rationals: ``0.5 == 1/2 == \\frac{1}{2}``, but a decimal equals only the value it denotes
  (``0.333 != 1/3``, ``1.414 != \\sqrt{2}``, ``1.5707963 != \\pi/2``, ``0.999999999 != 1``); no tolerance
  anywhere, so ``\\frac{1}{2^{98}} != \\frac{1}{2^{99}}``; a repeating decimal ``0.\\overline{3}`` is 1/3;
  ``x \\approx 0.577`` after an exact form is dropped (the exact form is the answer);
- integers of any length (thousands of digits) compare exactly;
- a trailing unit is ignored (``3 \\text{ cm} == 3``, ``46 apples == 46``, ``12 cm^2 == 12``, ``\\$18.90 == 18.9``,
  ``$125$ miles == 125``; ``3x`` and ``3 x`` are not units, and ``3 or four`` is not 3), and so is a degree sign
  (``90^\\circ == 90``, but ``90^\\circ != \\frac{\\pi}{2}``); a percentage (``%``, ``\\%``, "percent") is its
  number, as MATH's normalisation strips the sign (``3\\% == 3``, ``4 4/9\\% == 40/9``; ``3\\% != 0.03``), or, with
  the option ``percent_as_fraction: true``, its hundredths, as Math-Verify reads it (``3\\% == 0.03``,
  ``300\\% == 3``, ``4 4/9\\% == 40/900``; ``3\\% != 3``): one reading, never both; inside arithmetic and tuples
  (``50\\% \\cdot 8``, ``(10\\%, 20\\%)``) it is always its hundredths;
- symbolic answers are equal when their difference simplifies to 0 (``x^2-1 == (x-1)(x+1)``); ``e`` is Euler's
  number and ``i`` the imaginary unit; ``x**2`` is ``x^2``; ``|x|`` is the absolute value;
- a letter applied to parentheses is a function value, equal only to itself (``f(2) != 2f``), when the letter is
  f, g or h or the parentheses hold one number, one letter or a comma list; otherwise it is a product, as factored
  answers are written (``x(x+1) == x^2+x``);
- a comma list (semicolons where no comma is used) keeps its order, as in MATH's ``is_equiv`` (``10, 4, -2 !=
  4, 10, -2``); sets, alternatives joined by "or"/"and" (in ``\\text{}`` or not) and the values of ``\\pm`` are
  multisets (``\\{1,2\\} == \\{2,1\\} == 2 or 1 == 1, 2``; ``\\{1,1,2\\} != \\{1,2\\}``); ``\\pm``
  makes two values, inside a list item by item (``\\{1\\pm\\sqrt5, -2\\}`` has three); tuples and intervals compare
  element-wise with their brackets (``[0,10) != [0,10]``, ``(1,2) != \\{1,2\\}``); matrices (also ``array``, with
  row breaks ``\\\\`` spaced or trailing) entry by entry; ratios and times part by part (``12:00``; ``1:2 != 2:4``);
  a numeral with a base subscript (``204_5``) only equals the same numeral; a list never equals a single value
  (``\\boxed{1,2,3}`` does not answer 2, ``2 or 3`` does not answer 3);
- an equation answers its right side when its left side names it: a variable, a function value, a tuple of
  variables or a name of letters (``x = 3``, ``f(2) = 5``, ``(a, b) = (3, 4)``, ``AB = 4``, ``x = (0, 1)``,
  ``x \\in [1,2]``); ``3 = 3`` does not; a chain ``x = 2 \\cdot 3 = 6`` answers 6 only when its later sides are
  equal (``z = 3+3 = 2`` is not an answer); two equations are equal when one is a non-zero multiple of the other;
  relations (``<``, ``\\le``, ``<=``, ``>=``, ``!=``, ``\\ne``; ``x != 3`` is never the factorial ``x!``) are equal
  when they are the same relation (``x > 3 == 3 < x``), never equal to a number; ``a < x \\le b`` is
  ``x \\in (a, b]``; other chains (``f(2) < f(1) < f(4)``) compare side by side;
- word answers (``\\text{Tina}``, ``Monday``, ``$odd$``) compare case-insensitively as words; a reference that is
  a choice letter A-E (``C``, ``(C)``, ``\\text{(C)}``) is answered only by the same letter;
- ``\\pm`` answers, ``1e3``, and anything the grammar cannot read completely (``4\\sqrt(2)``, Python, unknown
  commands, words like "to"/"is" between values) are wrong. Answers with operations left unevaluated (``\\int``,
  ``\\sum``, ``\\prod``, ``\\lim``, ``\\binom``, derivatives, ``\\bmod``) get status ``unevaluated``, reward 0.
  (An answer that merely restates the problem's own expression cannot be detected without the problem text,
  which `verify` does not receive.) Power towers, factorials of more than 5,000 and powers with more than 20,000
  bits are not evaluated: wrong (or ``bad_reference`` in a reference).

Majority vote. `canonical(completion)` is the extracted answer's exact value as a hashable key (``\\frac12``,
``0.5`` and ``1/2`` give ``("num", "1/2")``; a named equation gives its right side's key; sets are sorted), or None
when there is no answer or it is not a value; plain numbers are keyed in-process, the rest in the workers
(`canonical_batch`). Symbolic answers are keyed by sympy's simplified form, so two equal expressions may split a
vote but two different values never share a key.

Safety. Model text is never passed to ``eval``, ``sympify`` or ``parse_expr``: the slow path tokenizes it with
a whitelist grammar and builds sympy objects by constructor calls (`verifiers/_math/grammar.py`); anything outside
the grammar is a wrong answer. Plain numbers are decided in-process with `fractions`, without importing sympy.
Everything else runs in worker processes (`verifiers/_math/pool.py`) that the parent kills and replaces when they
overrun `timeout` seconds (status ``timeout``, reward 0), so the limit holds from any thread or process and
inside async code, and workers are recycled so no input can change later verdicts. Nesting depth, token count,
power sizes and worker memory are capped.

References. A reference that does not parse completely is ``bad_reference`` with reward None (masked in
training, never 0 or 1); `check_reference` and `rlvr audit` find them before training.

Statuses: correct, wrong, no_answer, unevaluated, timeout, bad_reference, error (an internal failure: reward None,
surfaced and counted in `status_counts`, never a silent 0).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from fractions import Fraction

from verifiers._math.extract import extract_answer, reference_answer
from verifiers._math.numbers import CONNECTIVES, normalize, plain_number
from verifiers.base import Verdict, Verifier
from verifiers.options import OptionError, option
from verifiers.registry import register

__all__ = ["MathVerifier", "MathOptions"]


@dataclass(frozen=True)
class MathOptions:
    timeout: float = option(3.0, "seconds per pair on the slow path; a worker past it is killed (status timeout)")
    workers: int = option(2, "default size of the worker pool")
    percent_as_fraction: bool = option(False, "read x% as x/100, as Math-Verify does (4 4/9% == 40/900); the default "
                                              "reads it as x, as MATH's normalisation does (4 4/9% == 40/9)")

    def __post_init__(self):
        t = self.timeout
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or not 0 < t <= 3600:
            raise OptionError(f"math verifier timeout must be a finite number of seconds in (0, 3600], got {t!r}: "
                              "a zero, missing or infinite limit would let one answer hang training")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or not 1 <= self.workers <= 256:
            raise OptionError(f"math verifier workers must be an integer in [1, 256], got {self.workers!r}")
        if not isinstance(self.percent_as_fraction, bool):
            raise OptionError(f"math verifier percent_as_fraction must be true or false, got "
                              f"{self.percent_as_fraction!r}")


@register("math")
class MathVerifier(Verifier):
    statuses = ("correct", "wrong", "no_answer", "unevaluated", "timeout", "bad_reference", "error")
    Options = MathOptions

    def __init__(self, **options):
        super().__init__(**options)
        self.status_counts: Counter[str] = Counter()  # observability only; never read by `verify`
        self._pool = None

    @property
    def pool(self):
        if self._pool is None:
            from verifiers._math.pool import WorkerPool

            self._pool = WorkerPool(self.options.workers, self.options.timeout)
        return self._pool

    def verify(self, completion: str, reference: str) -> Verdict:
        return self.verify_batch([(completion, reference)])[0]

    def verify_batch(self, pairs, workers: int = 1) -> list[Verdict]:
        """Verdicts in input order. Plain numbers are decided here; the rest go to `workers` worker processes."""
        verdicts: list[Verdict | None] = []
        slow: list[tuple[int, str, str]] = []
        fraction = self.options.percent_as_fraction
        for i, pair in enumerate(pairs):
            try:
                verdict, job = _fast(pair, fraction)
            except Exception as err:  # noqa: BLE001 - a bug of ours: surfaced as error (reward None), never 0
                verdict, job = Verdict(None, "error", f"internal error: {type(err).__name__}: {err}"), None
            verdicts.append(verdict)
            if job is not None:
                if not slow:
                    self._warm(workers)
                slow.append((i, *job))
        if slow:
            flags = [{"percent_as_fraction": True}] if fraction else []  # the worker's default reads x% as x
            results = self._run([["judge", a, r, *flags] for _, a, r in slow], workers)
            for (i, _, _), result in zip(slow, results, strict=True):
                verdicts[i] = Verdict(*result)
        self.status_counts.update(v.status for v in verdicts)
        return verdicts  # type: ignore[return-value]

    def _warm(self, workers: int) -> None:
        try:
            self.pool.warm(max(1, workers))
        except OSError:
            pass  # `_run` reports the failure as status error

    def _run(self, jobs, workers):
        try:
            return self.pool.run(jobs, max(workers, 1))
        except (RuntimeError, OSError) as err:  # could not start a worker: infrastructure, not the answer
            return [[None, "error", f"math worker unavailable: {err}"] for _ in jobs]

    def canonical(self, completion: str) -> Hashable | None:
        """The majority-vote (maj@k) key of a completion's final answer: equal exact values give equal keys
        (``\\frac12``, ``0.5`` and ``1/2`` all give ``("num", "1/2")``); no answer, or one that is not a value, gives
        None. Deterministic and total; plain numbers are keyed in-process, the rest in a worker."""
        return self.canonical_batch([completion])[0]

    def canonical_batch(self, completions, workers: int = 1) -> list[Hashable | None]:
        """`canonical` of each completion, in input order; the slow ones share `workers` worker processes."""
        keys: list = []
        slow: list[tuple[int, str]] = []
        for i, completion in enumerate(completions):
            try:
                key, answer = _fast_key(completion)
            except Exception:  # noqa: BLE001 - total: a bug of ours gives no key (the sample does not vote)
                key, answer = None, None
            keys.append(key)
            if answer is not None:
                slow.append((i, answer))
        if slow:
            try:
                results = self.pool.run([["canon", a, ""] for _, a in slow], max(workers, 1))
            except (RuntimeError, OSError):  # no worker: no keys, never a wrong one
                results = [[None]] * len(slow)
            for (i, _), result in zip(slow, results, strict=True):
                keys[i] = _frozen(result[0])
        return keys

    def check_reference(self, reference: str) -> str | None:
        """None when `reference` parses completely (the verifier can score against it), else the reason."""
        if not isinstance(reference, str) or not reference.strip():
            return f"reference must be a non-empty string, got {reference!r}"
        reference = reference_answer(reference)
        if plain_number(reference) is not None or _text_answer(reference) or _choice(reference):
            return None
        try:
            return self.pool.run([["check", normalize(reference), ""]])[0][0]
        except (RuntimeError, OSError) as err:
            return f"could not check the reference: {err}"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


def _fast(pair, fraction: bool = False) -> tuple[Verdict | None, tuple[str, str] | None]:
    """Decide in-process when possible; else return the (answer, reference) job for a worker. `fraction`: x% is
    x/100 (else x)."""
    try:
        completion, reference = pair
    except (TypeError, ValueError):
        return Verdict(None, "error", "each pair must be (completion, reference)"), None
    if not isinstance(reference, str) or not reference.strip():
        return Verdict(None, "bad_reference", f"reference must be a non-empty string, got {reference!r}"), None
    if not isinstance(completion, str):
        return Verdict(0.0, "no_answer", f"completion is not text ({type(completion).__name__})"), None
    reference = reference_answer(reference)
    answer, how = extract_answer(completion)
    ref_num = plain_number(reference)
    ref_word = _text_answer(reference) or _choice(reference)
    if answer is None or not normalize(answer):
        if ref_num is None and ref_word is None:  # the reference must still be checked: a bad one is None, not 0
            return None, ("", normalize(reference))
        return Verdict(0.0, "no_answer", how), None
    if ref_word is not None:  # a word or a choice letter: compared as words, case-insensitively
        ok = (_choice(answer) if _choice(reference) else _text_answer(answer)) == ref_word
        return _decided(ok, "" if ok else f"{answer[:40]!r} is not {ref_word!r}"), None
    ans_num = plain_number(answer)
    if ref_num is not None and ans_num is not None:
        ok = _fast_equal(ans_num[0], ans_num[1], ref_num[0], ref_num[1], fraction)
        return _decided(ok, "" if ok else f"{_show(ans_num[0])} != {_show(ref_num[0])} ({how})"), None
    return None, (normalize(answer), normalize(reference))


def _fast_key(completion) -> tuple[Hashable | None, str | None]:
    """(key, None) when decided in-process, else (None, normalised answer) for a worker's ``canon`` job."""
    if not isinstance(completion, str):
        return None, None
    answer, _ = extract_answer(completion)
    if answer is None or not normalize(answer):
        return None, None
    if _choice(answer):
        return ("choice", _choice(answer)), None
    if _text_answer(answer):
        return ("text", _text_answer(answer)), None
    number = plain_number(answer)
    if number is None:
        return None, normalize(answer)
    value, kind = number
    if isinstance(value, str):  # beyond int(str) limits: the digit string (integers match the worker's key)
        value = value[:-3] if value.endswith("e-0") else value
    key = ("num", str(value))
    return (("percent", key) if kind == "percent" else key), None


def _frozen(key) -> Hashable | None:
    """A worker's JSON key as nested tuples (hashable)."""
    return tuple(_frozen(x) for x in key) if isinstance(key, list) else key


def _decided(ok: bool, detail: str) -> Verdict:
    return Verdict(1.0, "correct", "") if ok else Verdict(0.0, "wrong", detail)


def _fast_equal(a, kind_a: str, b, kind_b: str, fraction: bool = False) -> bool:
    if isinstance(a, str) or isinstance(b, str):  # integers beyond int(str) limits: canonical digit strings
        return a == b and kind_a == kind_b
    if kind_a == kind_b or "percent" not in (kind_a, kind_b):
        return a == b  # number/degree mix: the degree sign is a unit
    if "degree" in (kind_a, kind_b):
        return False
    pct, other = (a, b) if kind_a == "percent" else (b, a)
    return other == (pct / 100 if fraction else pct)  # one reading, never both: 3% is 3, or 3% is 0.03


_TEXT = re.compile(r"^(?:\\text\{\s*([A-Za-z][A-Za-z .'-]*?)\s*\}|([A-Za-z][A-Za-z .'-]*[A-Za-z]))$")
_CHOICE = re.compile(r"^(?:\\text\{\s*)?\(?\s*([A-E])\s*\)?(?:\s*\})?$")
_SHORT_WORDS = frozenset({"no", "yes", "on", "off", "up"}) | CONNECTIVES  # 2-letter words that are not products


def _text_answer(text: str) -> str | None:
    """Lower-cased words of a word answer (``\\text{Tina}``, ``Monday``), or None for anything mathematical.

    Plain letters count as words only with a word of three or more letters or a common short word, so ``ab`` stays
    the product a*b (and ``a \\cdot b`` answers it), while ``no`` is the word no.
    """
    s = normalize(text).strip()
    m = _TEXT.match(s)
    if not m:
        return None
    words = (m.group(1) or m.group(2)).lower().split()
    if m.group(1) is None and not any(len(w) >= 3 or w in _SHORT_WORDS for w in words):
        return None
    return " ".join(words) if words and any(len(w) > 1 for w in words) else None


def _choice(text: str) -> str | None:
    """The letter of a multiple-choice answer (``C``, ``(C)``, ``\\text{(C)}``, ``\\textbf{(C)}``), else None."""
    m = _CHOICE.match(normalize(text).strip())
    return m.group(1) if m else None


def _show(value) -> str:
    if isinstance(value, Fraction):
        return str(value) if value.denominator != 1 else str(value.numerator)
    return value[:40] + "..."
