"""Final-answer extraction for the `math` verifier: which text of a completion is its answer (no sympy, bounded
work).

Extraction order (DESIGN "Math policy"): the last complete ``\\boxed{...}`` (or ``\\fbox{...}``); else the content
of the last ``<answer>...</answer>``; else the last ``#### x`` line; else the last "answer is x" / "Answer: x";
else the last complete math span (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``, its content taken whole)
or the last matrix environment written without delimiters, or the last plain number outside both, whichever ends
later. A ``\\boxed{`` left open after the last complete box (a completion cut by the token limit) means the final
answer is missing: no answer. A "plain number" is a run of digit groups separated by single spaces (``1 000``,
``4 4/9``, ``2 3``) or joined by commas (``1,000``, ``0,111``), with its percent sign if one follows, so that
juxtaposed numerals reach the grammar whole and are judged there (``0,111`` is a list, never 111).

Plain numbers are read in-process by `numbers.py` (the fast path, no sympy).
"""

from __future__ import annotations

import re

from verifiers._math.numbers import CONNECTIVES, plain_number

__all__ = ["extract_answer", "reference_answer", "math_spans", "MAX_CHARS"]

MAX_CHARS = 20_000  # only the tail of a completion is searched: the final answer is at its end
_BOX_OR_BRACE = re.compile(r"\\(?:boxed|fbox)\s*\{|[{}]")
_HASH = re.compile(r"####\s*([^\n]+)")
_ANSWER_IS = re.compile(r"answer\s*(?:is\s*:?|:)\**", re.IGNORECASE)
_SENTENCE_END = re.compile(r"\.(?:\s|$)")
_WRAPPERS = re.compile(r"^(?:\*+|\$+|\\\(|\\\[)\s*|\s*(?:\*+|\$+|\\\)|\\\])$")
# One number (digit groups joined by commas without a space are read whole: 1,000 is a number, 0,111 and 1,2 are
# lists, never their last group), and a run of them separated by single spaces, with a trailing percent sign
# (or word). A minus sign counts only where it cannot be a dash between numbers or words ("pages 10-12" is 12).
_ONE = r"\d+(?:,\d+)*(?:\.\d+)?(?:/\d+)?|\.\d+"
_NUMBER = re.compile(rf"(?:(?<![\w)\]}}])-)?(?<![\w.])(?:{_ONE})(?:[ \u00a0](?:{_ONE}))*(?: ?\\?%| percent\b)?")
# The edges of a matrix environment (\begin{pmatrix} ... \end{pmatrix}, also bmatrix, array ...).
_ENV_EDGE = re.compile(r"\\(begin|end)\s*\{([A-Za-z]*matrix|array)\}")
# Math delimiters; an escaped dollar (\$) is a currency sign, never a delimiter.
_DELIM = re.compile(r"(?<!\\)\$\$|(?<!\\)\$|\\\(|\\\)|\\\[|\\\]")
_CLOSER = {"$$": "$$", "$": "$", "\\(": "\\)", "\\[": "\\]"}
# "$5 for apples and $": a dollar before a digit, and words before the next dollar (commands and \text{} removed).
_CURRENCY = re.compile(r"^\s*\d[^$]*?(?:^|[\s(])[A-Za-z]{3,}")
_COMMANDS = re.compile(r"\\[A-Za-z]+(?:\s*\{[^{}]*\})?")


def _boxes(text: str) -> tuple[str | None, bool]:
    """(content of the complete box that opens last, whether a box opened after it was left unclosed).

    One pass over the braces with a stack, so 2,000 unclosed ``\\boxed{`` cost linear time.
    """
    stack: list[int] = []  # content start of an open box, or -1 for a plain brace
    last_start, last = -1, None
    for m in _BOX_OR_BRACE.finditer(text):
        tok = m.group()
        if tok == "}":
            start = stack.pop() if stack else -1
            if start > last_start:
                last_start, last = start, text[start:m.start()]
        else:
            stack.append(-1 if tok == "{" else m.end())
    return last, any(start > last_start for start in stack)


