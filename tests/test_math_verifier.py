"""The `math` verifier, pinned by tables: policy decisions, RELIABILITY B1-B23, ordinary answers, safety."""

import concurrent.futures as cf
import os
import time

import psutil
import pytest

from verifiers import get_verifier


@pytest.fixture(scope="module")
def v(math_verifier):
    return math_verifier


def boxed(x: str) -> str:
    return f"Let me think. The final answer is $\\boxed{{{x}}}$."


CORRECT = [
    # B1 positive controls
    (boxed(r"\frac{1}{2}"), "0.5"), (boxed("0.5"), r"\frac{1}{2}"), (boxed("x^2-1"), "(x-1)(x+1)"),
    (boxed(r"\{1,2\}"), r"\{2,1\}"), (boxed(r"\frac{63}{400}"), "0.1575"),
    # ordinary GSM8K-style answers
    ("She has 5 + 3 = 8 apples.\n#### 8", "8"), ("The answer is 72.", "72"), ("Answer: 1,234", "1234"),
    ("so 46", "46"), ("#### $18.90", "18.9"), ("The answer is 46 apples.", "46"), ("-7", "-7"),
    # ordinary MATH-style answers
    (boxed(r"\dfrac{\sqrt{3}}{2}"), r"\frac{\sqrt3}{2}"), (boxed(r"2\sqrt{2}"), r"\sqrt{8}"),
    (boxed(r"\pi/4"), r"\frac{\pi}{4}"),
    (boxed("(3,-2)"), "(3, -2)"), (boxed("[1, 5)"), "[1,5)"), (boxed(r"\infty"), r"\infty"),
    (boxed(r"\begin{pmatrix}1&2\\3&4\end{pmatrix}"), r"\begin{bmatrix}1&2\\3&4\end{bmatrix}"),
    (boxed("3/4"), r"\frac34"), (boxed(r"\left(1,2\right)"), "(1,2)"), (boxed("10"), "10.0"),
    # B16 policy pins (a percentage is its number by default; percent_as_fraction: tests/test_math_rows.py)
    (boxed(r"3\%"), "3"), (boxed(r"300\%"), "300"), (boxed(r"3\text{ cm}"), "3"),
    (boxed(r"3^\circ"), "3"), (boxed("3,000"), "3000"),
    # B18: a single variable on the left answers the value
    (boxed("x=3"), "3"),
    # B13 big integers
    (boxed("1" * 5000), "1" * 5000), ("7" * 5000, "7" * 5000),
    # equations equal up to a non-zero multiple; inequalities in either direction
    (boxed("2x+2y=2"), "x+y=1"), (boxed("x > 3"), "3 < x"), (boxed("y=2x+3"), "y=3+2x"),
    # B20 normaliser collisions: known-equal pairs still match
    (boxed(r"\infty"), r"\infty"), (boxed(r"\text{Tina}"), "Tina"), (boxed(r"a \cdot b"), "ab"),
    (boxed("3 = 5"), "3=5"),
    (boxed("Monday"), r"\text{monday}"), (boxed("no"), "no"),
    # multiple choice: the letter, however it is dressed
    (boxed(r"\text{(C)}"), "C"), (boxed("C"), r"\text{(C)}"), (boxed("(C)"), r"\textbf{(C)}"),
    # more GSM8K answer formats
    ("The answer is: 18", "18"), ("**Answer:** 7", "7"), ("The answer is \\(7\\).", "7"), (boxed(r"\$1,000"), "1000"),
    (boxed("1{,}000"), "1000"), (boxed(r"1\,000"), "1000"), ("The answer is 5. No wait, the answer is 6", "6"),
    (boxed("12 cm^2"), "12"), (boxed(r"12 \mbox{ cm}^2"), "12"), (boxed(r"2\sqrt{3}\text{ cm}"), r"\sqrt{12}"),
    (boxed("+5"), "5"), (boxed("−5"), "-5"), (boxed("5.00"), "5"), ("#### 72", "Natalia sold 24 clips.\n#### 72"),
    (boxed("46"), r"so it is \boxed{46}"), (boxed("3"), "3.0"), (boxed("0"), "-0"),
    # more MATH answer formats
    (boxed(r"x \in [1,2]"), "[1,2]"), (boxed(r"\sin^2 x + \cos^2 x"), "1"), (boxed(r"\log_2 8"), "3"),
    (boxed(r"0.\overline{3}"), r"\frac13"), (boxed(r"0.1\overline{6}"), r"\frac16"), (boxed(r"\sqrt[3]{27}"), "3"),
    (boxed(r"\pi r^2"), r"r^2\pi"), (boxed(r"\{(1,2),(3,4)\}"), r"\{(3,4),(1,2)\}"),
    (boxed("(1,2),(3,4)"), r"\{(3,4),(1,2)\}"), (boxed("(1,2),(3,4)"), "(1, 2), (3, 4)"),
    (boxed(r"\varnothing"), r"\emptyset"),
    (boxed(r"\frac{\sqrt{2}}{2}"), r"\frac{1}{\sqrt{2}}"), (boxed(r"(-\infty, 3)"), r"(-\infty,3)"),
    (boxed(r"\sqrt{2}+\sqrt{3}"), r"\sqrt{5+2\sqrt{6}}"), (boxed(r"\cos(\pi/3)"), r"\frac12"), (boxed("3!"), "6"),
    (boxed(r"10^{100}"), "1" + "0" * 100), (boxed(r"e^{i\pi}"), "-1"), (boxed("2^{10000}"), "2^{10000}"),
    (boxed(r"2\frac{1}{4}"), "9/4"), (boxed(r"1\frac12"), "1.5"), (boxed(r"\pm 2"), "2, -2"),
    (boxed(r"1 \pm \sqrt{2}"), r"1-\sqrt2, 1+\sqrt 2"), (boxed(r"x = \pm 2"), r"\pm 2"),
    (boxed(r"(-\infty,0)\cup(1,\infty)"), r"(1,\infty)\cup(-\infty,0)"), (boxed("2π"), r"2\pi"),
    (boxed(r"\frac{1}{3}+\frac{1}{3}+\frac{1}{3}"), "1"), (boxed("0.1+0.2"), "0.3"), (boxed(r"\frac{3}{-4}"), "-0.75"),
    # percent against a percent reference
    (boxed("25"), r"25\%"), (boxed(r"10\%"), "10"), (boxed(r"25\%"), "25%"),
]

