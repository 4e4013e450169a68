"""Worker-side judging for the `math` verifier: parse both sides with the whitelisted grammar, compare exactly.

Runs only inside worker processes (it imports sympy), where the parent enforces the time limit by killing the
process. Returns (reward, status, detail) tuples; see `verifiers/math.py` for the policy.
"""

from __future__ import annotations

import sympy as sp

from verifiers._math.grammar import Juxtaposed, ParseError, TooLarge, Unevaluated, is_name, parse

__all__ = ["judge", "check_reference", "canonical"]


def check_reference(reference: str) -> str | None:
    try:
        parse(reference)
    except (ParseError, Unevaluated, TooLarge) as err:
        return f"reference does not parse completely: {err}"
    return None


def judge(answer: str, reference: str, percent_as_fraction: bool = False) -> tuple[float | None, str, str]:
    """(reward, status, detail) of one answer against its reference; `percent_as_fraction`: x% is x/100, else x."""
    try:
        ref = parse(reference)
    except (ParseError, Unevaluated, TooLarge) as err:
        return None, "bad_reference", f"reference does not parse completely: {err}"
    if not answer:
        return 0.0, "no_answer", "no answer found"
    try:
        ans = parse(answer)
    except Unevaluated as err:
        return 0.0, "unevaluated", str(err)
    except Juxtaposed as err:  # 2 3, 10 9/4: not an answer at all (never a product)
        return 0.0, "no_answer", str(err)
    except (ParseError, TooLarge) as err:
        return 0.0, "wrong", f"answer not comparable: {err}"
    ok = equal(ans, ref, percent_as_fraction)
    return (1.0, "correct", "") if ok else (0.0, "wrong", f"{_short(ans)} != {_short(ref)}")


def _short(value) -> str:
    return str(value)[:120]


def _scalar_equal(a, b) -> bool:
    if not isinstance(a, sp.Basic) or not isinstance(b, sp.Basic):
        return False
    if a == b:
        return True
    if a.is_Rational and b.is_Rational:
        return False  # exact rationals: equal only when identical
    if a.has(sp.oo, -sp.oo, sp.zoo, sp.nan) or b.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return False
    diff = a - b
    if diff == 0 or sp.expand(diff) == 0:
        return True
    return sp.simplify(diff) == 0


def _structured(value) -> bool:
    return isinstance(value, tuple)


def _equation_equal(lhs_a, rhs_a, lhs_b, rhs_b) -> bool:
    da, db = sp.expand(lhs_a - rhs_a), sp.expand(lhs_b - rhs_b)
    if db == 0:
        return da == 0
    ratio = sp.simplify(da / db)
    return bool(ratio.is_number and ratio != 0 and ratio.is_finite)


def _multiset_equal(xs, ys, fraction: bool) -> bool:
    if len(xs) != len(ys):
        return False
    remaining = list(ys)
    for x in xs:
        match = next((i for i, y in enumerate(remaining) if equal(x, y, fraction)), None)
        if match is None:
            return False
        remaining.pop(match)
    return True


