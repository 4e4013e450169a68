"""The procedural code task `pbe_concat`: programming by example where a program joins 1-3 parts, each a primitive.

A program computes 1..`max_parts` parts of its input string and joins them with ``-``::

    s[::-1]+"-"+s.upper()+"-"+"k"        abc -> cba-ABC-k

Each part is one primitive (`PARTS`): copy ``s``, reverse ``s[::-1]``, drop first ``s[1:]``, drop last ``s[:-1]``,
every other ``s[::2]``, upper ``s.upper()``, first letter ``s[0]``, last letter ``s[-1]``, or a constant letter
``"k"`` (26 of them). With three parts there are 9^3 compositions and, letters counted, about 40,000 programs.

Why this shape: in `pbe` a program is a chain, and a primitive's effect on the output depends on the primitives
before it (``s[::-1][:-1]`` drops the *first* input letter); in a variant with prefix / core / case / suffix slots
(docs/code_demo.md) the case slot changes every letter the core slot is read from, and the prefix shifts it.
In both a 0.2M-parameter model learned the training compositions as units and wrote a known composition on an
unseen one (held-out pass@1 0.00-0.05). Here each part is read from its own ``-``-separated piece of the outputs, so
an unseen composition is a new combination of things the model reads and writes one at a time.

Held-out split: compositions. A composition is the sequence of part kinds, letters aside
(``(reverse, upper, letter)``). With a fixed split seed (`SPLIT_SEED`, not `cfg.seed`) `heldout_fraction` of the
compositions with `heldout_parts` parts are held out: no training or pretraining program, right answer or
distractor, has one, with any letters. Every kind is trained on at every position, in many other compositions.
The `heldout_size` held-out problems take the held-out compositions in turn, with their own letters and example
and hidden inputs.

Prompt, completion and reference are those of `pbe` (see its docstring): ``input>output`` examples; the completion is
the returned expression, and the reference's HumanEval ``prompt`` ``def f(s):return `` comes before it
(``completion: program`` writes the whole function); ``check(candidate)`` asserts the shown and 4 hidden inputs;
the `code` verifier scores it in the sandbox. Pretraining mixture: with probability `pretrain_answer_fraction` the
right program, else a distractor (option `distractor`). The default, 'replace_one', is the program with one part
replaced by another primitive (never a held-out composition): the base model can sample the right program without
preferring it, and what RL unlearns is to write a part the examples do not show, which carries over to unseen
compositions. The others are wrong the same way on every program ('copy' ``s``, 'first_part', 'no_separator'),
and GRPO unlearned 'no_separator' in about ten steps (docs/code_demo.md). With ``pretrain_prompt_loss`` the base
model also learns to predict the later examples' outputs, which is what taught it to read the parts.
"""

from __future__ import annotations

import functools
import itertools
import random
from dataclasses import dataclass

from rlvr.tasks import Task, register_task
from rlvr.tasks.pbe import (
    LETTERS,
    MAX_HELDOUT,
    SPLIT_SEED,
    check_shared_options,
    example_pretrain_text,
    example_problem,
)
from verifiers.options import OptionError, option

# kind -> (expression text, function of (s, letter)); "letter" is the only kind with a letter
PARTS = {
    "copy": ("s", lambda s, c: s),
    "reverse": ("s[::-1]", lambda s, c: s[::-1]),
    "drop_first": ("s[1:]", lambda s, c: s[1:]),
    "drop_last": ("s[:-1]", lambda s, c: s[:-1]),
    "every_other": ("s[::2]", lambda s, c: s[::2]),
    "upper": ("s.upper()", lambda s, c: s.upper()),
    "first": ("s[0]", lambda s, c: s[0]),
    "last": ("s[-1]", lambda s, c: s[-1]),
    "letter": ('"{c}"', lambda s, c: c),
}
KINDS = tuple(PARTS)
SEPARATOR = "-"
JOIN = f'+"{SEPARATOR}"+'

Part = tuple[str, str]  # (kind, letter); letter is "" but for kind "letter"
Program = tuple[Part, ...]


def composition(p: Program) -> tuple[str, ...]:
    return tuple(kind for kind, _ in p)


def expression(p: Program, join: str = JOIN) -> str:
    """``expression((("reverse", ""), ("letter", "k")))`` -> ``'s[::-1]+"-"+"k"'``."""
    return join.join(PARTS[kind][0].replace("{c}", letter) for kind, letter in p)


def apply(p: Program, s: str) -> str:
    return SEPARATOR.join(PARTS[kind][1](s, letter) for kind, letter in p)


def with_letters(comp: tuple[str, ...], rng: random.Random) -> Program:
    """A program of composition `comp`, its letters drawn from `rng`."""
    return tuple((kind, rng.choice(LETTERS) if kind == "letter" else "") for kind in comp)


@functools.lru_cache(maxsize=16)
def heldout_compositions(parts: int, fraction: float, kinds: tuple[str, ...] = KINDS) -> frozenset:
    """`fraction` of the compositions of `parts` parts (at least one), drawn with `SPLIT_SEED`."""
    comps = sorted(itertools.product(kinds, repeat=parts))
    return frozenset(random.Random(SPLIT_SEED).sample(comps, max(1, round(fraction * len(comps)))))


def replace_one(p: Program, rng: random.Random, kinds: tuple[str, ...] = KINDS) -> Program:
    """A plausible wrong program: one part replaced by another primitive (a constant letter by another letter
    or by a primitive of the input)."""
    i = rng.randrange(len(p))
    while True:
        part = with_letters((rng.choice(kinds),), rng)[0]
        if part != p[i]:
            return p[:i] + (part,) + p[i + 1:]


