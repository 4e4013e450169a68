"""The procedural code task `pbe`: programming by example over string primitives composed 1-3 deep.

Prompt: `examples` (default three) input/output examples of a string function, ``input>output``, e.g.
``abcd>DCBA xyz>ZYX qwe>EWQ\\n`` (compact: every prompt character costs pretraining and RL compute on a 2-core
machine). With ``completion: program`` (the default) the completion is a whole program,
``def f(s):return s[::-1].upper()``; with ``completion: expression`` it is the returned expression only,
``s[::-1].upper()``, and the reference carries HumanEval's ``prompt``, ``def f(s):return ``, which the `code`
verifier puts before the completion (shorter completions: cheaper sampling and pretraining, an easier search).
Either way it is scored by the `code` verifier in the sandbox against a HumanEval-style reference
(``check(candidate)`` asserts f on the shown inputs and on 4 hidden ones).

A program is a chain of primitives written as one expression (`PRIMITIVES`): reverse ``[::-1]``, upper
``.upper()``, drop first ``[1:]``, drop last ``[:-1]``, every other ``[::2]``, append a letter ``(e+"k")``,
prepend a letter ``("k"+e)``. A chain is kept only if every primitive in it matters (no shorter subchain computes the
same function), so training programs carry no dead code. With 26 letters there are tens of thousands of such functions.

Held-out split: compositions, not just functions. A composition is a kind sequence with the letters left open
(``(reverse, append, upper)``); compositions that compute one function under some assignment of letters are one
class (`compositions`). With a fixed split seed (`SPLIT_SEED`, not `cfg.seed`) `heldout_fraction` of the classes
of each depth 2..max_depth are held out: no training or pretraining program belongs to them, with any letters, nor
(unless `heldout_inside` is false) contains two neighbouring primitives whose composition is held out
(`contains_heldout`). The `heldout_size`
held-out problems take depths 2..`heldout_max_depth` (default max_depth) and their held-out classes in turn, with
their own letters and example and hidden inputs. Training problems: depth uniform in 1..max_depth (or drawn with
`depth_weights`), kinds and letters uniform, chains drawn with `cfg.seed` (thousands of distinct programs), example
inputs fresh per problem.

Pretraining mixture: with probability `pretrain_answer_fraction` the right program, else a plausible wrong one:
the chain with one primitive dropped, never leaving a held-out composition (depth 1: another primitive), so that
the base model can sample the right program without preferring it (pass@k well above pass@1), and RL has a habit to
unlearn that transfers to held-out compositions.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import string
from dataclasses import dataclass

from rlvr.tasks import Task, register_task
from verifiers.options import OptionError, option

SPLIT_SEED = 20261203  # fixed: the benchmark does not move with cfg.seed
LETTERS = string.ascii_lowercase
PLACEHOLDERS = "\u03b1\u03b2\u03b3"  # stand-ins for a composition's letters (never in an input): `compositions`
MAX_HELDOUT = 4096
HIDDEN = 4  # hidden test inputs in the reference (the shown ones are asserted too)
PREFIX = "def f(s):return "  # completion "expression": the reference's "prompt", continued by the completion
COMPLETIONS = ("program", "expression")

# kind -> (python template with {} for the inner expression, the function it computes given a letter)
PRIMITIVES = {
    "reverse": ("{}[::-1]", lambda s, c: s[::-1]),
    "upper": ("{}.upper()", lambda s, c: s.upper()),
    "drop_first": ("{}[1:]", lambda s, c: s[1:]),
    "drop_last": ("{}[:-1]", lambda s, c: s[:-1]),
    "every_other": ("{}[::2]", lambda s, c: s[::2]),
    "append": ('({}+"{c}")', lambda s, c: s + c),
    "prepend": ('("{c}"+{})', lambda s, c: c + s),
}
KINDS = tuple(PRIMITIVES)
LETTERED = ("append", "prepend")

Step = tuple[str, str]  # (kind, letter); letter is "" for the kinds that take none
Chain = tuple[Step, ...]


def expression(chain: Chain) -> str:
    """The chain as one Python expression of ``s``: ``expression((("reverse", ""), ("upper", "")))`` ->
    ``'s[::-1].upper()'``."""
    expr = "s"
    for kind, letter in chain:
        expr = PRIMITIVES[kind][0].replace("{c}", letter).format(expr)
    return expr


def program(chain: Chain) -> str:
    """The chain as one Python function: ``program((("reverse", ""), ("upper", "")))`` ->
    ``'def f(s):return s[::-1].upper()'``."""
    return PREFIX + expression(chain)


def apply(chain: Chain, s: str) -> str:
    for kind, letter in chain:
        s = PRIMITIVES[kind][1](s, letter)
    return s


def _word(rng: random.Random, low: int, high: int) -> str:
    """Distinct lowercase letters, so that a reversal or a dropped character is visible in the output."""
    return "".join(rng.sample(LETTERS, rng.randint(low, high)))


@functools.lru_cache(maxsize=1)
def _probes() -> tuple[str, ...]:
    rng = random.Random(SPLIT_SEED + 1)
    return tuple(_word(rng, 0, 10) for _ in range(24))


@functools.lru_cache(maxsize=200_000)
def signature(chain: Chain) -> tuple[str, ...]:
    """The function's outputs on fixed probe strings: two chains with one signature compute one function."""
    return tuple(apply(chain, p) for p in _probes())


