"""Tokenizer of the `math` verifier's answer grammar: a whitelist of characters and LaTeX commands.

Pure Python (no sympy). Anything outside the whitelist raises `ParseError`; commands that restate an operation
instead of evaluating it (``\\int``, ``\\sum``, ``\\lim``, ``\\binom``, derivatives, ``\\bmod``...) raise
`Unevaluated`. Words joining alternatives (``or``, ``and``, in ``\\text{}`` or not) become the separator ``\\lor``
of an unordered list (a set); other short English words (``to``, ``of``, ``is``...) are refused rather than read
as products of letters.
ASCII relations ``<=``, ``>=``, ``!=`` are single tokens (``x != 3`` is never the factorial ``x!``).
`TokenCursor` is the parser's position in the token list (look ahead, consume, cap the nesting depth).
Used by `verifiers/_math/grammar.py` (and its `atoms.py`, `latex.py`), which turn the tokens into sympy objects.
"""

from __future__ import annotations

import re

__all__ = ["tokenize", "TokenCursor", "ParseError", "Juxtaposed", "Unevaluated", "TooLarge", "UNEVALUATED",
           "MAX_TOKENS", "MAX_DEPTH"]

MAX_TOKENS = 2000
MAX_DEPTH = 60


class ParseError(ValueError):
    pass


class Juxtaposed(ParseError):
    """Numbers written side by side that are neither one number (1 000) nor a mixed number (4 4/9): not an answer."""


class Unevaluated(ValueError):
    pass


class TooLarge(ValueError):
    pass


UNEVALUATED = {"int", "iint", "iiint", "oint", "sum", "prod", "lim", "limsup", "liminf", "binom", "dbinom", "tbinom",
               "choose", "partial", "nabla", "mathrm{d}", "bmod", "mod", "pmod"}
_TOKEN = re.compile(
    r"\s*(?:(\d+(?:\.\d+)?|\.\d+)|\\([A-Za-z]+)|\\([{}%$,;!])|(\\\\)|([A-Za-z])|(<=|>=|!=|\*\*|[-+*/^_(){}\[\],=<>!|&%':]))")
# "or"/"and" between answers (outside \text{} too) join a list; other standalone short words are prose, not letters.
_JOINING = re.compile(r"(?<![A-Za-z\\])(?:or|and)(?![A-Za-z])")
_PROSE_WORD = re.compile(r"(?<![A-Za-z\\])(?:to|of|is|if|on|as|so|we)(?![A-Za-z])")


_ARRAY = re.compile(r"\\begin\s*\{array\}\s*\{[lcr| ]*\}")  # an array with its column spec is a matrix
_ENV = re.compile(r"\s*\\(begin|end)\s*\{([A-Za-z]+\*?)\}")


_DERIVATIVE = re.compile(r"\\[dt]?frac\s*\{\s*(?:d|\\partial|\\mathrm\{d\})\s*(?:\^\s*\{?\d+\}?)?\s*[A-Za-z]?\s*\}"
                         r"\s*\{\s*(?:d|\\partial|\\mathrm\{d\})\s*[A-Za-z]")


def tokenize(text: str) -> list[tuple[str, str]]:
    """[(kind, value)] with kind in num, cmd, esc, row, letter, op. Raises ParseError on any other character."""
    if _DERIVATIVE.search(text):  # d/dx written as a fraction would otherwise cancel to a plain value
        raise Unevaluated("a derivative restates an operation instead of evaluating it")
    text = re.sub(r"\\text\{\s*(or|and)\s*\}", r" \\lor ", text)
    text = re.sub(r"\\(?:text|mathrm|textrm|mathbf|operatorname)\{([A-Za-z ]*|\s*\d+(?:\.\d+)?\s*)\}", r" \1 ", text)
    text = re.sub(r"\\end\s*\{array\}", r"\\end{matrix}", _ARRAY.sub(r"\\begin{matrix}", text))
    if ";" in text and "," not in text:  # 1; 2; 3 is the list 1, 2, 3 (where no comma is used)
        text = text.replace(";", ",")
    text = _JOINING.sub(r" \\lor ", text.replace("\\$", "").replace("$", ""))
    text = re.sub(r",\s*\\lor\b|\\lor\s*,", r" \\lor ", text)  # "1, 2, and 3": one separator
    if _PROSE_WORD.search(text):
        raise ParseError(f"the word {_PROSE_WORD.search(text).group()!r} is not part of a mathematical answer")
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        env = _ENV.match(text, pos)
        if env:  # \begin{pmatrix} / \end{pmatrix}: one command token and one environment token
            tokens += [("cmd", env.group(1)), ("env", env.group(2))]
            pos = env.end()
            continue
        m = _TOKEN.match(text, pos)
        if not m:
            raise ParseError(f"character {text[pos:].strip()[:1]!r} is outside the answer grammar")
        kinds = ("num", "cmd", "esc", "row", "letter", "op")
        kind, value = next((k, v) for k, v in zip(kinds, m.groups(), strict=True) if v is not None)
        if kind == "op" and value == "**":  # x**2 is x^2 (a power; nothing is evaluated as Python)
            value = "^"
        if kind == "op" and value == "'":
            raise ParseError("quotes are outside the answer grammar")
        if kind == "letter" and len(tokens) >= 2 and tokens[-1][0] == "letter" and tokens[-2][0] == "letter" \
                and text[m.start(5) - 1:m.start(5)].isalpha():
            raise ParseError("words outside \\text{} are not part of a mathematical answer")
        if kind == "cmd" and value in UNEVALUATED:
            raise Unevaluated(f"\\{value} restates an operation instead of evaluating it")
        tokens.append((kind, value))
        pos = m.end()
        if len(tokens) > MAX_TOKENS:
            raise ParseError("answer too long for the grammar")
    return tokens


class TokenCursor:
    """A position in a token list: `peek` ahead, `take` (checking kind and value), `at`, and `enter` a nesting level
    (more than MAX_DEPTH levels is a ParseError, before Python's own recursion limit is near)."""

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
