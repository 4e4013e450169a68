"""A whitelisted LaTeX/plain-math grammar that builds sympy objects by constructor calls, never by `eval`,
`sympify` or `parse_expr`. Runs inside the `math` verifier's worker processes (it imports sympy).

Anything outside the grammar (quotes, underscores outside a subscript, unknown commands, Python syntax) raises
`ParseError`; operations that restate a problem rather than answer it (integrals, sums, products, limits,
binomials, derivatives) raise `Unevaluated`; numbers too large to compare exactly (power towers, huge
factorials) raise `TooLarge`. The whole input must be consumed: a partial parse is a failure, never a value.

Values: a sympy expression, or a tagged structure for compound answers::

    ("list", items)                       # 1, 2, 3   (ordered)
    ("set", items)                        # \\{1, 2\\}, 3 \\text{ or } 4, \\pm 2   (unordered)
    ("set", items)                        # \\{1, 2\\}
    ("seq", open, items, close)           # (1, 2), [0, 10), (0, \\infty]   (tuple or interval: brackets kept)
    ("matrix", rows)                      # \\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}
    ("rel", op, lhs, rhs)                 # x = 3, y \\le 2, x = (0, 1)   (op one of == != < <= in)
    ("percent", value)                    # 30\\%
    ("ratio", parts)                      # 3:4, 12:00
    ("chain", ops, sides)                 # f(2) < f(1) < f(4)   (a < x < b with a variable x is ("rel", "in", ...))

Numbers side by side are never a product: ``1 000`` (a first group of one to three digits, then groups of
three) is one number, ``4 4/9`` and ``4\\frac{4}{9}`` are mixed numbers when the numerator is below the
denominator, and anything else (``2 3``, ``10 9/4``, ``x 2``, ``2^3 4``) raises `Juxtaposed`. A product with a
number on its right needs an operator or parentheses (``x \\cdot 2``, ``(2)(3)``).

A letter applied to parentheses is a function value (``f(2)``, an undefined sympy function: equal only to
itself) when the letter is f, g or h (either case), or when the parentheses hold a single number, a single letter
or a comma list (``a(2)``, ``P(A)``, ``u(1, 2)``); otherwise it is a product, as factored answers are written
(``x(x+1) == x^2+x``, ``p(1-p)``).
"""

from __future__ import annotations

import math

import sympy as sp

from verifiers._math.tokens import Juxtaposed, ParseError, TooLarge, Unevaluated, tokenize

__all__ = ["parse", "ParseError", "Juxtaposed", "Unevaluated", "TooLarge", "is_name"]

MAX_DEPTH = 60
MAX_BITS = 20_000  # integers up to ~6,000 digits are built exactly; larger powers are refused


GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi",
         "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega"}
FUNCS = {"sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "cot": sp.cot, "sec": sp.sec, "csc": sp.csc,
         "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "sinh": sp.sinh, "cosh": sp.cosh,
         "tanh": sp.tanh, "ln": sp.log, "log": sp.log, "exp": sp.exp}
RELS = {"=": "==", "<": "<", ">": ">", "le": "<=", "leq": "<=", "ge": ">=", "geq": ">=", "neq": "!=", "ne": "!=",
        "lt": "<", "gt": ">", "in": "in", "<=": "<=", ">=": ">=", "!=": "!=", "leqslant": "<=", "geqslant": ">="}
FUNCTION_LETTERS = frozenset("fghFGH")
_OPENERS = (("op", "("), ("op", "["), ("op", "{"))
_CLOSERS = (("op", ")"), ("op", "]"), ("op", "}"))
_FLIPPED = {">": "<", ">=": "<="}  # a > b is stored as b < a, so 3 < x and x > 3 compare equal
def _check_power(base, exp):
    if base.is_number and exp.is_number and exp.is_real and abs(exp) > 64:
        b = abs(base)
        if b.is_number and b != 0 and b != 1:
            bits = float(abs(exp)) * abs(math.log2(float(b))) if b.is_finite else math.inf
            if bits > MAX_BITS:
                raise TooLarge("power too large to evaluate exactly")


