"""Internals of the `math` verifier (`verifiers/math.py` holds the policy and the public class).

Modules, in the order an answer meets them::

    extract.py   final-answer extraction: which text of a completion is its answer (no sympy)
    numbers.py   normalisation and the in-process fast path for plain numbers (no sympy)
    tokens.py    the whitelist tokenizer of the answer grammar and its token cursor (pure Python)
    grammar.py   tokens -> sympy objects by constructor calls, never eval/sympify/parse_expr: `parse`, the
                 expression levels (lists, relations, sums, products, powers) and the readings of \\pm
    atoms.py     the grammar's atoms: numbers (1 000, 4 4/9, 204_5), letters, function values, brackets, sets
    latex.py     the grammar's LaTeX commands (\\frac, \\sqrt, functions, Greek letters) and matrix environments
    values.py    the value shapes the grammar builds and the checks its modules share
    compare.py   exact mathematical equality of parsed answers (workers only)
    pool.py      killable worker processes that own the slow path's time limit
    worker.py    the worker process: JSON lines in, verdicts out

Nothing here imports sympy at package import time: `extract` and `numbers` are used by the parent, the rest in
workers. Imports run one way: extract -> numbers; compare -> grammar -> atoms -> latex -> tokens, values
(values -> tokens).
"""
