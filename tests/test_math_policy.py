"""The `math` verifier on answers written the way other checkers' users write them (issue 12), one table per class.

SAME pairs must be equal in both directions (each side boxed as the answer, the other as the reference); DIFFERENT
pairs must never be paid in either direction (0, or None where the swapped side is not a usable reference);
COMPLETIONS are whole unboxed completions with their label. The rules are in docs/math_policy.md.
"""

import pytest


@pytest.fixture(scope="module")
def v(math_verifier):
    return math_verifier


def boxed(x: str) -> str:
    return f"So the final answer is $\\boxed{{{x}}}$."


SAME = {
    "juxtaposed numerals": [
        ("10 1/2", "21/2"), ("4 4/9", "40/9"), ("-4 4/9", r"-\frac{40}{9}"), ("1 000", "1000"),
        ("12 345 678", "12345678"), (r"1\,000", "1000"), ("1 000.5", "1000.5"), (r"2\frac{1}{4}", "9/4"),
        ("(2)(3)", "6"),
    ],
    "thousands separators": [
        (r"10,\! 000", "10000"), (r"10,\!000", "10000"), ("1,000,000", "10^6"), ("1,000.5", "1000.5"),
        ("3{,}000", "3000"),
    ],
    "function application": [
        ("f(2)", "f(2)"), ("f(x)=x^2", "x^2"), ("g(3) = 7", "7"), ("x(x+1)", "x^2+x"), ("p(1-p)", "p-p^2"),
        ("f(1, 2)", "f(1,2)"),
    ],
    "or/and lists": [
        ("2 or 3", "2, 3"), ("x = 2 or x = 3", "3, 2"), ("1 and 2", "1, 2"), ("1, 2, and 3", "1,2,3"),
        (r"1 \text{ or } 2", "2 or 1"),
    ],
    "ASCII relations": [
        ("x <= 3", r"x \le 3"), ("x >= 3", r"3 \le x"), ("x != 3", r"x \ne 3"), ("3 != x", r"x \neq 3"),
        ("y >= 2x", r"2x \leq y"),
    ],
    "matrices": [
        (r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}", r"\begin{pmatrix}a&b\\c&d\end{pmatrix}"),
        (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \\ \end{pmatrix}", r"\begin{bmatrix}1&2\\3&4\end{bmatrix}"),
        (r"\begin{pmatrix} 1 \\ 2 \\ \end{pmatrix}", r"\begin{pmatrix}1\\2\end{pmatrix}"),
        (r"\left[\begin{array}{cc}1 & 2 \\ 3 & 4\end{array}\right]", r"\begin{pmatrix}1&2\\3&4\end{pmatrix}"),
    ],
    "equations answer their right side": [
        ("x = (0, 1)", "(0,1)"), ("x = [0, 1)", "[0,1)"), ("(a, b) = (3, 4)", "(3,4)"), ("x = (0,1)", "x = (0, 1)"),
        (r"S = \{1, 2\}", r"\{2, 1\}"), ("AB = 4", "4"), ("z = 1 + 1 = 2", "2"), ("x = 2 \\cdot 3 = 6", "6"),
    ],
    "forms other checkers accept": [
        (r"\{1\pm\sqrt{5},-2\}", r"\{-2, 1+\sqrt5, 1-\sqrt5\}"), (r"-2 \le x \le 7", "[-2, 7]"),
        ("5 > x > 2", "(2,5)"),
        ("0 < f(x) < 1", "(0,1)"), ("f(2) < f(1) < f(4)", "f(2)<f(1)<f(4)"), ("12:00", "12:00"), ("204_5", "204_{5}"),
        ("|x-1|", r"\left|x-1\right|"), (r"\cfrac{1}{3}", "1/3"), (r"\text{13}", "13"), ("-12;-11;-10", "-12,-11,-10"),
        ("x**2", "x^2"), (r"x \in (2,12) \cup (12,102)", r"(2, 12) \cup (12, 102)"),
        (r"\frac{\sqrt{3}}{3} \approx 0.577", r"\frac{1}{\sqrt3}"),
        (r"\frac{1}{3} \textbf{meters}", "1/3"),
        ("2x+4y-3=0", "y = -x/2 + 3/4"),
    ],
    "units": [
        (r"\frac12 cup", "1/2"), (r"2\sqrt{3} cm", r"\sqrt{12}"), ("12 square units", "12"), ("3 cm^2", "3"),
        (r"125\textnormal{ miles}", "125"),
    ],
}

DIFFERENT = {
    "juxtaposed numerals": [
        ("2 3", "6"), ("2 3", "23"), ("10 1/2", "5"), ("4 4/9", "16/9"), ("4 9/4", "25/4"), ("4 9/4", "9"),
        ("1 000", "0"),
        ("12 34", "1234"), ("12 34", "408"), (r"2\,3", "23"), (r"2\,3", "6"), ("x 2", "2x"), ("2^3 4", "32"),
        (r"2\frac{5}{4}", r"\frac{13}{4}"), (r"2\frac{5}{4}", r"\frac{5}{2}"), ("0 1/2", "1/2"),
    ],
    "thousands separators": [
        ("0,111", "111"), ("0,111", "0.111"), ("1,00", "100"), ("12,34", "1234"), ("1,2", "1.2"), ("1, 000", "1000"),
    ],
    "function application": [
        ("f(2)", "2f"), ("f(x+1)", "fx+f"), ("a(2)", "2a"), ("f^{-1}(2)", r"\frac{2}{f}"), ("f(2)", "f(3)"),
        ("f(x) = x^2", "x^3"), ("x(x+1)", "x^2+1"),
    ],
    "or/and lists": [
        ("2 or 3", "3"), ("2 or 3", "2"), ("2 or 3", "6"), ("2 or 3", "2, 4"), ("1 and 2", "2"),
        ("x = 2 or x = 3", "3"),
    ],
    "ASCII relations": [
        ("x != 3", "3"), ("x != 3", "6"), ("x <= 3", "x < 3"), ("x >= 3", "x > 3"), ("x <= 3", "3"),
        ("x != 3", "x = 3"),
    ],
    "matrices": [
        (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", r"\begin{pmatrix}1&3\\2&4\end{pmatrix}"),
        (r"\begin{pmatrix} 1 \\ 2 \\ \end{pmatrix}", r"\begin{pmatrix}1 & 2\end{pmatrix}"),
        (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \\ \end{pmatrix}", r"\begin{pmatrix}1&2\\3&5\end{pmatrix}"),
    ],
    "equations answer their right side": [
        ("x = (0, 1)", "[0,1]"), ("(a,b) = (3,4)", "(4,3)"), ("x=(0,1)", "y = (0,1)"), ("D = (0, 1.5)", "D = (0, 1)"),
        ("n=1, 2, 3", "n=2, 3, 4"), ("3=3", "3"), ("z = 3 + 3 = 2", "2"), ("x = 5+5+1 = 7 = 11", "11"),
        ("2x = 6", "6"),
    ],
    "forms other checkers accept": [
        (r"\{1\pm\sqrt{5},-2\}", r"\{1+\sqrt5, -2\}"), (r"-2 \le x \le 7", "(-2, 7)"), ("2<x<4", "3"),
        ("12:00", "1:00"),
        ("1:2", "2:4"), ("204_5", "54"), ("1112122_3", "1112112_3"), ("|x-1|", "x-1"), ("5.51", r"\frac{11}{2}"),
        (r"\frac{\sqrt{3}}{3} \approx 0.577", "0.577"), ("7e37", r"7.63\times10^{33}"), ("x+2n+1", "x+1"),
        ("316", "317"),
        (r"\frac{1}{2006!}", r"\frac{1}{2004!}"), ("21, 36, and 82", r"19, 46, \text{ and } 82"), (r"4\sqrt(2)", "4"),
        (r"1 + \frac{1}{\mathrm{e}}", r"1 - \frac{1}{\mathrm{e}}"), ("2021", r"\pm 2021"),
        ("3x + 4y + 14=0", "3x-y+13=0"),
        ("(6.0+9.1i)", "6+9.2i"), ("e", "2.718"), (r"\sqrt{2}", "1.41421356"),
    ],
    "units": [
        ("3 xy", "3"), ("2 pi", "2"), ("3 sin x", "3"), ("5 mn", "5"), ("46 apples and pears", "46"),
        ("3 or four", "3"),
    ],
}

COMPLETIONS = [
    # unboxed LaTeX: the last complete math span, parsed whole, or the last plain number, whichever ends later
    ("The value is $\\frac{1}{3}$", "3", 0), ("The value is $\\frac{1}{3}$", "1/3", 1),
    ("So we get $\\sqrt{3}$", "3", 0), ("So we get $\\sqrt{3}$", r"\sqrt3", 1),
    ("So we get $2^{10}$", "10", 0), ("So we get $2^{10}$", "1024", 1),
    (r"so it is \(\frac{2}{4}\) in total", "0.5", 1), (r"so it is \(\frac{2}{4}\) in total", "4", 0),
    ("we find \\[x = 5\\]", "5", 1), ("$$\\frac{7}{2}$$", "3.5", 1), ("$$\\frac{7}{2}$$", "2", 0),
    ("first $3$, then 5 more", "5", 1), ("first $3$, then 5 more", "3", 0),
    ("we get 5, so $x=3$", "3", 1), ("we get 5, so $x=3$", "5", 0),
    ("The area is $\\pi r^2$", "2", 0), ("Thus $10^{3}$ ways", "3", 0), ("Thus $10^{3}$ ways", "1000", 1),
    # currency dollars are not math delimiters; an inline span does not cross a line break
    ("It costs $5 and then $13 more.", "13", 1), ("It costs $5 and then $13 more.", "5", 0),
    ("He paid $5.\nSo $x=3$.", "3", 1), ("He paid $5.\nSo $x=3$.", "5", 0),
    ("Answer $ \n 9 \n $", "9", 0), ("Answer \\( \n 9 \n \\)", "9", 0), ("Answer \\[ \n 9 \n \\]", "9", 1),
    ("Answer $$ \n 9 \n $$", "9", 1),
    # hedges: a last value joined by "or" is both values, never one of them
    ("so it is $3$ or $4$", "4", 0), ("so it is $3$ or $4$", "3", 0), ("so it is 3 or 4", "3, 4", 1),
    ("The answer is $3$ or $4$.", "3", 0), ("The answer is either 12 or 13.", "13", 0),
    # units after a math span
    ("$125$ miles", "125", 1), ("The distance is $125$ miles.", "125", 1), ("The answer is $125$ miles.", "125", 1),
    ("The answer is $125$ miles.", "12", 0),
    # numbers written side by side in plain text
    ("He ran 4 4/9 miles", "4/9", 0), ("He ran 4 4/9 miles", "40/9", 1), ("It costs 1 000 dollars", "0", 0),
    ("It costs 1 000 dollars", "1000", 1), ("On day 2 3 apples", "3", 0), ("On day 2 3 apples", "6", 0),
    ("pages 10-12", "-12", 0), ("pages 10-12", "12", 1),
    # "answer" sentences that open with words answer with their only value
    ("Final Answer: The largest $n$ is 34.", "34", 1), ("Final Answer: The volume of $ABCD$ is 120.", "120", 1),
    ("The answer is not 12 but 13", "12", 0), ("The answer is not 5.", "5", 0), ("The answer is at least 5.", "5", 0),
    ("The answer is about 5.", "5", 0), ("The answer is: the probability is 1/2.", "1/2", 1),
    ("The answer is $3$, since 3 is prime.", "3", 0), ("The answer is $3$, since it is prime.", "3", 1),
    ("The answer is $3$, or maybe $4$.", "3", 0), ("The answer is $3$, or maybe $4$.", "4", 0),
    # LaTeX written without delimiters is read whole, never as its last digit run
    ("We get \\frac{10}{9}.", "9", 0), ("We get \\frac{10}{9}.", "10/9", 1), ("so it is \\sqrt{3}", "3", 0),
    ("so it is 2^{10}", "10", 0), ("so it is 2^{10}", "1024", 1), ("we get x^2", "2", 0),
    # <answer> tags: the content whole; words joined by "or" with a short stretch between them are a hedge
    ("<think>hmm</think><answer>42</answer>", "42", 1), ("<think>3</think><answer>x = 3 or x = 4</answer>", "4", 0),
    ("<answer>\\frac{1}{3}</answer>", "3", 0), ("<answer>(1, 2)</answer>", "2", 0),
    ("<answer>(1, 2)</answer>", "(1,2)", 1),
    ("<answer>The answer is 12</answer>", "12", 1), ("so x = 3 or x = 4", "4", 0), ("so x = 3 or x = 4", "3, 4", 1),
    ("the sum of 2 and 3 is 5", "5", 1),
    # function values in text
    ("so the value is $f(3)$", "3f", 0), ("so the value is $f(3)$", "3", 0),
]

BAD_REFERENCES = [
    "2 3", "10 9/4", "3 to 5", r"\frac{1}{", "x = 5+5+1 = 7 = 11", r"$1-\frac{1}{\mathrm{e}}$ apples and", "7e37",
]
GOOD_REFERENCES = ["2 or 3", "1 000", "4 4/9", "$125$ miles", "f(2)", "x = (0, 1)", r"10,\! 000", "x != 3", "x <= 3",
                   r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \\ \end{pmatrix}", r"\{1\pm\sqrt{5},-2\}", "12:00"]


def _rows(table):
    return [pytest.param(a, b, id=f"{cls}: {a} | {b}") for cls, rows in table.items() for a, b in rows]


@pytest.mark.parametrize("a, b", _rows(SAME))
def test_same_both_ways(v, a, b):
    for answer, reference in ((a, b), (b, a)):
        verdict = v.verify(boxed(answer), reference)
        assert (verdict.reward, verdict.status) == (1.0, "correct"), (answer, reference, verdict)


@pytest.mark.parametrize("a, b", _rows(DIFFERENT))
def test_different_never_paid_either_way(v, a, b):
    for answer, reference in ((a, b), (b, a)):
        for completion in (boxed(answer), f"The answer is ${answer}$.", f"So we get ${answer}$"):
            verdict = v.verify(completion, reference)
            assert verdict.reward != 1.0, (completion, reference, verdict)


@pytest.mark.parametrize("completion, reference, label", COMPLETIONS)
def test_unboxed_completions(v, completion, reference, label):
    verdict = v.verify(completion, reference)
    assert verdict.reward == float(label), verdict


@pytest.mark.parametrize("answer", ["2 3", "12 34", "4 9/4", "x 2", r"2\frac{5}{4}"])
def test_juxtaposed_numerals_are_no_answer_saying_why(v, answer):
    for completion in (boxed(answer), f"so ${answer}$", f"The answer is {answer}"):
        verdict = v.verify(completion, "6")
        assert (verdict.reward, verdict.status) == (0.0, "no_answer"), verdict
        assert "side by side" in verdict.detail or "mixed number" in verdict.detail


@pytest.mark.parametrize("reference", BAD_REFERENCES)
def test_references_it_cannot_understand_are_masked(v, reference):
    verdict = v.verify(boxed("6"), reference)
    assert (verdict.reward, verdict.status) == (None, "bad_reference"), verdict
    assert v.check_reference(reference) is not None


@pytest.mark.parametrize("reference", GOOD_REFERENCES)
def test_references_it_understands(v, reference):
    assert v.check_reference(reference) is None


def test_or_reference_scores_its_list_not_silently_zero(v):
    assert v.verify(boxed("3, 2"), "2 or 3").reward == 1.0
    assert v.verify(boxed("2"), "2 or 3").reward == 0.0