WRONG = [
    # B2 negative controls
    (boxed(r"\frac{64}{400}"), r"\frac{63}{400}"), (boxed("3"), "6"),
    # B3 lists and ranges are not the value
    (r"\boxed{1}\boxed{2}\boxed{3}", "2"), (boxed("1,2,3"), "2"), (boxed(r"3 \text{ or } 4"), "3"),
    (boxed(r"\{1,2,3\}"), "2"), (boxed("[0,10]"), "5"), (boxed("2<x<4"), "3"),
    # B4 several boxes: the last complete one counts, in either order
    (r"I think \boxed{5}. Final answer: \boxed{3}", "5"),
    # B6 partial parses
    (boxed(r"4\sqrt(2)"), "4"), (boxed(r"1+\frac{1}{\mathrm{e}}"), r"1-\frac{1}{\mathrm{e}}"),
    (boxed(r"\pm 2021"), "2021"),
    # B7 tiny magnitudes are exact
    (boxed(r"\frac{1}{2^{98}}"), r"\frac{1}{2^{99}}"), (boxed(r"\frac{1}{2006!}"), r"\frac{1}{2004!}"),
    # B8 power towers
    (boxed("9^{9^{9}}"), "9"), (boxed("10^{10^{10}}-10^{10^{10}}+3"), "3"), (boxed(r"2^{2^{100}} \bmod 7"), "2"),
    # B9 deep nesting and huge sums
    (boxed("(" * 500 + "1" + ")" * 500), "1"), (boxed("{" * 3000 + "1" + "}" * 3000), "1"),
    (boxed("+".join(["1"] * 10_000)), "10000"),
    # B16 policy pins (the other way; one reading of a percentage, never both)
    (boxed(r"3\%"), "0.03"), (boxed(r"300\%"), "3"), (boxed(r"\frac{1}{4}"), r"25\%"), (boxed(r"10\%"), "0.1"),
    (boxed("1.5707963"), r"\frac{\pi}{2}"), (boxed("1.414"), r"\sqrt2"), (boxed(r"90^\circ"), r"\frac{\pi}{2}"),
    (boxed("1,2"), "1.2"),
    # B18 equations and variables
    (boxed("y=3"), "x=3"), (boxed("3=3"), "3"), ("3x+4y+14=0", "3x-y+13=0"),
    # B22 decimals are the value they denote
    (boxed("0.333"), r"\frac13"), (boxed("0.33"), r"\frac13"), (boxed("0.999999999"), "1"),
    # units never turn a variable into a number, and connectives are not units
    (boxed("3x"), "3"), (boxed("3 x"), "3"), (boxed(r"3 \text{ or four}"), "3"), ("The answer is 3 or four", "3"),
    # B5 a derivative written as a fraction does not cancel
    (boxed(r"\frac{d}{dx} x^2"), "2x"), (boxed(r"\frac{d}{dx} x"), "x"),
    # B7/B13 exact big numbers
    (boxed("1" * 4999), "1" * 5000), (boxed("2^{10000}"), "2^{10000}+1"),
    # B8 more huge numbers
    (boxed("2^{2^{100}}"), "2"), (boxed("(10^{10})!"), "1"), (boxed("100000!"), "1"),
    # structure is kept: brackets, set vs tuple, matrix layout, multiplicity, unions
    (boxed("(1,2)"), "[1,2]"), (boxed("(1,2)"), r"\{1,2\}"), (boxed(r"\{1,1,2\}"), r"\{1,2\}"),
    (boxed("[1, 5)"), "[1,5]"),
    (boxed(r"\begin{pmatrix}1&2\\3&4\end{pmatrix}"), r"\begin{pmatrix}1&3\\2&4\end{pmatrix}"),
    (boxed(r"(-\infty,0)\cup(1,\infty)"), r"(-\infty,0]\cup(1,\infty)"),
    # \pm is two values, a mixed number is not a product
    (boxed(r"\pm 2"), "2"), (boxed(r"1\frac12"), r"\frac12"), (boxed(r"2\frac{1}{4}"), r"\frac12"),
    # a decimal is never an irrational number, whatever its digits
    (boxed(r"\sqrt{2}"), "1.41421356237"), (boxed("e"), "2.718281828"), (boxed("3.14"), r"\pi"),
    # words, choices and variables
    (boxed(r"\text{A}"), "B"), (boxed("A"), r"\text{(B)}"), (boxed(r"\text{yes}"), r"\text{no}"), (boxed("x"), "y"),
    (boxed("2x"), "2"), (boxed("x+1"), "1"), (boxed("i"), "-1"), (boxed(r"\infty"), r"-\infty"),
    # division by zero and undefined forms are not values
    (boxed(r"\frac{1}{0}"), r"\infty"), (boxed(r"\frac{0}{0}"), "0"), (boxed("1/0"), "0"),
    # a comma list keeps its order (MATH's is_equiv: 10, 4, -2 is not 4, 10, -2); a set or "or" list has none
    (boxed("(1,2),(3,4)"), "(3,4),(1,2)"), (boxed("4, 10, -2"), "10, 4, -2"), (boxed("0.1, 4, 2"), "4, .1, 2"),
    # the last answer counts
    ("#### 5\n#### 6", "5"), ("I think 5. Actually \\boxed{6}", "5"),
]

