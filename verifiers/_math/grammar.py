"""A whitelisted LaTeX/plain-math grammar that builds sympy objects by constructor calls, never by `eval`,
`sympify` or `parse_expr`. Runs inside the `math` verifier's worker processes (it imports sympy).

Anything outside the grammar (quotes, underscores outside a subscript, unknown commands, Python syntax) raises
`ParseError`; operations that restate a problem rather than answer it (integrals, sums, products, limits,
binomials, derivatives) raise `Unevaluated`; numbers too large to compare exactly (power towers, huge
factorials) raise `TooLarge`. The whole input must be consumed: a partial parse is a failure, never a value.

The parser is split by concern: `tokens.py` turns text into whitelisted tokens (and holds the token cursor),
`atoms.py` reads numbers, letters, function values, brackets and sets, `latex.py` reads commands and matrix
environments, `values.py` holds the value shapes and the checks shared by all of them, and this module holds the
expression levels (lists, unions, ratios, relations and chains, sums, products, powers, factorials, percentages)
and `parse`, which also expands ``\\pm``. Values: a sympy expression, or a tagged structure (``("list", items)``,
``("set", items)``, ``("seq", open, items, close)``, ``("union", parts)``, ``("matrix", rows)``,
``("rel", op, lhs, rhs)``, ``("percent", value)``, ``("ratio", parts)``, ``("chain", ops, sides)``; see
`values.py`).

Numbers side by side are never a product: ``1 000`` is one number and ``4 4/9`` a mixed number (read by the atom
level); anything else (``2 3``, ``10 9/4``, ``x 2``, ``2^3 4``) raises `Juxtaposed`. A product with a number on its
right needs an operator or parentheses (``x \\cdot 2``, ``(2)(3)``).
"""

from __future__ import annotations

import sympy as sp

from verifiers._math.atoms import Atoms
from verifiers._math.latex import FUNCS, GREEK
from verifiers._math.tokens import Juxtaposed, ParseError, TooLarge, Unevaluated, tokenize
from verifiers._math.values import check_power, is_name, make_relation, scalar

__all__ = ["parse", "ParseError", "Juxtaposed", "Unevaluated", "TooLarge", "is_name"]

RELS = {"=": "==", "<": "<", ">": ">", "le": "<=", "leq": "<=", "ge": ">=", "geq": ">=", "neq": "!=", "ne": "!=",
        "lt": "<", "gt": ">", "in": "in", "<=": "<=", ">=": ">=", "!=": "!=", "leqslant": "<=", "geqslant": ">="}