DISTRACTORS = {
    "replace_one": "the program with one part replaced by another primitive",
    "copy": "the input unchanged, `s`",
    "first_part": "the program's first part alone",
    "no_separator": 'the parts joined without the separator, s[::-1]+"k"',
}


@dataclass(frozen=True)
class PbeConcatOptions:
    max_parts: int = option(3, "parts a program joins: 1..max_parts", low=2, high=4)
    heldout_parts: int = option(3, "parts of the held-out compositions (2..max_parts)", low=2, high=4)
    heldout_fraction: float = option(0.2, "share of the compositions with heldout_parts parts held out (never "
                                     "trained on)", low=0.01, high=0.5)
    kinds: list[str] = option(list(KINDS), "the primitives parts use: " + ", ".join(KINDS))
    train_size: int = option(20000, "training problems (programs drawn with cfg.seed, held-out compositions "
                             "excluded)", low=1)
    min_length: int = option(3, "shortest example input (distinct lowercase letters)", low=2)
    max_length: int = option(4, "longest example input; prompt + program must fit the tiny model's 128 positions",
                             low=2, high=8)
    examples: int = option(3, "input/output examples shown in the prompt (all asserted, with 4 hidden inputs)",
                           low=1, high=4)
    completion: str = option("expression", "what the model writes: 'expression' (s[::-1]+\"-\"+\"k\"; the "
                             "reference's prompt 'def f(s):return ' comes before it) or 'program' (the whole def)")
    part_weights: list[float] | None = option(None, "relative weights of 1..max_parts parts in training and "
                                              "pretraining programs; None: uniform")
    distractor: str = option("replace_one", "the pretraining completion when not the right program: " +
                             ", ".join(f"'{k}' ({v})" for k, v in DISTRACTORS.items()))

    def __post_init__(self):
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown or len(set(self.kinds)) < 2:
            raise OptionError(f"task 'pbe_concat': kinds {self.kinds} must name at least two of {list(KINDS)}; "
                              f"unknown: {unknown}")
        if self.heldout_parts > self.max_parts:
            raise OptionError(f"task 'pbe_concat': heldout_parts {self.heldout_parts} > max_parts "
                              f"{self.max_parts}; use heldout_parts <= max_parts")
        if self.distractor not in DISTRACTORS:
            raise OptionError(f"task 'pbe_concat': distractor {self.distractor!r} is not one of "
                              f"{list(DISTRACTORS)}")
        check_shared_options("pbe_concat", self, "part_weights", self.max_parts, "parts")


@register_task("pbe_concat")
class PbeConcatTask(Task):
    verifier = "code"
    Options = PbeConcatOptions

    @functools.cached_property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k in KINDS if k in self.options.kinds)

    @functools.cached_property
    def held(self) -> frozenset:
        return heldout_compositions(self.options.heldout_parts, self.options.heldout_fraction, self.kinds)

    def is_heldout(self, p: Program) -> bool:
        """The program's composition is held out; so is a longer one that begins or ends with it (for
        `heldout_parts` < `max_parts`: the held-out combination never occurs as neighbouring parts)."""
        comp, n = composition(p), self.options.heldout_parts
        return any(comp[i:i + n] in self.held for i in range(len(comp) - n + 1))

    def _train_program(self, rng: random.Random) -> Program:
        o = self.options
        n = rng.choices(range(1, o.max_parts + 1), weights=o.part_weights)[0] if o.part_weights else \
            rng.randint(1, o.max_parts)
        while True:
            p = with_letters(tuple(rng.choice(self.kinds) for _ in range(n)), rng)
            if not self.is_heldout(p):
                return p

    def _problem(self, p: Program, rng: random.Random) -> dict:
        return example_problem(functools.partial(apply, p), self.options, rng)

    def heldout_programs(self, n: int) -> list[Program]:
        """`n` held-out programs: the held-out compositions in a fixed shuffled order, in turn, letters drawn."""
        rng = random.Random(SPLIT_SEED + 3)
        comps = sorted(self.held)
        rng.shuffle(comps)
        return [with_letters(comps[i % len(comps)], rng) for i in range(n)]

    def splits(self, cfg) -> tuple[list[dict], list[dict]]:
        if cfg.heldout_size > MAX_HELDOUT:
            raise ValueError(f"heldout_size {cfg.heldout_size} is more than the pbe_concat task draws "
                             f"({MAX_HELDOUT}); use heldout_size <= {MAX_HELDOUT}")
        held_rng = random.Random(SPLIT_SEED + 2)  # held-out inputs: fixed, and never used in training
        heldout = [self._problem(p, held_rng) for p in self.heldout_programs(cfg.heldout_size)]
        rng = random.Random(cfg.seed)
        train = [self._problem(self._train_program(rng), rng) for _ in range(self.options.train_size)]
        return train, heldout

    def _distractor(self, p: Program, rng: random.Random) -> str:
        """The pretraining distractor of `p` (option `distractor`), as completion text. 'copy', 'first_part' and
        'no_separator' are wrong in one way on every program (the right program for ``s`` or a 1-part program),
        so what RL unlearns carries over to unseen compositions; 'replace_one' is wrong in a different part each
        time."""
        kind = self.options.distractor
        if kind == "copy":
            return "s"
        if kind == "first_part":
            return expression(p[:1])
        if kind == "no_separator":
            return expression(p, join="+")
        shown = replace_one(p, rng, self.kinds)
        while self.is_heldout(shown) or apply(shown, "abcd") == apply(p, "abcd"):
            shown = replace_one(p, rng, self.kinds)
        return expression(shown)

    def pretrain_text(self, cfg, rng: random.Random) -> tuple[str, str]:
        p = self._train_program(rng)
        text = expression(p) if rng.random() < cfg.pretrain_answer_fraction else self._distractor(p, rng)
        return example_pretrain_text(cfg, self.options, functools.partial(apply, p), text, rng)
