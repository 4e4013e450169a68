"""Fuzz test of the `math` verifier: random well-formed LaTeX answers against randomly perturbed versions of them.

Each answer is built from parameters whose exact value the test computes itself with sympy constructors (never by
parsing the LaTeX). A perturbation (a digit changed, the fraction inverted, the sign flipped, digits juxtaposed,
the exponent changed) changes the parameters and so the value, or leaves no value at all (juxtaposed digits);
whenever the two values differ, no completion form and neither direction may be paid. Positive controls: the
same value written another way is paid. Run ``python tests/test_math_fuzz.py N`` for a larger run with N answers.
"""

from __future__ import annotations

import random
import sys

import pytest
import sympy as sp

from verifiers import get_verifier

ANSWERS_PER_SEED = 120
SEEDS = [0, 1, 2]


def _int(rng, lo=1, hi=999):
    return rng.randint(lo, hi)


def _digit_changed(rng, n: int) -> int:
    """n with one decimal digit replaced by another (the value always changes)."""
    digits = list(str(n))
    i = rng.randrange(len(digits))
    choices = [d for d in "0123456789" if d != digits[i] and not (i == 0 and d == "0" and len(digits) > 1)]
    digits[i] = rng.choice(choices)
    return int("".join(digits))


def _is_thousands(s: str) -> bool:
    groups = s.split(" ")
    return len(groups) > 1 and groups[0][0] != "0" and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def make_answer(rng):
    """(kind, params): the parameters of one random answer."""
    kind = rng.choice(["int", "frac", "mixed", "decimal", "sqrt", "power", "tuple", "interval"])
    if kind == "int":
        return kind, {"n": _int(rng, 0, 99_999), "neg": rng.random() < 0.2}
    if kind == "frac":
        return kind, {"p": _int(rng, 1, 99), "q": _int(rng, 2, 99), "neg": rng.random() < 0.3}
    if kind == "mixed":
        c = _int(rng, 2, 12)
        return kind, {"a": _int(rng, 1, 20), "b": rng.randint(1, c - 1), "c": c, "neg": False}
    if kind == "decimal":
        fraction = f"{rng.randint(1, 999):03d}".rstrip("0") or "5"
        return kind, {"w": _int(rng, 0, 999), "f": fraction, "neg": rng.random() < 0.2}
    if kind == "sqrt":
        return kind, {"k": _int(rng, 2, 9), "m": rng.choice([2, 3, 5, 6, 7, 10, 11, 13]), "neg": rng.random() < 0.2}
    if kind == "power":
        return kind, {"a": _int(rng, 2, 9), "b": _int(rng, 2, 12), "neg": False}
    if kind == "tuple":
        return kind, {"x": _int(rng, -20, 20), "y": _int(rng, -20, 20), "neg": False}
    lo = _int(rng, -20, 10)
    return kind, {"lo": lo, "hi": lo + _int(rng, 1, 15), "open": rng.choice("([") + rng.choice(")]"), "neg": False}


def render(kind, p) -> str:
    sign = "-" if p["neg"] else ""
    if kind == "int":
        return sign + (f"{p['n']:,}" if p["n"] >= 1000 and p["n"] % 3 == 0 else str(p["n"]))
    if kind == "frac":
        return f"{sign}\\frac{{{p['p']}}}{{{p['q']}}}"
    if kind == "mixed":
        return f"{p['a']}\\frac{{{p['b']}}}{{{p['c']}}}"
    if kind == "decimal":
        return f"{sign}{p['w']}.{p['f']}"
    if kind == "sqrt":
        return f"{sign}{p['k']}\\sqrt{{{p['m']}}}"
    if kind == "power":
        return f"{p['a']}^{{{p['b']}}}"
    if kind == "tuple":
        return f"({p['x']}, {p['y']})"
    return f"{p['open'][0]}{p['lo']}, {p['hi']}{p['open'][1]}"


def value(kind, p):
    """The exact value, built by sympy constructors (never parsed): a sympy number or a hashable structure."""
    sign = -1 if p["neg"] else 1
    if kind == "int":
        return sp.Integer(sign * p["n"])
    if kind == "frac":
        return sign * sp.Rational(p["p"], p["q"])
    if kind == "mixed":
        return sp.Integer(p["a"]) + sp.Rational(p["b"], p["c"])
    if kind == "decimal":
        return sign * (sp.Integer(p["w"]) + sp.Rational(int(p["f"]), 10 ** len(p["f"])))
    if kind == "sqrt":
        return sign * p["k"] * sp.sqrt(p["m"])
    if kind == "power":
        return sp.Integer(p["a"]) ** p["b"]
    if kind == "tuple":
        return ("tuple", p["x"], p["y"])
    return ("interval", p["open"], p["lo"], p["hi"])


