"""Rows that other checkers' public suites flag (issue 23 item 4), graded by the policy in verifiers/math.py and
docs/math_policy.md ("Rows other checkers flag"). Each table row is (completion, reference, reward).

1. the last of several matrices in a chain is the answer, as the last number is;
2. ``0,111`` is the list 0, 111 (boxed or not), never its last element 111;
3. ``4 0/9`` is the mixed number 4;
4. a percentage has ONE reading: its number by default (MATH), its hundredths with ``percent_as_fraction: true``
   (Math-Verify); no completion is ever paid against both 40/9 and 40/900.
"""

import json
import subprocess
import sys
import time

import pytest
from conftest import run_rlvr

from verifiers import get_verifier
from verifiers.math import MathOptions
from verifiers.options import OptionError, build_options, changed_options


@pytest.fixture(scope="module")
def v(math_verifier):
    return math_verifier


@pytest.fixture(scope="module")
def v_fraction():
    verifier = get_verifier("math", timeout=3.0, percent_as_fraction=True)
    yield verifier
    verifier.close()


def _table(rows):
    return [pytest.param(c, r, want, id=f"{c[-60:]} | {r[:40]} -> {want}") for c, r, want in rows]


A = r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}"
B = r"\begin{pmatrix} 0 & 1 \\ 1 & 0 \end{pmatrix}"
C = r"\begin{pmatrix} 1 & 3 \\ 4 & 4 \end{pmatrix}"
A2, B2, C2 = (m.replace(" ", "").replace("pmatrix", "bmatrix") for m in (A, B, C))


def _against_abc(completion: str, answer: str | None) -> list[tuple[str, str, int]]:
    """The completion against each of A, B, C: paid only against `answer` (None: against none)."""
    return [(completion, ref, int(name == answer)) for name, ref in (("A", A), ("B", B), ("C", C))]


MATRIX_CHAIN = [
    # written without delimiters: the last matrix is the answer (it used to be C's last entry, 4)
    *_against_abc(f"Adding entry by entry, {A} + {B} = {C}", "C"),
    *_against_abc(f"Adding entry by entry, {A} + {B} = {C}.", "C"),
    *_against_abc(f"Adding entry by entry, {A2} + {B2} = {C2}", "C"),
    *_against_abc(f"So the sum is\n{A} + {B} = {C}\n", "C"),
    (f"Adding entry by entry, {A} + {B} = {C}", "4", 0),
    # each matrix in its own span, or the last one boxed: the last span / the box is the answer
    *_against_abc(f"${A}$ + ${B}$ = ${C}$", "C"),
    *_against_abc(f"{A} + {B} = ${C}$", "C"),
    *_against_abc(f"{A} + {B} = \\boxed{{{C}}}", "C"),
    *_against_abc(f"$${A} + {B} = \\boxed{{{C}}}$$", "C"),
    *_against_abc(f"So $\\mathbf{{S}} = {C}$", "C"),  # a named equation answers its right side (R1)
    # the whole chain in one span or box is an equation whose left side names nothing (R2, like $2+3=5$ vs 5)
    *_against_abc(f"We compute ${A} + {B} = {C}$", None),
    *_against_abc(f"$${A} + {B} = {C}$$", None),
    *_against_abc(f"\\boxed{{{A} + {B} = {C}}}", None),
    ("We get $2 + 3 = 5$", "5", 0), (r"\boxed{2 + 3 = 5}", "5", 0), ("We get 2 + 3 = 5", "5", 1),
    # a number after the chain is later: it is the answer
    (f"{A} + {B} = {C}, whose trace is 5", "5", 1), (f"{A} + {B} = {C}, whose trace is 5", C, 0),
]

COMMA_GROUPS = [
    # 0,111 is the list 0, 111 (N5), unboxed as boxed: never 111 (it used to be, unboxed), 0111 or 0.111
    *[(c, ref, want) for c in ("0,111", "so it is 0,111", "So we get 0,111 in the end.", r"\boxed{0,111}",
                               "The answer is 0,111", "so we get $0,111$")
      for ref, want in (("111", 0), ("0111", 0), ("0.111", 0), ("0", 0), ("0, 111", 1))],
    ("so it is 1,0001", "1", 0), ("so it is 1,0001", "10001", 0), ("so it is 3,5", "5", 0),
    ("so it is 3,5", "3.5", 0), ("so it is 12,34", "34", 0), ("so it is 1,2,3", "3", 0),
    ("so it is 1,2,3", "1, 2, 3", 1), ("It costs 1,000 dollars", "1000", 1), ("so it is 1,000,000", "10^6", 1),
    ("so it is 1,000.5", "1000.5", 1),
]

