"""LaTeX commands and environments of the `math` answer grammar: ``\\frac``, ``\\sqrt``, functions, Greek letters,
constants and matrix environments (imports sympy; worker processes only).

`LatexCommands` is the part of the recursive-descent parser that reads one command after its backslash has been
seen: ``\\frac12``, ``\\frac{a}{b}`` (division by zero refused), ``\\sqrt[n]{x}``, ``\\log_2 8``, ``\\sin^2 x`` (but
``\\sin^{-1}``, inverse or reciprocal, is ambiguous and refused), ``\\pi``, ``\\infty``, ``\\emptyset`` and the matrix
environments (``pmatrix``, ``bmatrix``, ``matrix``, ``vmatrix``, ``Bmatrix``; ``array`` arrives as ``matrix`` from
the tokenizer) with row breaks, a trailing one allowed. Any other command is outside the grammar. The expression
levels it calls back into (``self.sum``, ``self.power``, ``self.group``) are the parser's in `grammar.py`.
"""

from __future__ import annotations

import sympy as sp

from verifiers._math.tokens import ParseError, TokenCursor
from verifiers._math.values import scalar

__all__ = ["LatexCommands", "GREEK", "FUNCS"]

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi",
         "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega"}
FUNCS = {"sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "cot": sp.cot, "sec": sp.sec, "csc": sp.csc,
         "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "sinh": sp.sinh, "cosh": sp.cosh,
         "tanh": sp.tanh, "ln": sp.log, "log": sp.log, "exp": sp.exp}


class LatexCommands(TokenCursor):
    """Commands (``\\frac``, ``\\sqrt``, ``\\sin``...), environments (matrices) and braced arguments."""

    def _braced_text(self):
        self.take("op", "{")
        parts = []
        while not self.at("op", "}"):
            parts.append(self.take()[1])
        self.take("op", "}")
        return "".join(parts)

    def _arg(self):
        if self.at("op", "{"):
            return scalar(self.group("{", "}"))
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
                n = scalar(self.sum())
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
            arg = scalar(self.power() if not self.at("op", "{") else self.group("{", "}"))
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
                    return ("matrix", [[scalar(x) for x in r] for r in rows])
                row = [self.sum()]
            elif self.at("cmd", "end"):
                self.take()
                if self.take("env")[1] != env:
                    raise ParseError("mismatched \\end")
                rows.append(row)
                return ("matrix", [[scalar(x) for x in r] for r in rows])
            else:
                raise ParseError("bad matrix")