def equal(a, b, fraction: bool = False) -> bool:
    """Mathematical equality under the policy of verifiers/math.py. A percentage is its number (3\\% == 3), or with
    `fraction` its hundredths (3\\% == 0.03): one reading, never both."""
    ta = a[0] if isinstance(a, tuple) else "scalar"
    tb = b[0] if isinstance(b, tuple) else "scalar"
    if ta == "percent" or tb == "percent":
        va = a[1] if ta == "percent" else a
        vb = b[1] if tb == "percent" else b
        if ta == tb:
            return equal(va, vb, fraction)
        pct, other = (va, vb) if ta == "percent" else (vb, va)
        return isinstance(other, sp.Basic) and _scalar_equal(pct / 100 if fraction else pct, other)
    if ta == "rel" and tb == "rel":
        if a[1] != b[1]:
            return False
        if a[1] == "in":
            return a[2] == b[2] and equal(a[3], b[3], fraction)
        if _structured(a[3]) or _structured(b[3]):  # x = (0, 1): the same name and the same structure
            return equal(a[2], b[2], fraction) and equal(a[3], b[3], fraction)
        if a[1] in ("==", "!="):
            return _equation_equal(a[2], a[3], b[2], b[3])
        return _scalar_equal(sp.expand(a[2] - a[3]), sp.expand(b[2] - b[3]))
    if ta == "rel" or tb == "rel":  # x = 3 answers 3, f(2) = 5 answers 5, x \in [1,2] answers [1,2]
        rel, other = (a, b) if ta == "rel" else (b, a)
        return rel[1] in ("==", "in") and is_name(rel[2]) and equal(rel[3], other, fraction)
    if ta == "ratio" and tb == "ratio":
        return len(a[1]) == len(b[1]) and all(_scalar_equal(x, y) for x, y in zip(a[1], b[1], strict=True))
    if ta == "chain" and tb == "chain":  # an ordering: the same relations between equal sides
        return a[1] == b[1] and len(a[2]) == len(b[2]) and all(
            _scalar_equal(x, y) for x, y in zip(a[2], b[2], strict=True))
    if ta == "union" and tb == "union":
        return _multiset_equal(a[1], b[1], fraction)
    if ta == "list" and tb == "list":  # a comma list keeps its order: 10, 4, -2 is not 4, 10, -2
        return len(a[1]) == len(b[1]) and all(equal(x, y, fraction) for x, y in zip(a[1], b[1], strict=True))
    if ta in ("set", "list") and tb in ("set", "list"):  # a set (or alternatives) has none
        return _multiset_equal(a[1], b[1], fraction)
    if ta == "seq" and tb == "seq" and is_name(a) and is_name(b):
        return a[2] == b[2]  # tuples of variables (the left side of (a, b) = (3, 4))
    if ta == "seq" and tb == "seq":
        return a[1] == b[1] and a[3] == b[3] and len(a[2]) == len(b[2]) and all(
            equal(x, y, fraction) for x, y in zip(a[2], b[2], strict=True))
    if ta == "matrix" and tb == "matrix":
        return [len(r) for r in a[1]] == [len(r) for r in b[1]] and all(
            _scalar_equal(x, y) for ra, rb in zip(a[1], b[1], strict=True) for x, y in zip(ra, rb, strict=True))
    if ta == "scalar" and tb == "scalar":
        return _scalar_equal(a, b)
    return False


def canonical(answer: str):
    """The majority-vote key of an answer (nested lists of strings, JSON-safe), or None when it is not an answer.

    Equal exact numbers give equal keys (``["num", "1/2"]`` for ``\\frac12``, ``0.5``, ``\\sqrt{1/4}``); a single
    variable's equation votes with its right side (``x = 3`` with ``3``); sets are sorted (``{1, 2}`` with
    ``2 or 1``), comma lists keep their order; symbolic answers are keyed by sympy's simplified, expanded form, so
    equal expressions that sympy brings to different normal forms may get different keys (a split vote).
    """
    try:
        return _key(parse(answer))
    except (ParseError, Unevaluated, TooLarge):
        return None


def _key(value) -> list:
    if not isinstance(value, tuple):
        return _expr_key(value)
    tag = value[0]
    if tag == "percent":
        return ["percent", _key(value[1])]
    if tag == "rel":
        op, lhs, rhs = value[1:]
        if op in ("==", "in") and is_name(lhs):
            return _key(rhs)
        if _structured(rhs):
            return ["rel", op, _key(lhs), _key(rhs)]
        diff = sp.expand(lhs - rhs)
        if op in ("==", "!="):  # equal up to a non-zero factor: divide by the first coefficient
            try:
                first = sp.Poly(diff).coeffs()[0] if diff.free_symbols else diff
            except sp.PolynomialError:
                first = 1
            diff = sp.expand(diff / first) if first != 0 else diff
        return ["rel", op, _expr_key(diff)]
    if tag == "list":  # ordered
        return ["list", [_key(x) for x in value[1]]]
    if tag in ("set", "union"):  # compared as multisets: sorted keys
        return [tag, sorted((_key(x) for x in value[1]), key=repr)]
    if tag == "seq":
        return ["seq", value[1], [_key(x) for x in value[2]], value[3]]
    if tag == "ratio":
        return ["ratio", [_expr_key(x) for x in value[1]]]
    if tag == "chain":
        return ["chain", list(value[1]), [_expr_key(x) for x in value[2]]]
    if tag == "matrix":
        return ["matrix", [[_expr_key(x) for x in row] for row in value[1]]]
    raise ParseError(f"no key for {tag}")


def _expr_key(expr) -> list:
    if isinstance(expr, sp.Basic) and not expr.is_Rational and not expr.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        expr = sp.expand(sp.simplify(expr))
    if isinstance(expr, sp.Basic) and expr.is_Rational:
        return ["num", str(expr)]
    return ["expr", sp.srepr(expr)]