class _Parser:
    def __init__(self, tokens):
        self.toks, self.i, self.depth = tokens, 0, 0

    def peek(self, offset=0):
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else (None, None)

    def take(self, kind=None, value=None):
        tok = self.peek()
        if tok[0] is None or (kind and tok[0] != kind) or (value is not None and tok[1] != value):
            raise ParseError(f"expected {value or kind}, found {tok[1]!r}")
        self.i += 1
        return tok

    def at(self, kind, value=None):
        tok = self.peek()
        return tok[0] == kind and (value is None or tok[1] == value)

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError("nesting too deep")

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
        parts = [_scalar(value)]
        while self.at("op", ":"):
            self.take()
            parts.append(_scalar(self.relation()))
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
        return _relation(op, lhs, rhs)

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
            last = _scalar(sides[-1])
            if any(sp.simplify(_scalar(x) - last) != 0 for x in sides[1:-1]):
                raise ParseError("the sides of a chain of equations differ")
            return _relation("==", sides[0], sides[-1])
        if set(ops) <= {">", ">="}:
            ops, sides = [{">": "<", ">=": "<="}[o] for o in ops[::-1]], sides[::-1]
        if not set(ops) <= {"<", "<="}:
            raise ParseError("a chain of relations must go one way (a < x < b)")
        sides = [_scalar(x) for x in sides]
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
        value = _scalar(value) * sign if sign == -1 else value
        while self.at("op", "+") or self.at("op", "-"):
            op = self.take()[1]
            rhs = _scalar(self.term())
            value = _scalar(value) + (rhs if op == "+" else -rhs)
        self.depth -= 1
        return value

    def term(self):
        value = self.power()
        while True:
            if self.at("op", "*") or self.at("cmd", "cdot") or self.at("cmd", "times"):
                self.take()
                value = _scalar(value) * _scalar(self.power())
            elif self.at("op", "/") or self.at("cmd", "div"):
                self.take()
                den = _scalar(self.power())
                if den == 0:
                    raise ParseError("division by zero")
                value = _scalar(value) / den
            elif self.at("num"):  # 2 3, x 2, 2^3 4: never a product (1 000 and 4 4/9 were read by the atom)
                raise Juxtaposed(f"numbers written side by side ({self.peek()[1]} after another factor) are neither "
                                 "a product nor one number")
            elif self._starts_atom():  # implicit product: 2\sqrt{3}, 3x, 2\pi
                value = _scalar(value) * _scalar(self.power())
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
            exp = _scalar(self.postfix())
            if self.at("op", "^"):
                raise ParseError("ambiguous a^b^c: use braces")
            if isinstance(exp, sp.Symbol) and exp.name == "circ":
                return _scalar(base)  # degrees: 30^\circ is 30 (policy: the unit is dropped)
            base = _scalar(base)
            _check_power(base, exp)
            return sp.Pow(base, exp)
        return base

    def postfix(self):
        value = self.atom()
        while self.at("op", "!") or self.at("esc", "%") or self.at("op", "%"):
            tok = self.take()
            if tok[1] == "!":
                value = _scalar(value)
                if not (value.is_Integer and 0 <= value <= 5000):
                    raise TooLarge("factorial argument too large or not a small integer")
                value = sp.factorial(value)
            else:
                value = ("percent", _scalar(value))
        return value

    def group(self, open_, close):
        self.take("op", open_)
        value = self.relation_or_list(close)
        self.take("op", close)
        return value

    def relation_or_list(self, close):
        return self._items(self.relation)

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
                return _mixed(value, short[1][1][0], short[1][1][1])
            if "." not in value and _is_mixed_fraction(mixed):
                self.i += 7  # a mixed number: 2\frac{1}{4} is 9/4, never 2 * 1/4
                return _mixed(value, mixed[2][1], mixed[5][1])
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
            inner = _scalar(self.sum())
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
            return ("seq", value, [_scalar_or_rel(x) for x in items], close)
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
            return _mixed(first, nxt[1], self.toks[self.i - 1][1])
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
        args = [_scalar(self.sum())]
        while self.at("op", ","):
            self.take()
            args.append(_scalar(self.sum()))
        self.take("op", ")")
        return sp.Function(name)(*args)

    def _braced_text(self):
        self.take("op", "{")
        parts = []
        while not self.at("op", "}"):
            parts.append(self.take()[1])
        self.take("op", "}")
        return "".join(parts)

    def _arg(self):
        if self.at("op", "{"):
            return _scalar(self.group("{", "}"))
        tok = self.take()
        if tok[0] == "num":
            return sp.Rational(tok[1][0]) if len(tok[1]) > 1 and "." not in tok[1] else sp.Rational(tok[1])
        if tok[0] == "letter":
            return sp.Symbol(tok[1])
        raise ParseError("expected an argument")

    def _command(self, name):
        self.take()
        if name == "frac":
            num_tok = self.peek()
            if num_tok[0] == "num" and not self.at("op", "{") and len(num_tok[1]) == 2 and num_tok[1].isdigit():
                self.take()  # \frac12
                return sp.Rational(int(num_tok[1][0]), int(num_tok[1][1]))
            num, den = self._arg(), self._arg()
            if den == 0:
                raise ParseError("division by zero")
            return num / den
        if name == "sqrt":
            if self.at("op", "["):
                self.take()
                n = _scalar(self.sum())
                self.take("op", "]")
                return sp.root(self._arg(), n)
            return sp.sqrt(self._arg())
        if name == "pi":
            return sp.pi
        if name == "infty":
            return sp.oo
        if name in GREEK:
            return sp.Symbol(name)
        if name in FUNCS:
            base = exponent = None
            if name == "log" and self.at("op", "_"):  # \log_2 8
                self.take()
                base = self._arg()
            if self.at("op", "^"):  # \sin^2 x is (\sin x)^2; \sin^{-1} is ambiguous and refused
                self.take()
                exponent = self._arg()
                if not (exponent.is_Integer and 0 < exponent <= 64):
                    raise ParseError(f"\\{name}^{{{exponent}}} is ambiguous")
            arg = _scalar(self.power() if not self.at("op", "{") else self.group("{", "}"))
            value = sp.log(arg, base) if base is not None else FUNCS[name](arg)
            return value if exponent is None else sp.Pow(value, exponent)
        if name in ("emptyset", "varnothing"):
            return ("set", [])
        if name == "begin":
            return self._matrix()
        if name == "circ":
            return sp.Symbol("circ")
        raise ParseError(f"\\{name} is outside the answer grammar")

    def _matrix(self):
        env = self.take("env")[1]
        if env not in ("pmatrix", "bmatrix", "matrix", "vmatrix", "Bmatrix"):
            raise ParseError(f"environment {env!r} is outside the answer grammar")
        rows, row = [], [self.sum()]
        while True:
            if self.at("op", "&"):
                self.take()
                row.append(self.sum())
            elif self.at("row"):
                self.take()
                rows.append(row)
                if self.at("cmd", "end"):  # a row break before \end closes no new row
                    self.take()
                    if self.take("env")[1] != env:
                        raise ParseError("mismatched \\end")
                    return ("matrix", [[_scalar(x) for x in r] for r in rows])
                row = [self.sum()]
            elif self.at("cmd", "end"):
                self.take()
                if self.take("env")[1] != env:
                    raise ParseError("mismatched \\end")
                rows.append(row)
                return ("matrix", [[_scalar(x) for x in r] for r in rows])
            else:
                raise ParseError("bad matrix")