NO_ANSWER = [
    # B17 truncated or empty
    (r"so the answer is \boxed{3", "3"), (r"\boxed{}", "3"), (r"\boxed{ }", "3"), ("<answer></answer>", "3"),
    ("", "3"),
    (r"first \boxed{5} then \boxed{3", "3"),
]

UNEVALUATED = [
    # B5 restated operations
    (boxed(r"\int_0^3 x^2\,dx"), "9"), (boxed(r"\sum_{k=1}^{10}k"), "55"), (boxed(r"\binom52"), "10"),
    (boxed(r"\lim_{x\to3}x"), "3"),
]

BAD_REFERENCE = [
    # B19 / B23: references that do not parse completely are never scored
    (boxed("1"), r"\frac{1}{"), (boxed("1"), "1 +"), (boxed("2"), "$1-\\frac{1}{\\mathrm{e}}$ apples and"),
    ("no answer here", r"\frac{1}{"), (boxed("3"), ""), (boxed("3"), "   "),
]


@pytest.mark.parametrize("completion, reference", CORRECT)
def test_correct(v, completion, reference):
    verdict = v.verify(completion, reference)
    assert (verdict.reward, verdict.status) == (1.0, "correct"), verdict


@pytest.mark.parametrize("completion, reference", WRONG)
def test_wrong(v, completion, reference):
    verdict = v.verify(completion, reference)
    assert verdict.reward == 0.0, verdict