def is_minimal(chain: Chain) -> bool:
    """Every primitive matters: no shorter subchain (some primitives dropped) computes the same function."""
    sig = signature(chain)
    return all(signature(sub) != sig for n in range(len(chain)) for sub in itertools.combinations(chain, n))


def _random_chain(rng: random.Random, depth: int) -> Chain:
    """A minimal chain of `depth` primitives (kinds uniform, then the letter uniform)."""
    while True:
        kinds = [rng.choice(KINDS) for _ in range(depth)]
        chain = tuple((k, rng.choice(LETTERS) if k in LETTERED else "") for k in kinds)
        if is_minimal(chain):
            return chain


def _with_letters(kinds: tuple[str, ...], letters) -> Chain:
    it = iter(letters)
    return tuple((k, next(it) if k in LETTERED else "") for k in kinds)


@functools.lru_cache(maxsize=4)
def compositions(max_depth: int) -> dict[tuple[str, ...], int]:
    """Kind sequence (a composition, letters aside) -> its class id; one class per function of the letters.

    ``(reverse, upper)`` and ``(upper, reverse)`` are one class, so are ``(append, reverse)`` and
    ``(reverse, prepend)``: the letters are stood in for by placeholders that no input contains, under every
    assignment to the lettered slots. Only minimal compositions (each primitive matters) are listed, and none that
    computes what a shorter composition computes (``(reverse, drop_last, reverse)`` is ``drop_first``).
    """
    classes: dict[frozenset, int] = {}
    out = {}
    for depth in range(1, max_depth + 1):
        shorter = set(classes)
        for kinds in itertools.product(KINDS, repeat=depth):
            slots = sum(k in LETTERED for k in kinds)
            if not is_minimal(_with_letters(kinds, PLACEHOLDERS[:slots])):
                continue
            key = frozenset(signature(_with_letters(kinds, p)) for p in itertools.permutations(PLACEHOLDERS[:slots]))
            if key not in shorter:
                out[kinds] = classes.setdefault(key, len(classes))
    return out


@functools.lru_cache(maxsize=8)
def heldout_classes(max_depth: int, fraction: float) -> tuple[tuple[int, ...], ...]:
    """Per depth 2..max_depth, the held-out composition classes: `fraction` of them (at least one), `SPLIT_SEED`."""
    comp, rng, held = compositions(max_depth), random.Random(SPLIT_SEED), []
    for depth in range(2, max_depth + 1):
        ids = sorted({c for kinds, c in comp.items() if len(kinds) == depth})
        held.append(tuple(sorted(rng.sample(ids, max(1, round(fraction * len(ids)))))))
    return tuple(held)


