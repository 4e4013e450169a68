"""The `math` verifier, pinned by tables: policy decisions, RELIABILITY B1-B23, ordinary answers, safety."""

import concurrent.futures as cf
import os
import time

import psutil
import pytest

from verifiers import get_verifier


@pytest.fixture(scope="module")
def v():
    verifier = get_verifier("math", timeout=3.0)
    yield verifier
    verifier.close()


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
    # B16 policy pins
    (boxed(r"3\%"), "3"), (boxed(r"3\%"), "0.03"), (boxed(r"300\%"), "3"), (boxed(r"3\text{ cm}"), "3"),
    (boxed(r"3^\circ"), "3"), (boxed("3,000"), "3000"),
    # B18: a single variable on the left answers the value
    (boxed("x=3"), "3"),
    # B13 big integers
    (boxed("1" * 5000), "1" * 5000), ("7" * 5000, "7" * 5000),
    # equations equal up to a non-zero multiple
    (boxed("2x+2y=2"), "x+y=1"),
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
    # B16 policy pins (the other way)
    (boxed("1.5707963"), r"\frac{\pi}{2}"), (boxed("1.414"), r"\sqrt2"), (boxed(r"90^\circ"), r"\frac{\pi}{2}"),
    (boxed("1,2"), "1.2"),
    # B18 equations and variables
    (boxed("y=3"), "x=3"), (boxed("3=3"), "3"), ("3x+4y+14=0", "3x-y+13=0"),
    # B22 decimals are the value they denote
    (boxed("0.333"), r"\frac13"), (boxed("0.33"), r"\frac13"), (boxed("0.999999999"), "1"),
    # units never turn a variable into a number
    (boxed("3x"), "3"),
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
                                     "$" * 1000, "\\boxed{" * 2000, "x" * 1_000_000, "9" * 200_000 + " and"])
def test_never_raises_on_garbage(v, garbage):
    for reference in ("3", garbage[:50] or "3"):
        verdict = v.verify(garbage, reference)
        assert verdict.reward in (0.0, 1.0, None) and verdict.status in v.statuses


def test_long_completion_with_answer_at_the_end(v):
    assert v.verify("blah " * 40_000 + boxed("17"), "17").reward == 1.0  # B10


def test_timeout_is_enforced_and_pool_recovers():
    verifier = get_verifier("math", timeout=1.0)
    try:
        # A sympy simplification that takes far longer than a second.
        hard = boxed(r"\frac{(x+1)^{40}-(x-1)^{40}}{x^{39}+3x^{17}+2}")
        start = time.monotonic()
        verdict = verifier.verify(hard, r"\frac{(x+2)^{40}}{x^{39}+3x^{17}+1}")
        elapsed = time.monotonic() - start
        assert verdict.status in ("timeout", "wrong") and verdict.reward == 0.0
        assert elapsed < 1.0 + 1.0 + 3.0  # limit + one second (+ worker start-up on a loaded machine)
        assert verifier.verify(boxed("x+1"), "1+x").reward == 1.0
    finally:
        verifier.close()


@pytest.mark.parametrize("timeout", [0, -1, None, "5", float("nan")])
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
    from verifiers import _math_pool

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