@pytest.mark.parametrize("completion, reference", NO_ANSWER)
def test_no_answer(v, completion, reference):
    assert (v.verify(completion, reference).reward, v.verify(completion, reference).status) == (0.0, "no_answer")


@pytest.mark.parametrize("completion, reference", UNEVALUATED)
def test_unevaluated(v, completion, reference):
    assert v.verify(completion, reference).status == "unevaluated"
    assert v.verify(completion, reference).reward == 0.0


@pytest.mark.parametrize("completion, reference", BAD_REFERENCE)
def test_bad_reference_is_none(v, completion, reference):
    verdict = v.verify(completion, reference)
    assert (verdict.reward, verdict.status) == (None, "bad_reference"), verdict


def test_several_boxes_last_wins_both_orders(v):
    assert v.verify(r"I think \boxed{5}. Final answer: \boxed{3}", "3").reward == 1.0
    assert v.verify(r"I think \boxed{3}. Final answer: \boxed{5}", "3").reward == 0.0
    assert v.verify(r"<think>\boxed{3}</think> so \boxed{5}", "5").reward == 1.0


INJECTIONS = [
    r"\boxed{__import__('os').system('touch {marker}')}",
    r"\boxed{\pi + __import__('os').getpid()}",
    r"\boxed{[__import__('os').system('touch {marker}')]}",
    "\\boxed{exec(\"open('{marker}','w')\")}",
    r"\boxed{().__class__.__base__.__subclasses__()}",
]


@pytest.mark.parametrize("template", INJECTIONS)
def test_injection_is_wrong_and_has_no_side_effect(v, tmp_path, template):
    marker = tmp_path / "pwned_marker"
    completion = template.replace("{marker}", str(marker))
    for reference in ("0", r"\begin{pmatrix}1\\2\end{pmatrix}", "3"):
        assert v.verify(completion, reference).reward == 0.0
    assert not marker.exists()
    # B12: the verifier's later verdicts are unaffected
    assert v.verify(boxed("4"), "5").reward == 0.0 and v.verify(boxed("5"), "5").reward == 1.0


@pytest.mark.parametrize("garbage", ["", "\x00\x00\x00", "\udcff\udcfe", "ÿ" * 1000, "}" * 10_000, "\\" * 5000,
                                     "$" * 1000, "\\boxed{" * 2000, "x" * 1_000_000, "9" * 200_000 + " and",
                                     # found by fuzzing: long digit runs must not reach int() or backtracking patterns
                                     "0." + "1" * 19_000 + "\\overline{3}", "1" * 5000 + "/" + "1" * 5000,
                                     "\\frac{" + "1" * 5000 + "}{7}", "1" * 5000 + "\\%", "\\overline{1}" * 1500])
def test_never_raises_on_garbage(v, garbage):
    for reference in ("3", garbage[:50] or "3", garbage[:6000] or "3"):
        verdict = v.verify(garbage, reference)
        assert verdict.reward in (0.0, 1.0, None) and verdict.status in v.statuses
        assert verdict.status != "error", verdict  # garbage is the model's fault, never an internal error


