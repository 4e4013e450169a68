"""Final-answer extraction and the in-process fast path of the `math` verifier (no sympy, bounded work).

Extraction order (DESIGN "Math policy"): the last complete ``\\boxed{...}`` (or ``\\fbox{...}``); else the last
``#### x`` line; else the last "answer is x" / "Answer: x"; else the last number. A ``\\boxed{`` left open after
the last complete box (a completion cut by the token limit) means the final answer is missing: no answer.

The fast path decides pairs whose both sides are plain numbers (integers of any length, decimals, ``a/b``,
``\\frac{a}{b}``, thousands separators, a trailing unit or percent or degree sign) with exact rational
arithmetic, without importing sympy: that is almost every reward of GSM8K-style training.
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["extract_answer", "normalize", "plain_number", "MAX_CHARS"]

MAX_CHARS = 20_000  # only the tail of a completion is searched: the final answer is at its end
_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")
_HASH = re.compile(r"####\s*([^\n]+)")
_ANSWER_IS = re.compile(r"(?:answer\s*(?:is|:)|Answer\s*:)\s*([^\n]+)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+")


def _boxes(text: str) -> tuple[str | None, bool]:
    """(content of the last complete box, whether a box opened after it was left unclosed)."""
    last, open_after = None, False
    for m in _BOX.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            last, open_after = text[m.end():i - 1], False
        else:
            open_after = True
    return last, open_after


def extract_answer(completion: str) -> tuple[str | None, str]:
    """(answer text or None, how it was found)."""
    text = completion[-MAX_CHARS:]
    box, truncated = _boxes(text)
    if truncated:
        return None, "unclosed \\boxed"
    if box is not None:
        return box, "boxed"
    hashes = _HASH.findall(text)
    if hashes:
        return hashes[-1].strip(), "####"
    said = _ANSWER_IS.findall(text)
    if said:
        return said[-1].strip().rstrip("."), "answer is"
    numbers = _NUMBER.findall(text)
    if numbers:
        return numbers[-1], "last number"
    return None, "no answer found"


_STRIP = [(re.compile(p), r) for p, r in [
    (r"\\left|\\right|\\displaystyle|\\!|\\,|\\;|\\:|\\ |~|\\quad|\\qquad", ""),
    (r"\\[dt]frac", r"\\frac"),
    (r"^\$+|\$+$", ""),
    (r"\\(?:mathrm|textbf|mathbf|mbox)\{([^{}]*)\}", r"\1"),
]]


def normalize(answer: str) -> str:
    """Remove layout-only LaTeX (spacing, \\left/\\right, $), keep everything with meaning."""
    s = answer.strip()
    for pattern, repl in _STRIP:
        s = pattern.sub(repl, s)
    return s.strip().rstrip(".").strip()


# A trailing unit: \text{ cm} / \mbox{...}, or one or two words after a space ("46 apples"; never "3x").
_UNIT = re.compile(r"^(.*?\d)\s*(?:\\text\{\s*[A-Za-z][A-Za-z .]*\}|\s[A-Za-z]{1,12}(?:\s[A-Za-z]{1,12})?\.?)$")
_DEGREE = re.compile(r"^(.*?)\s*(?:\^\s*\{?\\circ\}?|°|\\degree)$")
_PERCENT = re.compile(r"^(.*?)\s*\\?%$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_DECIMAL = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")
_SLASH = re.compile(r"^(-?\d+)\s*/\s*(\d+)$")
_FRAC = re.compile(r"^(-?)\\frac\{\s*(-?\d+)\s*\}\{\s*(\d+)\s*\}$|^(-?)\\frac(\d)(\d)$")


def _digits_to_fraction(s: str) -> Fraction | str:
    """Exact value of a decimal literal. Integers too long for int() are returned as a canonical digit string."""
    neg = s.startswith("-")
    body = s.lstrip("-")
    whole, _, frac = body.partition(".")
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
        m = _UNIT.match(s)
        if m and m.group(1):
            s = m.group(1).strip()
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if _DECIMAL.match(s):
        return _digits_to_fraction(s), kind
    m = _SLASH.match(s)
    if m and int(m.group(2)) != 0 and len(s) < 200:
        return Fraction(int(m.group(1)), int(m.group(2))), kind
    m = _FRAC.match(s)
    if m:
        sign, num, den = (m.group(1), m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5), m.group(6))
        if int(den) != 0 and len(s) < 200:
            value = Fraction(int(num), int(den))
            return (-value if sign else value), kind
    return None