MIXED_ZERO = [
    # 4 0/9 is the mixed number 4 + 0/9 = 4 (it used to be no_answer); 36/9 is the same value, so it is paid too
    *[(c, ref, want) for c in ("4 0/9", "He ran 4 0/9 miles", r"\boxed{4 0/9}", r"\boxed{4\frac{0}{9}}",
                               "The answer is $4 0/9$.", r"so we get $4 \frac{0}{9}$")
      for ref, want in (("4", 1), ("36/9", 1), (r"\sqrt{16}", 1), ("0/9", 0), ("0", 0), ("40/9", 0), ("4/9", 0))],
    (r"\boxed{-4 0/9}", "-4", 1), (r"\boxed{0 0/9}", "0", 0), (r"\boxed{4 0/0}", "4", 0), (r"\boxed{4 9/9}", "5", 0),
    # a group of three after a first group of one to three digits is a thousands separator, also before a slash;
    # the in-process fast path now agrees with the grammar (4 444/999 used to be 40/9 against plain references)
    (r"\boxed{1 000/3}", "1000/3", 1), (r"\boxed{1 000/3}", "1", 0), (r"\boxed{1 000/3}", r"\sqrt{(1000/3)^2}", 1),
    (r"\boxed{4 444/999}", "4444/999", 1), (r"\boxed{4 444/999}", r"\frac{4444}{999}", 1),
    (r"\boxed{4 444/999}", "40/9", 0), (r"\boxed{4 444/999}", r"\sqrt{(4444/999)^2}", 1),
    (r"\boxed{4 444/999}", r"\sqrt{(40/9)^2}", 0), (r"\boxed{1234 567/999}", r"1234\frac{567}{999}", 1),
]


@pytest.mark.parametrize("completion, reference, want", _table(MATRIX_CHAIN + COMMA_GROUPS + MIXED_ZERO))
def test_rows(v, completion, reference, want):
    verdict = v.verify(completion, reference)
    assert verdict.reward == float(want), verdict


def test_many_unclosed_matrix_environments_cost_linear_time(v):
    text = r"\begin{pmatrix} 1 & 2 " * 2000 + "so 7"
    start = time.perf_counter()
    assert v.verify(text, "7").reward == 1.0
    assert time.perf_counter() - start < 1.0


# -- 4. percent: one reading ---------------------------------------------------------------------------------------

def _percent_forms(number: str, sign: str) -> list[str]:
    return [f"\\boxed{{{number}{sign}}}", f"so it is {number}{sign}", f"The answer is {number}{sign}.",
            f"So we get ${number}{sign}$", f"\\boxed{{x = {number}{sign}}}"]


MIXED_PERCENT = [c for sign in ("%", r"\%") for c in _percent_forms("4 4/9", sign) + [
    f"\\boxed{{4\\frac{{4}}{{9}}{sign}}}", f"So we get $4\\frac49{sign}$"]] + ["so it is 4 4/9 percent"]
PERCENT_PINS = [  # (completion, reference, paid by default, paid with percent_as_fraction)
    *[(c, "3", 1, 0) for sign in ("%", r"\%") for c in _percent_forms("3", sign)],
    *[(c, "0.03", 0, 1) for sign in ("%", r"\%") for c in _percent_forms("3", sign)],
    (r"\boxed{300\%}", "3", 0, 1), (r"\boxed{300\%}", "300", 1, 0), (r"\boxed{10\%}", "0.1", 0, 1),
    (r"\boxed{\frac{1}{4}}", r"25\%", 0, 1), (r"\boxed{25}", r"25\%", 1, 0), (r"\boxed{25\%}", r"25\%", 1, 1),
    (r"\boxed{25\%}", "25%", 1, 1), (r"\boxed{0.25}", r"25\%", 0, 1), ("so it is 25 percent", "25", 1, 0),
    (r"\boxed{10\%, 20\%}", "10, 20", 1, 0), (r"\boxed{10\%, 20\%}", "0.1, 0.2", 0, 1),
    (r"\boxed{3\%}", r"3^\circ", 0, 0),
]