def test_long_completion_with_answer_at_the_end(v):
    assert v.verify("blah " * 40_000 + boxed("17"), "17").reward == 1.0  # B10


# A pair whose comparison expands two 120,000-term polynomials: far beyond any limit used here.
HARD = (boxed("(x+y+z+w+1)^{40}"), "(x+y+z+w+2)^{40}")


@pytest.fixture(scope="module")
def fast_limit():
    verifier = get_verifier("math", timeout=1.0)
    verifier.verify(boxed("x+1"), "1+x")  # start the worker first: the limit is about the job, not start-up
    yield verifier
    verifier.close()


def _timed(fn):
    start = time.monotonic()
    verdict = fn()
    return verdict, time.monotonic() - start


def test_timeout_is_enforced_and_pool_recovers(fast_limit):
    verdict, elapsed = _timed(lambda: fast_limit.verify(*HARD))
    assert (verdict.reward, verdict.status) == (0.0, "timeout")
    assert elapsed < 1.0 + 1.0  # B8/B14: limit + 1 s
    assert fast_limit.verify(boxed("x+1"), "1+x").reward == 1.0  # the killed worker was replaced


def test_timeout_is_enforced_from_a_thread(fast_limit):
    with cf.ThreadPoolExecutor(1) as pool:
        verdict, elapsed = pool.submit(_timed, lambda: fast_limit.verify(*HARD)).result()
    assert verdict.status == "timeout" and elapsed < 1.0 + 1.0 + 1.0  # (+1 s: the replacement worker starts)


def test_timeout_is_enforced_inside_async_code(fast_limit):
    import asyncio

    async def main():
        return _timed(lambda: fast_limit.verify(*HARD))  # called directly in the event loop's thread

    verdict, elapsed = asyncio.run(main())
    assert verdict.status == "timeout" and elapsed < 1.0 + 1.0 + 1.0


def test_timeouts_in_a_batch_do_not_change_the_other_verdicts(fast_limit):
    verdicts = fast_limit.verify_batch([HARD, (boxed("x^2"), "x*x"), HARD, (boxed("7"), "8")], workers=2)
    assert [(d.reward, d.status) for d in verdicts] == [
        (0.0, "timeout"), (1.0, "correct"), (0.0, "timeout"), (0.0, "wrong")]


@pytest.mark.parametrize("timeout", [0, -1, None, "5", float("nan"), float("inf"), True, 10**9])
def test_disabled_limits_are_rejected(timeout):
    with pytest.raises(ValueError, match="timeout"):
        get_verifier("math", timeout=timeout)


def test_same_verdicts_from_threads_and_processes(v):
    pairs = [(boxed(r"\frac{2}{4}"), "0.5"), (boxed("x^2"), "x*x"), (boxed("7"), "8"), ("#### 12", "12"),
             (boxed(r"\int x"), "1")]
    expected = [v.verify(c, r) for c, r in pairs]
    with cf.ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda p: v.verify(*p), pairs * 3)) == expected * 3
    with cf.ProcessPoolExecutor(2) as pool:
        assert list(pool.map(_verify_in_process, pairs)) == expected


def _verify_in_process(pair):
    verifier = get_verifier("math")
    try:
        return verifier.verify(*pair)
    finally:
        verifier.close()


def test_batch_keeps_order_and_is_deterministic(v):
    pairs = [(boxed(str(i)), str(i if i % 3 else i + 1)) for i in range(60)] + [(boxed("x+1"), "1+x")]
    first = v.verify_batch(pairs, workers=2)
    assert [d.reward for d in first] == [0.0 if i % 3 == 0 else 1.0 for i in range(60)] + [1.0]
    assert v.verify_batch(pairs, workers=1) == first


def test_async_caller_gets_the_same_verdict(v):
    import asyncio

    async def main():
        return await asyncio.to_thread(v.verify, boxed(r"\frac12"), "0.5")

    assert asyncio.run(main()).reward == 1.0