def math_spans(text: str, broken: list | None = None) -> list[tuple[str, int, int]]:
    """Complete math spans of `text` as (content, start, end), in order; linear time.

    A ``$...$`` pair whose content starts with a digit and goes on with words, and whose second dollar has a space
    before it or a digit after it ("$5 for apples and $13"), is two currency signs, and inline spans (``$``,
    ``\\(``) do not cross a line break; the second dollar may open the next span. Delimiters of another kind inside
    an open span are part of its content. Inline pairs refused for a line break are appended to `broken` as
    (start, end): what they hold is not read as plain text either.
    """
    spans, opened = [], None
    for m in _DELIM.finditer(text):
        delim = m.group()
        if opened is None:
            if delim in _CLOSER:
                opened = m
        elif delim == _CLOSER[opened.group()]:
            content = text[opened.end():m.start()]
            if delim in ("$", "\\)") and "\n" in content:
                if broken is not None:
                    broken.append((opened.start(), m.end()))
                opened = m if delim == "$" else None  # this dollar may open the next span
            elif delim == "$" and _currency(content, text[m.end():m.end() + 1]):
                opened = m
            else:
                spans.append((content, opened.start(), m.end()))
                opened = None
    return spans


def _currency(content: str, after: str) -> bool:
    """"$5 and then $13": the first dollar is before a digit, words follow, and the second dollar closes nothing
    (a space before it, or a digit after it)."""
    return (content[-1:].isspace() or after.isdigit()) and _CURRENCY.match(_COMMANDS.sub(" ", content)) is not None


def _last_number_or_span(text: str) -> tuple[str | None, str]:
    """The fallback: the last complete math span, the last matrix environment outside spans or the last number
    outside both, whichever ends later (``A + B = C`` written with bare matrices answers C, never C's last entry).

    A last value joined to the one before it by "or" or "and" ("so it is $3$ or $4$") is a hedge or a list: the
    answer is both values, which answers only a list reference.
    """
    broken: list[tuple[int, int]] = []
    spans = math_spans(text, broken)
    candidates = [(s, e, c.strip(), "last math span") for c, s, e in spans[-2:]]
    hidden = sorted([(c, s, e) for c, s, e in spans] + [("", s, e) for s, e in broken], key=lambda x: x[1])
    matrices = _bare_matrices(text, hidden)
    candidates += [(s, e, text[s:e], "last matrix") for s, e in matrices[-2:]]
    hidden = sorted(hidden + [("", s, e) for s, e in matrices], key=lambda x: x[1])
    numbers = [m for m in _NUMBER.finditer(text) if not _inside(m.start(), hidden)]
    candidates += [(*_bare_latex(text, m), "last number") for m in numbers[-2:]]
    if not candidates:
        return None, "no answer found"
    candidates.sort(key=lambda c: c[1])
    start, _, answer, how = candidates[-1]
    if len(candidates) > 1 and _HEDGE.fullmatch(text[candidates[-2][1]:start]):
        return f"{candidates[-2][2]} or {answer}", "last values joined by 'or'/'and'"
    return answer, how