def _relation(op, lhs, rhs):
    if op == "in":  # x \in [1, 2] answers [1, 2]: only a name on the left
        if not is_name(lhs):
            raise ParseError("\\in needs a single variable on its left")
        return ("rel", op, lhs, rhs)
    if op == "==" and is_name(lhs) and isinstance(rhs, tuple) and rhs[0] in ("seq", "set", "matrix"):
        return ("rel", op, lhs, rhs)  # x = (0, 1), (a, b) = (3, 4), S = \{1, 2\}
    lhs, rhs = _scalar(lhs), _scalar(rhs)
    return ("rel", _FLIPPED[op], rhs, lhs) if op in _FLIPPED else ("rel", op, lhs, rhs)


def _mixed(whole: str, num: str, den: str):
    """The mixed number whole + num/den: whole >= 1 and 0 < num < den (10 9/4 and 0 1/2 are not mixed numbers)."""
    if int(whole) == 0 or not 0 < int(num) < int(den):
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


def _is_mixed_fraction(toks) -> bool:
    """Whether tokens are ``\\frac{int}{int}`` (after an integer: a mixed number)."""
    shape = [("cmd", "frac"), ("op", "{"), "num", ("op", "}"), ("op", "{"), "num", ("op", "}")]
    return len(toks) == 7 and all(t[0] == want if isinstance(want, str) else t == want
                                  for t, want in zip(toks, shape, strict=True)) and "." not in toks[2][1] + toks[5][1]


def _scalar(value):
    if isinstance(value, tuple):
        if value[0] == "percent":
            return value[1] / 100
        raise ParseError(f"a {value[0]} cannot be used in arithmetic")
    return value


def _scalar_or_rel(value):
    return value if isinstance(value, tuple) and value[0] == "rel" else _scalar(value)


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