@functools.lru_cache(maxsize=8)
def heldout_chains(heldout_size: int, max_depth: int, fraction: float, top: int | None = None) -> tuple[Chain, ...]:
    """The held-out functions: depths 2..top (default max_depth) in turn, their classes in turn, letters drawn with
    `SPLIT_SEED`. The classes held out are those of every depth 2..max_depth whatever `top` is."""
    comp, rng = compositions(max_depth), random.Random(SPLIT_SEED + 3)
    by_class: dict[int, list] = {}
    for kinds, c in comp.items():
        by_class.setdefault(c, []).append(kinds)
    classes, chains = heldout_classes(max_depth, fraction)[:(top or max_depth) - 1], []
    while len(chains) < heldout_size:  # a letterless composition is one function: asked again with other inputs
        depth_classes = classes[len(chains) % len(classes)]
        kinds = rng.choice(by_class[depth_classes[(len(chains) // len(classes)) % len(depth_classes)]])
        chain = _with_letters(kinds, [rng.choice(LETTERS) for _ in kinds])
        if is_minimal(chain):
            chains.append(chain)
    return tuple(chains)


@functools.lru_cache(maxsize=8)
def _heldout_sets(heldout_size: int, max_depth: int, fraction: float,
                  top: int | None = None) -> tuple[frozenset, frozenset]:
    """(held-out composition class ids, held-out problems' function signatures)."""
    classes = frozenset(c for per_depth in heldout_classes(max_depth, fraction) for c in per_depth)
    return classes, frozenset(signature(c) for c in heldout_chains(heldout_size, max_depth, fraction, top))


def contains_heldout(chain: Chain, comp: dict, classes: frozenset, inside: bool = True) -> bool:
    """The chain's composition, or (`inside`) a composition of two neighbouring primitives inside it, is held out."""
    kinds = tuple(k for k, _ in chain)
    return comp.get(kinds) in classes or inside and any(comp.get(kinds[i:i + 2]) in classes
                                                        for i in range(len(kinds) - 1))


def examples_text(pairs: list[tuple[str, str]]) -> str:
    """The prompt's examples: ``abc>cba xy>yx\\n``."""
    return " ".join(f"{x}>{y}" for x, y in pairs) + "\n"


def example_problem(fn, o, rng: random.Random) -> dict:
    """A row of a programming-by-example task for the function `fn` (str -> str): `o.examples` shown inputs in the
    question, those and `HIDDEN` more asserted by the reference, which carries `PREFIX` as its prompt when the
    completion is the expression. `o`: the task's options (min_length, max_length, examples, completion)."""
    pairs = [(x, fn(x)) for x in (_word(rng, o.min_length, o.max_length) for _ in range(o.examples + HIDDEN))]
    prompt = PREFIX if o.completion == "expression" else ""
    return {"question": examples_text(pairs[:o.examples]), "reference": humaneval_reference(pairs, prompt)}


def example_pretrain_text(cfg, o, fn, shown: str, rng: random.Random) -> tuple[str, str]:
    """A pretraining example: `o.examples` fresh inputs of `fn` as the prompt, the expression `shown` (right or a
    distractor) as the completion, written as a whole program when `o.completion` is 'program'."""
    inputs = [_word(rng, o.min_length, o.max_length) for _ in range(o.examples)]
    text = shown if o.completion == "expression" else PREFIX + shown
    return cfg.prompt_template.format(question=examples_text([(x, fn(x)) for x in inputs])), text


def humaneval_reference(pairs: list[tuple[str, str]], prompt: str = "") -> str:
    """HumanEval-style: ``check(candidate)`` asserts ``f(x) == y`` for every pair; a non-empty `prompt` is the code
    the completion continues (the `code` verifier runs ``prompt + completion``)."""
    lines = [f"    assert candidate({x!r}) == {y!r}" for x, y in pairs]
    ref = {"test": "def check(candidate):\n" + "\n".join(lines) + "\n", "entry_point": "f"}
    return json.dumps({**ref, "prompt": prompt} if prompt else ref)


def distractor(chain: Chain, rng: random.Random) -> Chain:
    """A plausible wrong program: one primitive dropped (depth 1: another primitive)."""
    if len(chain) > 1:
        i = rng.randrange(len(chain))
        return chain[:i] + chain[i + 1:]
    while True:
        (other,) = _random_chain(rng, 1)
        if signature((other,)) != signature(chain):
            return (other,)


@dataclass(frozen=True)
class PbeOptions:
    max_depth: int = option(3, "primitives per program: 1..max_depth (held-out programs: 2..max_depth)", low=2, high=3)
    heldout_fraction: float = option(0.2, "share of the compositions of each depth >= 2 held out (never trained on)",
                                     low=0.01, high=0.5)
    train_size: int = option(20000, "training problems (chains drawn with cfg.seed, held-out functions excluded)",
                             low=1)
    min_length: int = option(3, "shortest example input (distinct lowercase letters)", low=2)
    max_length: int = option(6, "longest example input; prompt + program must fit the tiny model's 128 positions",
                             low=2, high=8)
    examples: int = option(3, "input/output examples shown in the prompt (all asserted, with 4 hidden inputs)",
                           low=1, high=4)
    completion: str = option("program", "what the model writes: 'program' (def f(s):return s[::-1]) or "
                             "'expression' (s[::-1]; the reference's prompt 'def f(s):return ' comes before it)")
    depth_weights: list[float] | None = option(None, "relative weights of depths 1..max_depth in training and "
                                               "pretraining chains; None: depth uniform in 1..max_depth")
    heldout_max_depth: int | None = option(None, "held-out problems have depth 2..heldout_max_depth (classes of "
                                           "every depth are still held out); None: max_depth", low=2, high=3)
    heldout_inside: bool = option(True, "also keep out of training every chain with two neighbouring primitives "
                                  "whose composition is held out; false: only chains whose whole composition is")

    def __post_init__(self):
        check_shared_options("pbe", self, "depth_weights", self.max_depth, "depths")
        if (self.heldout_max_depth or 0) > self.max_depth:
            raise OptionError(f"task 'pbe': heldout_max_depth {self.heldout_max_depth} > max_depth "
                              f"{self.max_depth}; use heldout_max_depth <= max_depth")


def check_shared_options(task: str, o, weights_name: str, n: int, what: str) -> None:
    """The checks the programming-by-example tasks share: input lengths, the completion form, and `weights_name`,
    `n` relative weights of 1..n `what`."""
    if o.min_length > o.max_length:
        raise OptionError(f"task '{task}': min_length {o.min_length} > max_length {o.max_length}; "
                          "use min_length <= max_length")
    weights = getattr(o, weights_name)
    if weights is not None and (len(weights) != n or min(weights) < 0 or sum(weights) <= 0):
        raise OptionError(f"task '{task}': {weights_name} {weights} must be {n} non-negative weights "
                          f"({what} 1..{n}), not all zero")
    if o.completion not in COMPLETIONS:
        raise OptionError(f"task '{task}': completion {o.completion!r} is not one of {COMPLETIONS}; "
                          "use 'program' or 'expression'")


@register_task("pbe")
class PbeTask(Task):
    verifier = "code"
    Options = PbeOptions

    def _problem(self, chain: Chain, rng: random.Random) -> dict:
        return example_problem(functools.partial(apply, chain), self.options, rng)

    def _depth(self, rng: random.Random) -> int:
        o = self.options
        if o.depth_weights is None:
            return rng.randint(1, o.max_depth)
        return rng.choices(range(1, o.max_depth + 1), weights=o.depth_weights)[0]

    def _train_chain(self, cfg, rng: random.Random) -> Chain:
        o = self.options
        comp = compositions(o.max_depth)
        classes, functions = _heldout_sets(cfg.heldout_size, o.max_depth, o.heldout_fraction, o.heldout_max_depth)
        while True:
            chain = _random_chain(rng, self._depth(rng))
            if (tuple(k for k, _ in chain) in comp and not contains_heldout(chain, comp, classes, o.heldout_inside)
                    and signature(chain) not in functions):
                return chain

    def splits(self, cfg) -> tuple[list[dict], list[dict]]:
        if cfg.heldout_size > MAX_HELDOUT:
            raise ValueError(f"heldout_size {cfg.heldout_size} is more than the pbe task draws ({MAX_HELDOUT}); "
                             f"use heldout_size <= {MAX_HELDOUT}")
        held_rng = random.Random(SPLIT_SEED + 2)  # held-out inputs: fixed, and never used in training
        o = self.options
        chains = heldout_chains(cfg.heldout_size, o.max_depth, o.heldout_fraction, o.heldout_max_depth)
        heldout = [self._problem(c, held_rng) for c in chains]
        rng = random.Random(cfg.seed)
        train = [self._problem(self._train_chain(cfg, rng), rng) for _ in range(self.options.train_size)]
        return train, heldout

    def _pretrain_chains(self, cfg, rng: random.Random) -> tuple[Chain, Chain]:
        """(the problem's chain, the chain written as its completion): the right one or a distractor, one primitive
        dropped but never leaving a held-out composition ((a, b, c) -> (a, c)); if every drop would, a depth-1
        program other than the chain's first primitive."""
        o = self.options
        chain = self._train_chain(cfg, rng)
        if rng.random() < cfg.pretrain_answer_fraction:
            return chain, chain
        comp = compositions(o.max_depth)
        classes, _ = _heldout_sets(cfg.heldout_size, o.max_depth, o.heldout_fraction, o.heldout_max_depth)
        if len(chain) == 1:
            return chain, distractor(chain, rng)
        drops = [chain[:i] + chain[i + 1:] for i in range(len(chain))]
        drops = [d for d in drops if not contains_heldout(d, comp, classes, o.heldout_inside)]
        return chain, rng.choice(drops) if drops else distractor(chain[:1], rng)

    def pretrain_text(self, cfg, rng: random.Random) -> tuple[str, str]:
        chain, shown = self._pretrain_chains(cfg, rng)
        return example_pretrain_text(cfg, self.options, functools.partial(apply, chain), expression(shown), rng)