@pytest.mark.parametrize("completion", MIXED_PERCENT)
def test_a_percentage_has_one_reading(v, v_fraction, completion):
    """Default: 4 4/9% is 40/9 (MATH strips the sign); percent_as_fraction: 40/900 (Math-Verify). Never both."""
    default = [v.verify(completion, ref).reward for ref in ("40/9", "40/900", r"4\frac{4}{9}", "2/45")]
    fraction = [v_fraction.verify(completion, ref).reward for ref in ("40/9", "40/900", r"4\frac{4}{9}", "2/45")]
    assert default == [1.0, 0.0, 1.0, 0.0], default
    assert fraction == [0.0, 1.0, 0.0, 1.0], fraction


@pytest.mark.parametrize("sign", ["%", r"\%"])
def test_a_percent_reference_has_one_reading(v, v_fraction, sign):
    for answer, by_default in (("40/9", 1.0), ("40/900", 0.0), (r"\frac{40}{9}", 1.0), (r"\sqrt{(2/45)^2}", 0.0)):
        assert v.verify(f"\\boxed{{{answer}}}", f"4 4/9{sign}").reward == by_default, answer
        assert v_fraction.verify(f"\\boxed{{{answer}}}", f"4 4/9{sign}").reward == 1.0 - by_default, answer


@pytest.mark.parametrize("completion, reference, by_default, as_fraction", PERCENT_PINS)
def test_percent_pins_under_both_settings(v, v_fraction, completion, reference, by_default, as_fraction):
    assert v.verify(completion, reference).reward == float(by_default)
    assert v_fraction.verify(completion, reference).reward == float(as_fraction)


def test_batches_keep_the_setting_on_the_slow_path(v, v_fraction):
    pairs = [(r"\boxed{4\frac{4}{9}\%}", "40/9"), (r"\boxed{4\frac{4}{9}\%}", "40/900"), (r"\boxed{x^2}", "x^2")]
    assert [d.reward for d in v.verify_batch(pairs, workers=2)] == [1.0, 0.0, 1.0]
    assert [d.reward for d in v_fraction.verify_batch(pairs, workers=2)] == [0.0, 1.0, 1.0]


def test_the_switch_is_a_checked_option_that_identifies_a_run():
    import yaml

    opts = build_options(MathOptions, yaml.safe_load("percent_as_fraction: true"), "verifier 'math'")
    assert opts.percent_as_fraction is True and changed_options(opts) == {"percent_as_fraction": True}
    assert changed_options(build_options(MathOptions, {}, "verifier 'math'")) == {}
    with pytest.raises(OptionError, match="percent_as_fraction.*expects bool"):
        build_options(MathOptions, {"percent_as_fraction": "yes"}, "verifier 'math'")


def test_the_switch_is_set_from_a_config(tmp_path):
    from rlvr.config import load_config

    path = tmp_path / "c.yaml"
    path.write_text("task: add\nverifier: math\nverifier_options:\n  percent_as_fraction: true\n")
    cfg, _ = load_config(path)
    verifier = cfg.make_verifier()
    try:
        assert verifier.options.percent_as_fraction is True
        assert verifier.verify(r"\boxed{4 4/9\%}", "40/900").reward == 1.0
    finally:
        verifier.close()


@pytest.mark.parametrize("args, reward", [
    ([], 0.0), (["--option", "percent_as_fraction=true"], 1.0),
    (["--verifier_options", '{"percent_as_fraction": true}'], 1.0),
])
def test_the_switch_is_set_from_rlvr_verify(args, reward):
    proc = run_rlvr("verify", "--verifier", "math", "--completion", r"so it is 4 4/9%", "--reference", "40/900", *args)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["reward"] == reward


def test_a_bad_switch_value_is_one_line():
    proc = run_rlvr("verify", "--verifier", "math", "--completion", "1", "--reference", "1",
                    "--option", "percent_as_fraction=maybe")
    assert proc.returncode == 2 and "percent_as_fraction" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_the_worker_reads_the_flag_from_the_job():
    code = ("from verifiers._math.worker import _handle\nfrom verifiers._math.compare import judge, check_reference\n"
            "print(_handle(['judge', '4\\\\frac{4}{9}\\\\%', '40/900'], judge, check_reference)[0],"
            " _handle(['judge', '4\\\\frac{4}{9}\\\\%', '40/900', {'percent_as_fraction': True}], judge,"
            " check_reference)[0])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.split() == ["0.0", "1.0"], proc.stderr