def perturb(rng, kind, p):
    """(name, latex, value, other references): value None means the text is not a value at all (juxtaposed digits);
    the other references are readings the text must not be paid against either (the product of juxtaposed parts)."""
    q = dict(p)
    name = rng.choice(["digit", "invert", "sign", "juxtapose", "exponent"])
    if name == "juxtapose" and kind in ("int", "power", "frac", "mixed") and (kind != "int" or p["n"] >= 10):
        if kind == "mixed":  # a b/c written with a space: the mixed number, never the product a * b/c
            text = f"{p['a']} {p['b']}/{p['c']}"
            return name, text, value(kind, p), [str(sp.Rational(p["a"] * p["b"], p["c"]))]
        digits = str(p["n"] if kind == "int" else p["a"] * 10 + p["b"] % 10 if kind == "power" else p["p"] * 10 + 7)
        i = rng.randrange(1, len(digits))
        left, right = digits[:i], digits[i:]
        text = f"{left} {right}"
        if _is_thousands(text):
            return name, text, sp.Integer(int(digits)), []
        return name, text, None, [digits, str(int(left) * int(right))]
    if name == "invert" and kind == "frac" and p["p"] != p["q"]:
        q["p"], q["q"] = p["q"], p["p"]
    elif name == "sign" and kind in ("int", "frac", "decimal", "sqrt") and value(kind, p) != 0:
        q["neg"] = not p["neg"]
    elif name == "exponent" and kind == "power":
        q["b"] = p["b"] + rng.choice([-1, 1])
    else:  # a digit of one integer parameter
        name = "digit"
        keys = [k for k in ("n", "p", "q", "a", "b", "c", "w", "k", "x", "y", "lo", "hi") if k in p]
        key = rng.choice(keys)
        q[key] = _digit_changed(rng, abs(p[key])) * (-1 if p[key] < 0 else 1)
        if kind == "mixed" and not 0 < q["b"] < q["c"] or kind == "frac" and q["q"] == 0:
            return perturb(rng, kind, p)
    return name, render(kind, q), value(kind, q), []


def _equal(a, b) -> bool:
    if isinstance(a, tuple) or isinstance(b, tuple):
        return a == b
    return sp.simplify(a - b) == 0


def _forms(latex: str) -> list[str]:
    return [f"So the final answer is $\\boxed{{{latex}}}$.", f"Putting it together, we get ${latex}$"]


def fuzz_pairs(seed: int, n: int):
    """(completion, reference, why) pairs that must never be paid, and (completion, reference) that must be paid."""
    rng = random.Random(seed)
    never, always = [], []
    for _ in range(n):
        kind, p = make_answer(rng)
        original, exact = render(kind, p), value(kind, p)
        always.append((_forms(original)[0], original))
        for _ in range(2):
            name, changed, changed_value, others = perturb(rng, kind, p)
            for other in others:  # readings of the changed text that are not its value
                for completion in _forms(changed):
                    never.append((completion, other, f"{name}: {changed!r} for {other!r}"))
            if changed_value is not None and _equal(exact, changed_value):
                continue  # the same value written another way (a mixed number, 1 000): not a wrong answer
            for completion in _forms(changed):
                never.append((completion, original, f"{name}: {changed!r} for {original!r}"))
            for completion in _forms(original):
                if changed_value is not None:  # the other direction needs a usable reference
                    never.append((completion, changed, f"{name} (reversed): {original!r} for {changed!r}"))
    return never, always


@pytest.fixture(scope="module")
def v():
    verifier = get_verifier("math", timeout=3.0)
    yield verifier
    verifier.close()


@pytest.mark.parametrize("seed", SEEDS)
def test_no_perturbation_that_changes_the_value_is_paid(v, seed):
    never, always = fuzz_pairs(seed, ANSWERS_PER_SEED)
    verdicts = v.verify_batch([(c, r) for c, r, _ in never], workers=2)
    paid = [(why, d) for (_, _, why), d in zip(never, verdicts, strict=True) if d.reward == 1.0]
    errors = [(why, d) for (_, _, why), d in zip(never, verdicts, strict=True) if d.status in ("error", "timeout")]
    print(f"\nfuzz seed {seed}: {len(never)} perturbed pairs, {len(paid)} paid, {len(errors)} errors/timeouts")
    assert not paid, paid[:10]
    assert not errors, errors[:10]
    controls = v.verify_batch(always, workers=2)
    unpaid = [(pair, d) for pair, d in zip(always, controls, strict=True) if d.reward != 1.0]
    assert not unpaid, unpaid[:5]


if __name__ == "__main__":  # a larger run: python tests/test_math_fuzz.py 5000
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    verifier = get_verifier("math", timeout=3.0)
    never, always = fuzz_pairs(12345, n)
    verdicts = verifier.verify_batch([(c, r) for c, r, _ in never], workers=2)
    paid = [why for (_, _, why), d in zip(never, verdicts, strict=True) if d.reward == 1.0]
    print(f"{len(never)} perturbed pairs from {n} answers: {len(paid)} paid")
    for why in paid[:20]:
        print("  PAID", why)
    verifier.close()
