"""Benchmark inputs for `bench/verify_math.py`: deterministic ordinary pairs and a labelled adversarial table.

`ordinary_pairs(n)` mimics GSM8K/MATH training rewards (boxed integers, ``####`` answers, equivalent fractions,
decimals against fractions), half right and half wrong, each with its true label. `ADVERSARIAL` follows rows
B1-B23 of the reliability checklist and the classes of issue 12 (tags I12-*): (tag, completion, reference,
label), where label is the reward a careful human grader gives, or None where the row itself says the outcome is a
policy choice (then it is not scored).
"""

from __future__ import annotations

import random
from fractions import Fraction


def _box(x: str) -> str:
    return f"Let me work it out step by step. So the final answer is $\\boxed{{{x}}}$."


def ordinary_pairs(n: int = 20_000, seed: int = 0) -> list[tuple[str, str, int]]:
    """(completion, reference, label) triples; the same n and seed always give the same list."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        right = i % 2 == 0
        kind = (i // 2) % 6
        a = rng.randint(1, 99_999)
        if kind == 0:  # boxed integer
            out.append((_box(str(a if right else a + rng.randint(1, 9))), str(a), int(right)))
        elif kind == 1:  # GSM8K "#### x", sometimes with thousands separators
            shown = f"{a:,}" if a > 999 and rng.random() < 0.5 else str(a)
            ref = str(a if right else a + 10)
            out.append((f"She has {a // 2} + {a - a // 2} = {a} apples.\n#### {shown}", ref, int(right)))
        elif kind == 2:  # equivalent fractions
            p, q, k = rng.randint(1, 50), rng.randint(51, 99), rng.randint(2, 9)
            ans = f"\\frac{{{p * k}}}{{{q * k}}}" if right else f"\\frac{{{p * k + 1}}}{{{q * k}}}"
            out.append((_box(ans), f"\\frac{{{p}}}{{{q}}}", int(right)))
        elif kind == 3:  # decimal answer, fraction reference (a decimal equals only the value it denotes)
            q = rng.choice([2, 4, 5, 8, 10, 20, 25, 40, 50])
            p = rng.randint(1, 3 * q)
            value = Fraction(p, q)
            dec = f"{float(value):.6f}".rstrip("0").rstrip(".")
            ans = dec if right else f"{float(value) + 0.01:.6f}".rstrip("0").rstrip(".")
            out.append((_box(ans), f"\\frac{{{p}}}{{{q}}}", int(right)))
        elif kind == 4:  # "The answer is x."
            out.append((f"Adding them up gives the total. The answer is {a if right else a - 1}.", str(a), int(right)))
        else:  # fraction answer, decimal reference
            q = rng.choice([2, 4, 5, 8])
            p = rng.randint(1, 40)
            dec = f"{p / q:.4f}".rstrip("0").rstrip(".")
            ans = f"\\frac{{{p}}}{{{q}}}" if right else f"\\frac{{{p + 1}}}{{{q}}}"
            out.append((_box(ans), dec, int(right)))
    return out


B = _box
ADVERSARIAL: list[tuple[str, str, str, int | None]] = [
    # B1 positive controls
    ("B1", B(r"\frac{1}{2}"), "0.5", 1), ("B1", B("x^2-1"), "(x-1)(x+1)", 1), ("B1", B(r"\{1,2\}"), r"\{2,1\}", 1),
    ("B1", B(r"\frac{63}{400}"), "0.1575", 1),
    # B2 negative controls
    ("B2", B(r"\frac{64}{400}"), r"\frac{63}{400}", 0), ("B2", B("3"), "6", 0),
    # B3 lists and ranges are not the value
    ("B3", r"\boxed{1}\boxed{2}\boxed{3}", "2", 0), ("B3", B("1,2,3"), "2", 0), ("B3", B(r"3 \text{ or } 4"), "3", 0),
    ("B3", B(r"\{1,2,3\}"), "2", 0), ("B3", B("[0,10]"), "3", 0), ("B3", B("2<x<4"), "3", 0),
    # B4 several boxes: the last one counts
    ("B4", r"I think \boxed{5}. Final answer: \boxed{3}", "3", 1),
    ("B4", r"I think \boxed{3}. Final answer: \boxed{5}", "3", 0),
    ("B4", r"<think>\boxed{3}</think> so \boxed{5}", "5", 1),
    # B5 restated operations
    ("B5", B(r"\int_0^3 x^2\,dx"), "9", 0), ("B5", B(r"\sum_{k=1}^{10}k"), "55", 0), ("B5", B(r"\binom52"), "10", 0),
    ("B5", B(r"\lim_{x\to3}x"), "3", 0), ("B5", B("x > 3"), "3", 0), ("B5", B(r"\frac{d}{dx} x^2"), "2x", 0),
    # B6 partial parses
    ("B6", B(r"4\sqrt(2)"), "4", 0), ("B6", B(r"1+\frac{1}{\mathrm{e}}"), r"1-\frac{1}{\mathrm{e}}", 0),
    ("B6", B("1"), r"$1-\frac{1}{\mathrm{e}}$", 0), ("B6", B(r"\pm 2021"), "2021", 0),
    # B7 tiny magnitudes are exact
    ("B7", B(r"\frac{1}{2^{98}}"), r"\frac{1}{2^{99}}", 0), ("B7", B(r"\frac{1}{2006!}"), r"\frac{1}{2004!}", 0),
    # B8 power towers and huge numbers
    ("B8", B("9^{9^{9}}"), "9", 0), ("B8", B("9^{9^{9^{9}}}"), "9", 0),
    ("B8", B("10^{10^{10}}-10^{10^{10}}+3"), "3", 0),
    ("B8", B(r"2^{2^{100}} \bmod 7"), "2", 0), ("B8", B("2^{2^{100}}"), "2", 0), ("B8", B("(10^{10})!"), "1", 0),
    # B9 deep nesting and huge sums
    ("B9", B("(" * 500 + "1" + ")" * 500), "1", 0), ("B9", B("{" * 3000 + "1" + "}" * 3000), "1", 0),
    ("B9", B("+".join(["1"] * 10_000)), "10000", 0),
    # B10 long completions
    ("B10", "blah " * 40_000 + B("17"), "17", 1), ("B10", "x" * 1_000_000, "17", 0),
    # B11 code injection (the bench checks that no marker file appears)
    ("B11", B("__import__('os').system('touch pwned_marker')"), "0", 0),
    ("B11", B(r"\pi + __import__('os').getpid()"), r"\pi", 0),
    ("B11", B("[__import__('os')]"), r"\begin{pmatrix}1\\2\end{pmatrix}", 0),
    # B13 big integers
    ("B13", B("1" * 5000), "1" * 5000, 1), ("B13", B("1" * 4999), "1" * 5000, 0),
    # B16 policy pins (labels follow our documented policy; the row leaves them to the verifier)
    ("B16", B(r"3\%"), "3", None), ("B16", B(r"3\%"), "0.03", None), ("B16", B(r"300\%"), "3", None),
    ("B16", B(r"3\text{ cm}"), "3", 1), ("B16", B(r"3^\circ"), "3", 1),
    ("B16", B("1.5707963"), r"\frac{\pi}{2}", None),
    ("B16", B("1.414"), r"\sqrt2", 0), ("B16", B(r"90^\circ"), r"\frac{\pi}{2}", None), ("B16", B("3,000"), "3000", 1),
    ("B16", B("1,2"), "1.2", 0),
    # B17 truncated or empty
    ("B17", r"so the answer is \boxed{3", "3", 0), ("B17", r"\boxed{}", "3", 0), ("B17", r"\boxed{ }", "3", 0),
    ("B17", "<answer></answer>", "3", 0),
    # B18 equations and variables
    ("B18", B("x=3"), "3", 1), ("B18", B("y=3"), "x=3", 0), ("B18", B("3=3"), "3", 0),
    ("B18", "3x+4y+14=0", "3x-y+13=0", 0), ("B18", B("2x+2y=2"), "x+y=1", 1),
    # B20 normaliser collisions: known-equal pairs still match
    ("B20", B(r"\infty"), r"\infty", 1), ("B20", B(r"\left(1,2\right)"), "(1,2)", 1),
    ("B20", B(r"\text{Tina}"), "Tina", 1), ("B20", B(r"a \cdot b"), "ab", 1), ("B20", B("3 = 5"), "3=5", 1),
    # B22 decimals are the value they denote
    ("B22", B("0.333"), r"\frac13", 0), ("B22", B("0.33"), r"\frac13", 0), ("B22", B("0.999999999"), "1", 0),
    # ordinary MATH-style answers
    ("MATH", B(r"\dfrac{\sqrt{3}}{2}"), r"\frac{\sqrt3}{2}", 1), ("MATH", B(r"2\sqrt{2}"), r"\sqrt{8}", 1),
    ("MATH", B(r"\frac{\sqrt{2}}{2}"), r"\frac{1}{\sqrt{2}}", 1), ("MATH", B(r"(-\infty, 3)"), r"(-\infty,3)", 1),
    ("MATH", B(r"[2, \infty)"), r"[2,\infty)", 1), ("MATH", B("[1, 5)"), "[1,5]", 0),
    ("MATH", B(r"x \in [1,2]"), "[1,2]", 1), ("MATH", B(r"\sin^2 x + \cos^2 x"), "1", 1),
    ("MATH", B(r"\log_2 8"), "3", 1), ("MATH", B(r"0.\overline{3}"), r"\frac13", 1),
    ("MATH", B(r"\sqrt[3]{27}"), "3", 1),
    ("MATH", B(r"\pi r^2"), r"r^2\pi", 1), ("MATH", B("(1,2),(3,4)"), "(3,4),(1,2)", None),
    ("MATH", B(r"\text{(C)}"), "C", 1), ("MATH", B("A"), r"\text{(B)}", 0),
    ("MATH", B(r"\varnothing"), r"\emptyset", 1),
    ("MATH", B(r"\begin{pmatrix}1&2\\3&4\end{pmatrix}"), r"\begin{bmatrix}1&2\\3&4\end{bmatrix}", 1),
    ("MATH", B(r"\begin{pmatrix}1&2\\3&4\end{pmatrix}"), r"\begin{pmatrix}1&3\\2&4\end{pmatrix}", 0),
    ("MATH", B(r"\sqrt{2}"), "1.41421356237", 0), ("MATH", B("(1,2)"), r"\{1,2\}", 0),
    ("MATH", B("x^2+1"), "x^2-1", 0),
    ("MATH", B(r"\frac{1}{0}"), r"\infty", 0), ("MATH", B("i"), "-1", 0), ("MATH", B("2x"), "2", 0),
    ("MATH", B(r"\sqrt{2}+\sqrt{3}"), r"\sqrt{5+2\sqrt{6}}", 1), ("MATH", B(r"\cos(\pi/3)"), r"\frac12", 1),
    ("MATH", B(r"10^{100}"), "1" + "0" * 100, 1), ("MATH", B("3!"), "6", 1), ("MATH", B(r"e^{i\pi}"), "-1", 1),
    # ordinary GSM8K-style answers
    ("GSM8K", "She has 5 + 3 = 8 apples.\n#### 8", "8", 1), ("GSM8K", "The answer is: 18", "18", 1),
    ("GSM8K", "**Answer:** 7", "7", 1), ("GSM8K", "The answer is \\(7\\).", "7", 1),
    ("GSM8K", "#### $18.90", "18.9", 1),
    ("GSM8K", "The answer is 46 apples.", "46", 1), ("GSM8K", B(r"\$1,000"), "1000", 1),
    ("GSM8K", B("1{,}000"), "1000", 1),
    ("GSM8K", "The answer is 5. No wait, the answer is 6", "5", 0), ("GSM8K", "#### 5\n#### 6", "5", 0),
    ("GSM8K", "Answer: 1,234", "1234", 1), ("GSM8K", "so 46", "46", 1), ("GSM8K", B("3 x"), "3", 0),
    # issue 12: unboxed LaTeX is the last math span, parsed whole
    ("I12-span", "The value is $\\frac{1}{3}$", "3", 0), ("I12-span", "The value is $\\frac{1}{3}$", "1/3", 1),
    ("I12-span", "So we get $\\sqrt{3}$", "3", 0), ("I12-span", "So we get $2^{10}$", "10", 0),
    ("I12-span", "So we get $2^{10}$", "1024", 1), ("I12-span", "so it is \\(\\frac{2}{4}\\) in total", "0.5", 1),
    ("I12-span", "It costs $5 and then $13 more.", "13", 1), ("I12-span", "so it is $3$ or $4$", "4", 0),
    # issue 12: numerals side by side are never a product
    ("I12-juxta", B("2 3"), "6", 0), ("I12-juxta", B("2 3"), "23", 0), ("I12-juxta", B("10 1/2"), "5", 0),
    ("I12-juxta", B("10 1/2"), "21/2", 1), ("I12-juxta", B("4 4/9"), "16/9", 0), ("I12-juxta", B("4 4/9"), "40/9", 1),
    ("I12-juxta", B("1 000"), "1000", 1), ("I12-juxta", "He ran 4 4/9 miles", "4/9", 0),
    # issue 12: thousands separators
    ("I12-comma", B("0,111"), "111", 0), ("I12-comma", B("10,\\! 000"), "10000", 1),
    ("I12-comma", B("1,000,000"), "10^6", 1),
    # issue 12: function application, or-lists, ASCII relations
    ("I12-func", B("f(2)"), "2f", 0), ("I12-func", B("f(x) = x^2"), "x^2", 1), ("I12-func", B("x(x+1)"), "x^2+x", 1),
    ("I12-or", B("2 or 3"), "2, 3", 1), ("I12-or", B("2 or 3"), "3", 0), ("I12-or", B("2"), "2 or 3", 0),
    ("I12-rel", B("x <= 3"), "x \\le 3", 1), ("I12-rel", B("x != 3"), "x \\ne 3", 1),
    ("I12-rel", B("x != 3"), "3", 0),
    # issue 12: matrices, units after a span, x = (0, 1)
    ("I12-matrix", B(r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}"), r"\begin{pmatrix}a&b\\c&d\end{pmatrix}", 1),
    ("I12-matrix", B("\\begin{pmatrix} 1 \\\\ 2 \\\\ \\end{pmatrix}"), "\\begin{pmatrix}1\\\\2\\end{pmatrix}", 1),
    ("I12-unit", "$125$ miles", "125", 1), ("I12-unit", "The distance is $125$ miles.", "12", 0),
    ("I12-eq", B("x = (0, 1)"), "(0,1)", 1), ("I12-eq", B("x = (0, 1)"), "[0,1]", 0),
]