def _bare_matrices(text: str, spans: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
    """(start, end) of each outermost matrix environment written outside math spans, in order. One pass with a
    stack, so unclosed environments cost linear time; a mismatched ``\\end`` closes nothing."""
    found: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    for m in _ENV_EDGE.finditer(text):
        if _inside(m.start(), spans):
            continue
        if m.group(1) == "begin":
            stack.append((m.group(2), m.start()))
        elif stack and stack[-1][0] == m.group(2):
            start = stack.pop()[1]
            if not stack:
                found.append((start, m.end()))
        else:
            stack.clear()
    return found


def _bare_latex(text: str, m: re.Match) -> tuple[int, int, str]:
    """A number that is part of LaTeX written without delimiters (``\\frac{10}{9}``, ``2^{10}``, ``\\sqrt{3}``,
    ``x^2``) stands for its whole run of non-blank characters, parsed whole; any other number for itself."""
    start, end = m.start(), m.end()
    if text[start - 1:start] not in ("{", "^", "_") and text[end:end + 1] not in ("}", "^", "_") \
            and not re.search(r"\\[A-Za-z]+\s*$", text[max(0, start - 20):start]):
        return start, end, m.group()
    lo, hi = start, end
    while lo > 0 and not text[lo - 1].isspace() and start - lo < 200:
        lo -= 1
    while hi < len(text) and not text[hi].isspace() and hi - end < 200:
        hi += 1
    run = text[lo:hi].rstrip(".,;:!?")
    return lo, lo + len(run), run


_HEDGE = re.compile(r"[\s,]*\b(?:or|and)\b[^\d$\n]{0,15}", re.IGNORECASE)  # " or ", ", or x = "


def _inside(pos: int, spans: list[tuple[str, int, int]]) -> bool:
    lo, hi = 0, len(spans)  # spans are sorted and disjoint: binary search
    while lo < hi:
        mid = (lo + hi) // 2
        if spans[mid][2] <= pos:
            lo = mid + 1
        else:
            hi = mid
    return lo < len(spans) and spans[lo][1] <= pos


def _said(line: str) -> str:
    """The answer part of an "answer is ..." line: a leading math span whole when only a unit, or a clause without
    another value or "or", follows it in its sentence ("$125$ miles.", "$3$, since ..."), else the first sentence
    with markdown/math delimiters removed."""
    line = line.strip().lstrip("*").strip()
    spans = math_spans(line)
    if spans and spans[0][1] == 0 and _after_span(_SENTENCE_END.split(line[spans[0][2]:] + " ", maxsplit=1)[0]):
        return spans[0][0].strip()
    line = _SENTENCE_END.split(line.strip(), maxsplit=1)[0]
    for _ in range(3):
        line = _WRAPPERS.sub("", line.strip())
    return _in_words(line.strip())


def _after_span(rest: str) -> bool:
    rest = rest.strip()
    if _is_unit(rest):
        return True
    return rest[:1] in (",", ";", ":") and not re.search(r"[\d$\\]|\bor\b", rest, re.IGNORECASE)


_HEDGING = re.compile(r"\b(?:not|no|never|neither|nor|none|isn't|cannot|can't|least|most|about|approximately|around|"
                      r"roughly|nearly|almost|over|under|more|less|than|between|either|or|and|maybe|perhaps|probably|"
                      r"unknown|undefined|impossible)\b", re.IGNORECASE)


def _in_words(sentence: str) -> str:
    """"The largest $n$ is 34": a sentence that opens with a word answers with its only value, if it has one (a
    number, or a math span with a digit; spans without digits, like $n$, count only when there is no such value).
    Two candidate values ("either 12 or 13"), or a word that negates or bounds the value ("not 5", "at least 5",
    "about 5"), leave the sentence as it is, which is not an answer."""
    if not re.match(r"[A-Za-z]{2,}\s", sentence) or plain_number(sentence) is not None or _HEDGING.search(sentence):
        return sentence
    spans = math_spans(sentence)
    values = [m.group() for m in _NUMBER.finditer(sentence) if not _inside(m.start(), spans)]
    values += [c for c, _, _ in spans if re.search(r"\d", c)]
    if not values:
        values = [c for c, _, _ in spans]
    return values[0].strip() if len(values) == 1 else sentence


def _answer_tag(text: str) -> str | None:
    """The content of the last complete ``<answer>...</answer>`` (linear time: two reverse searches)."""
    lower = text.lower()
    end = lower.rfind("</answer>")
    start = lower.rfind("<answer>", 0, end) if end >= 0 else -1
    return text[start + len("<answer>"):end] if start >= 0 else None


def extract_answer(completion: str) -> tuple[str | None, str]:
    """(answer text or None, how it was found)."""
    text = completion[-MAX_CHARS:]
    box, truncated = _boxes(text)
    if truncated:
        return None, "unclosed \\boxed"
    if box is not None:
        return box, "boxed"
    tag = _answer_tag(text)
    if tag is not None:  # <answer>...</answer>: its content is the answer, whole (or what its "answer is" says)
        said = list(_ANSWER_IS.finditer(tag))
        return (_said(tag[said[-1].end():]) if said else tag.strip()) or None, "<answer> tag"
    hashes = _HASH.findall(text)
    if hashes:
        return _said(hashes[-1]) if hashes[-1].lstrip().startswith(("$", "\\(")) else hashes[-1].strip(), "####"
    said = list(_ANSWER_IS.finditer(text))  # the last one: "the answer is 5. No, the answer is 6" answers 6
    if said:
        said = said[-1]
        return _said(text[said.end():].split("\n", 1)[0]), "answer is"
    return _last_number_or_span(text)


def _is_unit(words: str) -> bool:
    """Up to three plain words and no connective ("miles", "square units"; not "apples and")."""
    words = words.strip().rstrip(".")
    return not words or (re.fullmatch(r"[A-Za-z]+(?: [A-Za-z]+){0,2}", words) is not None
                         and not set(words.lower().split()) & CONNECTIVES)


def reference_answer(reference: str) -> str:
    """The answer part of a reference: the content of its last ``\\boxed{}``, or what follows its last ``####``
    (a whole GSM8K/MATH solution works as a reference), or a leading math span followed only by words (a unit:
    ``$125$ miles``), else the reference itself."""
    if "\\boxed" in reference or "\\fbox" in reference:
        box, truncated = _boxes(reference)
        return reference if box is None or truncated else box  # a broken box stays broken: bad_reference
    if "####" in reference:
        return reference.rsplit("####", 1)[1].strip()
    spans = math_spans(reference.strip())
    if spans and spans[0][1] == 0 and _is_unit(reference.strip()[spans[0][2]:]):
        return spans[0][0]  # "$125$ miles": the span; the words after it are a unit
    return reference
