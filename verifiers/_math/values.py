"""The values the `math` answer grammar builds, and the checks shared by its modules (imports sympy).

A parsed answer is a sympy expression, or a tagged structure for compound answers::

    ("list", items)                       # 1, 2, 3   (ordered)
    ("set", items)                        # \\{1, 2\\}, 3 \\text{ or } 4, \\pm 2   (unordered)
    ("seq", open, items, close)           # (1, 2), [0, 10), (0, \\infty]   (tuple or interval: brackets kept)
    ("union", parts)                      # (0, 1) \\cup (2, 3)   (a multiset of intervals or sets)
    ("matrix", rows)                      # \\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}
    ("rel", op, lhs, rhs)                 # x = 3, y \\le 2, x = (0, 1)   (op one of == != < <= in)
    ("percent", value)                    # 30\\%
    ("ratio", parts)                      # 3:4, 12:00
    ("chain", ops, sides)                 # f(2) < f(1) < f(4)   (a < x < b with a variable x is ("rel", "in", ...))

`scalar` is the arithmetic view of a value (a percentage is its hundredths; any other structure cannot be used in
arithmetic); `make_relation` builds a relation so that equal relations compare equal (``a > b`` is stored as
``b < a``); `mixed_number` and `check_power` refuse what would be ambiguous or too large to build exactly. Used by
`grammar.py`, `atoms.py` and `latex.py`; `is_name` also by `compare.py`.
"""

from __future__ import annotations

import math

import sympy as sp

from verifiers._math.tokens import Juxtaposed, ParseError, TooLarge

__all__ = ["scalar", "scalar_or_rel", "make_relation", "mixed_number", "is_name", "check_power", "MAX_BITS"]

MAX_BITS = 20_000  # integers up to ~6,000 digits are built exactly; larger powers are refused
_FLIPPED = {">": "<", ">=": "<="}  # a > b is stored as b < a, so 3 < x and x > 3 compare equal


def check_power(base, exp):
    """Refuse base^exp when its exact value would need more than MAX_BITS bits (a power tower)."""
    if base.is_number and exp.is_number and exp.is_real and abs(exp) > 64:
        b = abs(base)
        if b.is_number and b != 0 and b != 1:
            bits = float(abs(exp)) * abs(math.log2(float(b))) if b.is_finite else math.inf
            if bits > MAX_BITS:
                raise TooLarge("power too large to evaluate exactly")


def make_relation(op, lhs, rhs):
    """("rel", op, lhs, rhs); a structure or a percentage stays whole on the right of a name (x = (0, 1)), else
    both sides are scalars."""
    if op == "in":  # x \in [1, 2] answers [1, 2]: only a name on the left
        if not is_name(lhs):
            raise ParseError("\\in needs a single variable on its left")
        return ("rel", op, lhs, rhs)
    if op == "==" and is_name(lhs) and isinstance(rhs, tuple) and rhs[0] in ("seq", "set", "matrix", "percent"):
        return ("rel", op, lhs, rhs)  # x = (0, 1), (a, b) = (3, 4), S = \{1, 2\}, p = 30\% (read as a percentage)
    lhs, rhs = scalar(lhs), scalar(rhs)
    return ("rel", _FLIPPED[op], rhs, lhs) if op in _FLIPPED else ("rel", op, lhs, rhs)


def mixed_number(whole: str, num: str, den: str):
    """The mixed number whole + num/den: whole >= 1 and 0 <= num < den (4 0/9 is 4; 10 9/4 and 0 1/2 are not
    mixed numbers)."""
    if int(whole) == 0 or not 0 <= int(num) < int(den):
        raise Juxtaposed(f"{whole} {num}/{den} is not a mixed number (its numerator must be below its denominator)")
    return sp.Integer(whole) + sp.Rational(int(num), int(den))


def is_name(value) -> bool:
    """What an equation may name on its left, so that it answers its right side: a variable (x), a function value
    (f(2)), a tuple of variables ((a, b)), or a name of several letters with no number in it (AB, NO/BO)."""
    if isinstance(value, tuple):
        return value[0] == "seq" and value[1] == "(" and all(isinstance(x, sp.Symbol) for x in value[2])
    if isinstance(value, (sp.Symbol, sp.core.function.AppliedUndef)):
        return True
    if isinstance(value, sp.Mul) and len(value.args) <= 6:
        return all(isinstance(f, sp.Symbol) or (isinstance(f, sp.Pow) and isinstance(f.base, sp.Symbol)
                                                and f.exp in (1, -1)) for f in value.args)
    return False


def scalar(value):
    """The arithmetic view of a value: a percentage is its hundredths; other structures are refused."""
    if isinstance(value, tuple):
        if value[0] == "percent":
            return value[1] / 100
        raise ParseError(f"a {value[0]} cannot be used in arithmetic")
    return value


def scalar_or_rel(value):
    return value if isinstance(value, tuple) and value[0] == "rel" else scalar(value)