class _Parser(Atoms):
    """The expression levels, loosest first: items (, / or), union, ratio, relation, sum, term, power, postfix;
    atoms and commands come from `Atoms` and `LatexCommands`."""

    # top level: comma-separated list of relations
    def top(self):
        value = self._items(self.union)
        if self.peek()[0] is not None:
            raise ParseError(f"unexpected {self.peek()[1]!r}: the answer must parse completely")
        return value

    def _items(self, item):
        """Items separated by commas (an ordered list) or by "or"/"and" (alternatives: a set, unordered)."""
        items, alternatives = [item()], False
        while self.at("op", ",") or self.at("cmd", "lor"):
            alternatives |= self.take()[1] == "lor"
            items.append(item())
        if len(items) == 1:
            return items[0]
        return ("set", items) if alternatives else ("list", items)

    def union(self):
        """An interval or set, or a union of them with \\cup: ("union", parts), compared as a multiset."""
        value = self.ratio()
        return self._union_of(value) if self.at("cmd", "cup") else value

    def _union_of(self, first):
        parts = [first]
        while self.at("cmd", "cup"):
            self.take()
            parts.append(self.sum())
        if not all(isinstance(p, tuple) and p[0] in ("seq", "set") for p in parts):
            raise ParseError("\\cup joins intervals or sets only")
        return ("union", parts)

    def ratio(self):
        """a : b (a ratio, or a time 12:00): ("ratio", parts), equal only part by part (1:2 is not 2:4)."""
        value = self.relation()
        if not self.at("op", ":"):
            return value
        parts = [scalar(value)]
        while self.at("op", ":"):
            self.take()
            parts.append(scalar(self.relation()))
        return ("ratio", parts)

    def _rel_op(self):
        tok = self.peek()
        return RELS.get(tok[1]) if tok[0] in ("op", "cmd") else None

    def relation(self):
        lhs = self.sum()
        op = self._rel_op()
        if op is None:
            return lhs
        self.take()
        rhs = self.sum()
        if op == "in" and self.at("cmd", "cup"):  # x \in (a, b) \cup (c, d): the union is the right side
            rhs = self._union_of(rhs)
        if self._rel_op():
            return self._chain(op, [lhs, rhs])
        return make_relation(op, lhs, rhs)

    def _chain(self, op, sides):
        """a = b = c (the sides after the first must be equal: it answers a = c) and a < x <= b (x in (a, b]), or
        an ordering like f(2) < f(1) < f(4). Mixed directions are not an answer."""
        ops = [op]
        while self._rel_op():
            ops.append(self._rel_op())
            self.take()
            sides.append(self.sum())
        if len(sides) > 8:
            raise ParseError("too many chained relations")
        if all(o == "==" for o in ops):
            last = scalar(sides[-1])
            if any(sp.simplify(scalar(x) - last) != 0 for x in sides[1:-1]):
                raise ParseError("the sides of a chain of equations differ")
            return make_relation("==", sides[0], sides[-1])
        if set(ops) <= {">", ">="}:
            ops, sides = [{">": "<", ">=": "<="}[o] for o in ops[::-1]], sides[::-1]
        if not set(ops) <= {"<", "<="}:
            raise ParseError("a chain of relations must go one way (a < x < b)")
        sides = [scalar(x) for x in sides]
        if len(sides) == 3 and is_name(sides[1]) and sides[0].is_number and sides[2].is_number:
            return ("rel", "in", sides[1], ("seq", "(" if ops[0] == "<" else "[", [sides[0], sides[2]],
                                            ")" if ops[1] == "<" else "]"))
        return ("chain", tuple(ops), sides)


    def sum(self):
        self.enter()
        sign = 1
        if self.at("op", "+") or self.at("op", "-"):
            sign = -1 if self.take()[1] == "-" else 1
        value = self.term()
        value = scalar(value) * sign if sign == -1 else value
        while self.at("op", "+") or self.at("op", "-"):
            op = self.take()[1]
            rhs = scalar(self.term())
            value = scalar(value) + (rhs if op == "+" else -rhs)
        self.depth -= 1
        return value

    def term(self):
        value = self.power()
        while True:
            if self.at("op", "*") or self.at("cmd", "cdot") or self.at("cmd", "times"):
                self.take()
                value = scalar(value) * scalar(self.power())
            elif self.at("op", "/") or self.at("cmd", "div"):
                self.take()
                den = scalar(self.power())
                if den == 0:
                    raise ParseError("division by zero")
                value = scalar(value) / den
            elif self.at("num"):  # 2 3, x 2, 2^3 4: never a product (1 000 and 4 4/9 were read by the atom)
                raise Juxtaposed(f"numbers written side by side ({self.peek()[1]} after another factor) are neither "
                                 "a product nor one number")
            elif self._starts_atom():  # implicit product: 2\sqrt{3}, 3x, 2\pi
                value = scalar(value) * scalar(self.power())
            else:
                return value

    def _starts_atom(self):
        kind, value = self.peek()
        return kind in ("num", "letter") or (kind == "op" and value in "({[") or (
            kind == "cmd" and (value in GREEK or value in FUNCS or value in ("frac", "sqrt", "pi", "infty")))

    def power(self):
        base = self.postfix()
        if self.at("op", "^"):
            self.take()
            exp = scalar(self.postfix())
            if self.at("op", "^"):
                raise ParseError("ambiguous a^b^c: use braces")
            if isinstance(exp, sp.Symbol) and exp.name == "circ":
                return scalar(base)  # degrees: 30^\circ is 30 (policy: the unit is dropped)
            base = scalar(base)
            check_power(base, exp)
            return sp.Pow(base, exp)
        return base

    def postfix(self):
        value = self.atom()
        while self.at("op", "!") or self.at("esc", "%") or self.at("op", "%"):
            tok = self.take()
            if tok[1] == "!":
                value = scalar(value)
                if not (value.is_Integer and 0 <= value <= 5000):
                    raise TooLarge("factorial argument too large or not a small integer")
                value = sp.factorial(value)
            else:
                value = ("percent", scalar(value))
        return value

    def group(self, open_, close):
        self.take("op", open_)
        value = self.relation_or_list(close)
        self.take("op", close)
        return value

    def relation_or_list(self, close):
        return self._items(self.relation)


def parse(text: str):
    """Parse a whole answer string into a sympy expression or a tagged structure (see module docstring).

    ``\\pm`` (or ``\\mp``) makes the answer the list of its readings:
    ``1 \\pm \\sqrt{2}`` is ``1+\\sqrt{2}, 1-\\sqrt{2}``,
    so ``\\pm 2021`` is never the single value 2021. Inside a list or set each item is expanded in place
    (``\\{1 \\pm \\sqrt{5}, -2\\}`` has three elements); at most three signs.
    """
    tokens = tokenize(text)
    if not tokens:
        raise ParseError("empty answer")
    signs = [i for i, t in enumerate(tokens) if t[0] == "cmd" and t[1] in ("pm", "mp")]
    if not signs:
        return _Parser(tokens).top()
    if len(signs) > 3:
        raise ParseError("more than three \\pm")
    readings = []
    for choice in range(2 ** len(signs)):
        toks = list(tokens)
        for bit, i in enumerate(signs):
            plus = not (choice >> bit) & 1
            toks[i] = ("op", "+" if plus == (tokens[i][1] == "pm") else "-")
        readings.append(_Parser(toks).top())
    return _merge_readings(readings)


def _merge_readings(readings):
    """One value from the readings of the signs: a list of the distinct values, or a list/set whose items are
    expanded in place."""
    first = readings[0]
    if isinstance(first, tuple) and first[0] in ("list", "set") and all(
            isinstance(r, tuple) and r[0] == first[0] and len(r[1]) == len(first[1]) for r in readings):
        items = []
        for position in range(len(first[1])):
            column: list = []
            for r in readings:
                if not any(_same(r[1][position], x) for x in column):
                    column.append(r[1][position])
            items += column
        return (first[0], items)
    if any(isinstance(r, tuple) and r[0] != "rel" for r in readings):
        raise ParseError("\\pm applies to a single value or to the items of a list")
    distinct = []
    for r in readings:
        if not any(_same(r, x) for x in distinct):
            distinct.append(r)
    return ("set", distinct)  # the values of \pm have no order


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b
