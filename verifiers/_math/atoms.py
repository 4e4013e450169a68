"""Atoms of the `math` answer grammar: numbers, letters, function values, brackets, sets and absolute values
(imports sympy; worker processes only).

Numbers side by side are never a product: ``1 000`` (a first group of one to three digits, then groups of
three) is one number, ``4 4/9`` and ``4\\frac{4}{9}`` are mixed numbers when the numerator is below the
denominator, and anything else is left to the expression level, which raises `Juxtaposed`. ``204_5`` is a numeral
in base 5, equal only to the same numeral. A letter applied to parentheses is a function value (``f(2)``, an
undefined sympy function: equal only to itself) when the letter is f, g or h (either case), or when the
parentheses hold a single number, a single letter or a comma list (``a(2)``, ``P(A)``, ``u(1, 2)``); otherwise it
is a product, as factored answers are written (``x(x+1) == x^2+x``, ``p(1-p)``). `Atoms` calls back into the
expression levels of `grammar.py` (``self.sum``, ``self.relation``, ``self.group``) for what brackets hold.
"""

from __future__ import annotations

import sympy as sp

from verifiers._math.latex import LatexCommands
from verifiers._math.tokens import Juxtaposed, ParseError
from verifiers._math.values import mixed_number, scalar, scalar_or_rel

__all__ = ["Atoms", "FUNCTION_LETTERS"]

FUNCTION_LETTERS = frozenset("fghFGH")
_OPENERS = (("op", "("), ("op", "["), ("op", "{"))
_CLOSERS = (("op", ")"), ("op", "]"), ("op", "}"))


class Atoms(LatexCommands):
    """The atom level of the parser: one number, letter, bracketed group, set, |x| or command."""

    def atom(self):
        self.enter()
        try:
            return self._atom()
        finally:
            self.depth -= 1

    def _atom(self):
        kind, value = self.peek()
        if kind == "num":
            self.take()
            if self.at("op", "_"):  # 204_5: a numeral in base 5, equal only to the same numeral
                return self._based(value)
            grouped = self._spaced_number(value)
            if grouped is not None:
                return grouped
            mixed = self.toks[self.i:self.i + 7]
            short = self.toks[self.i:self.i + 2]
            if "." not in value and len(short) == 2 and short[0] == ("cmd", "frac") and short[1][0] == "num" \
                    and len(short[1][1]) == 2 and short[1][1].isdigit() and short[1][1][1] != "0":
                self.i += 2  # 1\frac12 is the mixed number 3/2
                return mixed_number(value, short[1][1][0], short[1][1][1])
            if "." not in value and is_mixed_fraction(mixed):
                self.i += 7  # a mixed number: 2\frac{1}{4} is 9/4, never 2 * 1/4
                return mixed_number(value, mixed[2][1], mixed[5][1])
            return sp.Rational(value)  # exact: a decimal denotes exactly its digits
        if kind == "letter":
            self.take()
            name = value
            if self.at("op", "_"):
                self.take()
                sub = self.take()[1] if not self.at("op", "{") else self._braced_text()
                name = f"{value}_{sub}"
            applied = self.at("op", "(") and (value in FUNCTION_LETTERS or self._single_argument())
            if applied and name not in ("e", "i"):
                return self._function_value(name)
            if value in FUNCTION_LETTERS and self.at("op", "^"):  # f^{-1}(2): the inverse function's value
                start = self.i
                self.take()
                exponent = self._arg()
                if self.at("op", "("):
                    return self._function_value(f"{name}^{{{exponent}}}")
                self.i = start
            return {"e": sp.E, "i": sp.I}.get(name, sp.Symbol(name))
        if kind == "op" and value == "{":
            return self.group("{", "}")
        if kind == "op" and value == "|":  # |x|; nested bars need \left| ... \right| written with braces
            self.take()
            inner = scalar(self.sum())
            self.take("op", "|")
            return sp.Abs(inner)
        if kind == "op" and value in "([":
            self.take()
            items = [self.relation()]
            while self.at("op", ","):
                self.take()
                items.append(self.relation())
            close = self.take("op")[1]
            if close not in ")]":
                raise ParseError(f"unbalanced bracket {close!r}")
            if len(items) == 1 and (value == "(" and close == ")" or isinstance(items[0], tuple)
                                    and items[0][0] == "matrix" and (value + close) in ("()", "[]")):
                return items[0]  # (x) is x, and \left[ matrix \right] is the matrix
            return ("seq", value, [scalar_or_rel(x) for x in items], close)
        if kind == "esc" and value == "{":
            self.take()
            items = [] if self.at("esc", "}") else [self.relation()]
            while self.at("op", ","):
                self.take()
                items.append(self.relation())
            self.take("esc", "}")
            return ("set", items)
        if kind == "cmd":
            return self._command(value)
        raise ParseError(f"unexpected {value!r}")

    def _based(self, digits: str):
        self.take("op", "_")
        base = self._braced_text() if self.at("op", "{") else self.take("num")[1]
        if "." in digits or not base.isdigit() or not 2 <= int(base) <= 36:
            raise ParseError(f"{digits}_{base} is not a numeral in a base from 2 to 36")
        if any(int(d) >= int(base) for d in digits):
            raise ParseError(f"{digits} has a digit that base {base} does not have")
        return sp.Symbol(f"{digits}_{int(base)}")

    def _spaced_number(self, first: str):
        """1 000 000 (groups of three after a group of one to three digits) or the mixed number 4 4/9, else None."""
        nxt = self.peek()
        if nxt[0] != "num" or "." in first:
            return None
        if first[0] != "0" and len(first) <= 3 and len(nxt[1].split(".")[0]) == 3:
            digits = first
            while self.at("num") and len(self.peek()[1].split(".")[0]) == 3 and "." not in digits:
                digits += self.take()[1]
            if not self.at("num"):
                return sp.Rational(digits)
            raise Juxtaposed("digit groups after a thousands separator must have three digits")
        if self.peek(1) == ("op", "/") and self.peek(2)[0] == "num" and "." not in nxt[1] + self.peek(2)[1]:
            self.i += 3
            return mixed_number(first, nxt[1], self.toks[self.i - 1][1])
        return None

    def _single_argument(self) -> bool:
        """Whether the parentheses ahead hold one number, one letter or a comma list: a function's arguments."""
        toks = self.toks[self.i + 1:self.i + 3]
        if len(toks) == 2 and toks[0][0] in ("num", "letter") and toks[1] == ("op", ")"):
            return True
        depth = 0
        for tok in self.toks[self.i:self.i + 200]:
            depth += 1 if tok in _OPENERS else -1 if tok in _CLOSERS else 0
            if depth == 0:
                return False
            if depth == 1 and tok == ("op", ","):
                return True
        return False

    def _function_value(self, name: str):
        self.take("op", "(")
        args = [scalar(self.sum())]
        while self.at("op", ","):
            self.take()
            args.append(scalar(self.sum()))
        self.take("op", ")")
        return sp.Function(name)(*args)


def is_mixed_fraction(toks) -> bool:
    """Whether tokens are ``\\frac{int}{int}`` (after an integer: a mixed number)."""
    shape = [("cmd", "frac"), ("op", "{"), "num", ("op", "}"), ("op", "{"), "num", ("op", "}")]
    return len(toks) == 7 and all(t[0] == want if isinstance(want, str) else t == want
                                  for t, want in zip(toks, shape, strict=True)) and "." not in toks[2][1] + toks[5][1]
