"""Normalisation and the plain-number fast path of the `math` verifier (pure Python: no sympy, bounded work).

`normalize` removes layout-only LaTeX (spacing, ``\\left``/``\\right``, ``$``, MATH's ``10,\\! 000``) and trailing
units, keeping all meaning. `plain_number` decides answers that are plain numbers (integers of any length,
decimals, ``a/b``, ``\\frac{a}{b}``, thousands separators, mixed numbers ``4 4/9``, a trailing unit or percent or
degree sign) with exact rational arithmetic: that is almost every reward of GSM8K-style training, decided in the
parent process without importing sympy. Anything else is None here and goes to the grammar in a worker, which
must give the same value wherever both read a text.
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["normalize", "plain_number", "CONNECTIVES"]

_UNICODE = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00d7": "\\times ", "\u00f7": "\\div ", "\u00b7": "\\cdot ",
                          "\u03c0": "\\pi ", "\u221e": "\\infty ", "\u2264": "\\le ", "\u2265": "\\ge ",
                          "\u2260": "\\ne ", "\u00a0": " ", "\u2009": " ", "\u202f": " "})

# 1,000,000 is one number (a first group of 1-3 digits not starting with 0, then groups of three), outside brackets.
_COMMA_THOUSANDS = re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,])")
_MATH_THOUSANDS = re.compile(r"(?<=\d),\\!\s*(?=\d{3}(?!\d))")  # MATH's thousands separator: 10,\! 000
_STRIP = [(re.compile(p), r) for p, r in [
    (r"\{,\}", ","),
    (r"\\[dtc]frac", r"\\frac"),
    (r"^\$+|\$+$|^\\\(|\\\)$", ""),
    (r"\\(?:mbox|textrm|textnormal)\{", r"\\text{"),
    (r"\\(?:mathrm|textbf|mathbf|boldsymbol|textit|mathit)\{\s*([A-Za-z]{2,}(?: [A-Za-z]+)*)\s*\}", r"\\text{\1}"),
    (r"\\(?:mathrm|textbf|mathbf|boldsymbol|textit|mathit)\{([^{}]*)\}", r"\1"),
    (r"°|\\degree", r"^\\circ"),
]]
_REPEATING = re.compile(r"(?<![\d.])(-?)(\d{0,200})\.(\d{0,200})\\overline\{(\d{1,50})\}")
# A trailing unit in \text{...} after a value ("2\sqrt{3}\text{ cm}^2"); never a connective ("3 \text{ or } 4").
_TEXT_UNIT = re.compile(r"^(.*?[\w}).])\s*\\text\{\s*([A-Za-z][A-Za-z .]*?)\s*\}(?:\^\{?[23]\}?)?\.?$")
# Plain words after a value ("46 apples", "\\frac12 cup", "12 square units", "3 cm^2").
_WORD_UNIT = re.compile(r"^(.*?[\d}).\]])\s+([A-Za-z]{2,15}(?:\s+[A-Za-z]{2,15}){0,2})(?:\^\{?[23]\}?)?\.?$")
_SHORT_UNITS = frozenset({"cm", "mm", "km", "kg", "mg", "ml", "ft", "in", "mi", "yd", "oz", "lb", "hr", "am", "pm"})
_MATH_WORDS = frozenset({"sin", "cos", "tan", "cot", "sec", "csc", "log", "exp", "mod", "max", "min", "gcd", "lcm",
                         "det", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "sqrt", "frac", "pi", "inf"})
CONNECTIVES = frozenset({"or", "and", "to", "plus", "minus", "times", "over", "of", "more", "less", "than", "not",
                         "divided", "by", "is", "are", "if", "for", "when", "with", "from", "but"})


def _repeating(m: re.Match) -> str:
    sign, whole, fixed, period = m.groups()
    value = Fraction(int(whole or "0")) + Fraction(int(fixed or "0"), 10 ** len(fixed)) \
        + Fraction(int(period), (10 ** len(period) - 1) * 10 ** len(fixed))
    return f"{sign}\\frac{{{value.numerator}}}{{{value.denominator}}}"


_APPROX = re.compile(r"(?<=\S)\s*\\approx\s*-?\d*\.?\d+\s*$")  # "\frac{\sqrt3}{3} \approx 0.577" is the exact form
_TRAILING_BACKSLASH = re.compile(r"(?<!\\)\\$")  # "185\" (a stray backslash at the end)
_PERCENT_WORD = re.compile(r"(?<=[\d}])\s*(?:\\text\{\s*percent\s*\}|percent)\.?$", re.IGNORECASE)
# Layout-only LaTeX. A row break ``\\\\`` is matched first so that ``\\\\ `` (break, space) is never read as ``\\`` +
# ``\\ `` (one backslash left over); spacing commands become one space, so that ``2\\,3`` stays two numbers.
_LAYOUT = re.compile(r"\\\\|\\(?:left|right|displaystyle|quad|qquad)(?![A-Za-z])|\\[,;: ]|~|\\!|\\\$")


def _layout(m: re.Match) -> str:
    tok = m.group()
    if tok == "\\\\":
        return tok
    return "" if tok in ("\\!", "\\$", "\\left", "\\right", "\\displaystyle") else " "


def normalize(answer: str) -> str:
    """Remove layout-only LaTeX (spacing, \\left/\\right, $) and trailing \\text units; keep all meaning."""
    s = answer.translate(_UNICODE).strip()
    s = _LAYOUT.sub(_layout, _MATH_THOUSANDS.sub(",", s))
    if not re.search(r"[(\[{]", s):  # inside brackets a comma separates items: (12,102) is an interval
        s = _COMMA_THOUSANDS.sub(lambda m: m.group().replace(",", ""), s)
    for pattern, repl in _STRIP:
        s = pattern.sub(repl, s)
    if "\\overline" in s:  # guarded: the pattern backtracks on long digit strings
        s = _REPEATING.sub(_repeating, s)
    s = _APPROX.sub("", _TRAILING_BACKSLASH.sub("", s.strip()))
    s = _PERCENT_WORD.sub(r"\\%", s) if "ercent" in s else s  # "25 percent" is 25\%, not 25 and a unit
    m = _TEXT_UNIT.match(s.strip()) if "\\text" in s else None
    if m and not set(m.group(2).lower().split()) & CONNECTIVES:
        s = m.group(1)
    m = _WORD_UNIT.match(s.strip()) if " " in s.strip() else None
    if m and _unit_words(m.group(2)):
        s = m.group(1)
    return s.strip().rstrip(".").strip()


def _unit_words(words: str) -> bool:
    """Whether trailing plain words are a unit: words of three or more letters that are not connectives or math
    names, or a common two-letter unit. Other two-letter words may be products of variables ("3 xy" is 3xy)."""
    parts = words.lower().split()
    return not set(parts) & (CONNECTIVES | _MATH_WORDS) and all(len(w) >= 3 or w in _SHORT_UNITS for w in parts)


# A trailing unit after a number: up to three plain words ("46 apples", "12 cm^2", "5 m"); a single letter other
# than a common unit symbol is a variable ("3 x" is not 3), and connectives never count ("3 or four" is not 3).
_UNIT = re.compile(r"^(.*?\d)\s+([mgsLh])(?:\^\{?[23]\}?)?\.?$")
_DEGREE = re.compile(r"^(.*?)\s*(?:\^\s*\{?\\circ\}?|°|\\degree)$")
_PERCENT = re.compile(r"^(.*?)\s*\\?%$")
# Digit groups of three after a first group of one to three digits (not starting with 0: 0,111 is a list), separated
# all by commas or all by single spaces (1 000, 10,\! 000); a mixed number a b/c needs 1 <= a and 0 <= b < c, and
# a b/c whose b is a group of three after such a first group is the thousands number ab/c (1 000/3 is 1000/3), as
# in the grammar.
_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(?:(?:,\d{3})+|(?: \d{3})+)(?:\.\d+)?$")
_MIXED = re.compile(r"^(-?)(\d{1,100}) (\d{1,100})\s*/\s*(\d{1,100})$")
_DECIMAL = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")
_SLASH = re.compile(r"^(-?\d+)\s*/\s*(\d+)$")
_FRAC = re.compile(r"^(-?)\\frac\{\s*(-?\d+)\s*\}\{\s*(\d+)\s*\}$|^(-?)\\frac(\d)(\d)$")


def _digits_to_fraction(s: str) -> Fraction | str:
    """Exact value of a decimal literal. Integers too long for int() are returned as a canonical digit string."""
    neg = s.startswith("-")
    body = s.lstrip("-")
    whole, _, frac = body.partition(".")
    frac = frac.rstrip("0")
    digits = (whole + frac).lstrip("0") or "0"
    if len(digits) > 4000:  # past CPython's int(str) limit: compare canonical strings instead
        return ("-" if neg and digits != "0" else "") + digits + "e-" + str(len(frac))
    value = Fraction(int(digits), 10 ** len(frac))
    return -value if neg else value


def plain_number(answer: str) -> tuple[Fraction | str, str] | None:
    """(exact value, kind) if `answer` is a plain number possibly with unit/percent/degree, else None.

    kind is "number", "percent" or "degree". Decimal values are exact: 0.333 is 333/1000, never 1/3.
    """
    s = normalize(answer)
    kind = "number"
    for pattern, name in ((_PERCENT, "percent"), (_DEGREE, "degree")):
        m = pattern.match(s)
        if m:
            s, kind = m.group(1).strip(), name
            break
    else:
        m = _UNIT.match(s) if " " in s else None
        if m:
            s = m.group(1).strip()
    if s.startswith("+"):
        s = s[1:].lstrip()
    if _THOUSANDS.match(s):
        s = s.replace(",", "").replace(" ", "")
    m = _MIXED.match(s)
    if m and len(m.group(3)) == 3 and len(m.group(2)) <= 3 and m.group(2)[0] != "0":
        s = f"{m.group(1)}{m.group(2)}{m.group(3)}/{m.group(4)}"  # 1 000/3: thousands, never 1 + 0/3
    elif m and int(m.group(2)) > 0 and 0 <= int(m.group(3)) < int(m.group(4)):
        value = int(m.group(2)) + Fraction(int(m.group(3)), int(m.group(4)))  # 4 4/9 is 40/9; 4 0/9 is 4
        return (-value if m.group(1) else value), kind
    if _DECIMAL.match(s):
        return _digits_to_fraction(s), kind
    m = _SLASH.match(s)
    if m and len(s) < 200 and int(m.group(2)) != 0:  # length first: int() of 5,000 digits raises
        return Fraction(int(m.group(1)), int(m.group(2))), kind
    m = _FRAC.match(s)
    if m:
        sign, num, den = (m.group(1), m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5), m.group(6))
        if len(s) < 200 and int(den) != 0:
            value = Fraction(int(num), int(den))
            return (-value if sign else value), kind
    return None