def test_internal_error_is_surfaced_not_zero(monkeypatch):
    """B21: a crash inside the judge is status error with reward None, never a silent 0."""
    from verifiers._math import pool as _math_pool

    verifier = get_verifier("math")
    try:
        monkeypatch.setattr(_math_pool.WorkerPool, "run", lambda self, jobs, workers=None: (_ for _ in ()).throw(
            RuntimeError("boom")))
        verdict = verifier.verify(boxed("x+1"), "1+x")
        assert (verdict.reward, verdict.status) == (None, "error")
    finally:
        verifier.close()


@pytest.mark.parametrize("reference, ok", [("42", True), (r"\frac{1}{2}", True), ("x^2+1", True), (r"\{1,2\}", True),
                                           (r"\frac{1}{", False), ("", False), (r"\int_0^1 x dx", False)])
def test_check_reference(v, reference, ok):
    assert (v.check_reference(reference) is None) is ok


def test_workers_do_not_leak_processes():
    before = _children()
    for _ in range(3):
        verifier = get_verifier("math")
        verifier.verify(boxed("x+1"), "1+x")
        verifier.close()
    time.sleep(0.2)
    assert _children() <= before


def _children() -> int:
    return len(psutil.Process(os.getpid()).children(recursive=True))


def test_internal_error_in_the_fast_path_is_surfaced_and_counted(monkeypatch):
    """B21: a bug in our own extraction is status error with reward None, counted, never a silent 0."""
    import verifiers.math as math_module

    verifier = get_verifier("math")
    monkeypatch.setattr(math_module, "extract_answer", lambda text: 1 / 0)
    verdict = verifier.verify("46", "46")
    assert (verdict.reward, verdict.status) == (None, "error") and "ZeroDivisionError" in verdict.detail
    assert verifier.status_counts["error"] == 1
    verifier.close()


def test_internal_error_in_a_worker_is_error_not_zero():
    from verifiers._math.worker import _handle

    def broken(a, b):
        raise KeyError("boom")

    assert _handle(["judge", "x", "x"], broken, broken)[:2] == [None, "error"]
    assert _handle(["check", "x", ""], broken, broken)[0].startswith("internal error")


@pytest.mark.parametrize("reference, ok", [
    (r"\pm 2", True), (r"(-\infty,0)\cup(1,\infty)", True), (r"\text{(C)}", True), ("Tina", True),
    (r"The answer is \boxed{\frac{1}{2}}", True), ("Natalia sold 24 clips.\n#### 72", True), ("12 apples", True),
    (r"\boxed{\frac{1}{2}", False), ("10^{10^{10}}", False), (r"\sum_{k=1}^{10} k", False), ("1 +", False),
    ("__import__('os')", False),
])
def test_check_reference_more(v, reference, ok):
    assert (v.check_reference(reference) is None) is ok


def _run_script(tmp_path, code: str) -> str:
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(code)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_common_answers_never_import_sympy_nor_start_workers(tmp_path):
    out = _run_script(tmp_path, (
        "import sys\nfrom verifiers import get_verifier\nv = get_verifier('math')\n"
        "pairs = [('The answer is 46', '46'), ('#### 1,234', '1234'), (r'\\boxed{\\frac{2}{4}}', '0.5'),\n"
        "         (r'\\boxed{0.75}', r'\\frac34'), ('so 7 apples', '7'), (r'\\boxed{3\\%}', '3')] * 50\n"
        "assert all(d.reward == 1.0 for d in v.verify_batch(pairs))\n"
        "print(sorted(m for m in ('sympy', 'torch', 'transformers', 'multiprocessing') if m in sys.modules),\n"
        "      v._pool is None)\n"))
    assert out.strip() == "[] True"


def test_a_script_without_a_main_guard_is_not_re_run_by_workers(tmp_path):
    """Workers are fresh interpreters, not multiprocessing spawns that re-import the caller's __main__."""
    out = _run_script(tmp_path, (
        "from verifiers import get_verifier\nprint('started')\nv = get_verifier('math')\n"
        "print(v.verify(r'\\boxed{x^2-1}', '(x-1)(x+1)').status)\nv.close()\n"))
    assert out.split() == ["started", "correct"]
