"""`MathVerifier.canonical`: the majority-vote (maj@k) key of a completion's final answer (issue 13).

Each group of completions has equal values, so they must share one key; keys of different groups must differ;
completions without an answer (or whose answer is not a value) have no key.
"""

import pytest

from verifiers import get_verifier


@pytest.fixture(scope="module")
def v():
    verifier = get_verifier("math")
    yield verifier
    verifier.close()


GROUPS = [
    [r"\boxed{\frac12}", "The answer is 0.5", "#### 1/2", r"so we get $\sqrt{1/4}$", r"\boxed{\dfrac{2}{4}}",
     r"\boxed{50\%} of it is... no: \boxed{0.50}"],
    [r"\boxed{3}", "answer: 3", r"\boxed{x=3}", r"\boxed{3.0}", "so 3", r"\boxed{\sqrt{9}}",
     r"\boxed{90^\circ} \boxed{3}"],
    [r"\boxed{1000}", r"\boxed{1,000}", r"\boxed{1 000}", r"\boxed{10^3}", r"\boxed{10,\! 000/10}"],
    [r"\boxed{\frac{40}{9}}", r"\boxed{4 4/9}", r"\boxed{4\frac{4}{9}}"],
    [r"\boxed{-3}", r"\boxed{-\frac{6}{2}}", "#### -3"],
    [r"\boxed{x^2-1}", r"\boxed{(x-1)(x+1)}", r"\boxed{(x+1)(x-1)}"],
    [r"\boxed{2\sqrt{2}}", r"\boxed{\sqrt{8}}", r"\boxed{\frac{4}{\sqrt2}}"],
    [r"\boxed{\{1, 2\}}", r"\boxed{2 or 1}", r"\boxed{1 \text{ or } 2}", r"\boxed{x = 1 \text{ or } x = 2}",
     r"\boxed{\{2, 1\}}"],
    [r"\boxed{1, 2}", r"\boxed{1,2}", r"\boxed{x = 1, x = 2}"],  # a comma list keeps its order
    [r"\boxed{2, 1}"],
    [r"\boxed{(0, 1)}", r"\boxed{x = (0, 1)}", r"\boxed{\left(0,1\right)}"],
    [r"\boxed{[0, 1)}"],
    [r"\boxed{x+y=1}", r"\boxed{2x+2y=2}", r"\boxed{-x-y=-1}"],
    [r"\boxed{y = 1 - x}", r"\boxed{1-x}"],  # a named equation votes with its right side, as verify scores it
    [r"\boxed{\text{(C)}}", r"\boxed{C}", r"\boxed{(C)}"],
    [r"\boxed{\text{Tina}}", r"\boxed{tina}"],
    [r"\boxed{25\%}", r"\boxed{25 \%}"],
    [r"\boxed{f(2)}"],
    [r"\boxed{\begin{pmatrix}1&2\\3&4\end{pmatrix}}", r"\boxed{\begin{bmatrix} 1 & 2 \\ 3 & 4 \\ \end{bmatrix}}"],
    [r"\boxed{" + "7" * 5000 + "}", "7" * 5000],
]

NO_KEY = ["", "no answer here", r"\boxed{2 3}", r"\boxed{\int_0^1 x\,dx}", r"\boxed{", r"\boxed{}", "__import__('os')",
          r"\boxed{__import__('os').system('true')}", None, 5, r"\boxed{9^{9^{9}}}"]


@pytest.fixture(scope="module")
def keys(v):
    flat = [c for group in GROUPS for c in group]
    return dict(zip(flat, v.canonical_batch(flat, workers=2), strict=True))


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g[0][:40])
def test_equal_values_share_one_key(keys, group):
    assert len({keys[c] for c in group}) == 1, {c: keys[c] for c in group}
    assert keys[group[0]] is not None
    hash(keys[group[0]])


def test_different_values_have_different_keys(keys):
    firsts = [keys[group[0]] for group in GROUPS]
    assert len(set(firsts)) == len(firsts), firsts


@pytest.mark.parametrize("completion", NO_KEY, ids=repr)
def test_no_answer_has_no_key(v, completion):
    assert v.canonical(completion) is None


def test_single_calls_match_the_batch_and_repeat(v, keys):
    for group in GROUPS[:6]:
        for completion in group:
            assert v.canonical(completion) == keys[completion] == v.canonical(completion)


def test_plain_numbers_are_keyed_in_process(tmp_path):
    """Fast like the fast path of `verify`: no worker process, no sympy import."""
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(
        "import sys\nfrom verifiers import get_verifier\nv = get_verifier('math')\n"
        "ks = v.canonical_batch([r'\\boxed{\\frac{2}{4}}', 'The answer is 0.5', '#### 1,000', 'so 7 apples'] * 50)\n"
        "print(len(set(ks)), 'sympy' in sys.modules, v._pool is None)\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "False", "True"]


def test_a_failed_worker_gives_no_key_not_an_exception(monkeypatch):
    from verifiers._math import pool

    verifier = get_verifier("math")
    try:
        monkeypatch.setattr(pool.WorkerPool, "run", lambda self, jobs, workers=None: (_ for _ in ()).throw(
            RuntimeError("boom")))
        assert verifier.canonical_batch([r"\boxed{x+1}", r"\boxed{3}"]) == [None, ("num", "3")]
    finally:
        verifier.close()
